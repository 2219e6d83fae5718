{{ config(materialized='merge', unique_key=['order_id', 'line_no']) }}
SELECT
  order_id,
  line_no,
  product_id,
  quantity,
  unit_price,
  CAST(quantity * unit_price AS DECIMAL(21, 2)) AS amount
FROM {{ ref('bronze.order_lines') }}
WHERE order_id IS NOT NULL AND line_no IS NOT NULL AND product_id IS NOT NULL
  AND quantity IS NOT NULL AND unit_price IS NOT NULL
