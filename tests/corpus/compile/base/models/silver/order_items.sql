{{ config(materialized='merge') }}
SELECT order_id, line_no, sku, qty, unit_price, CAST(qty * unit_price AS DECIMAL(21, 2)) AS line_amount
FROM {{ ref('bronze.order_items') }}
WHERE order_id IS NOT NULL AND line_no IS NOT NULL AND qty IS NOT NULL AND unit_price IS NOT NULL
