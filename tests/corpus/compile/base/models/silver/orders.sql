{{ config(materialized='merge') }}
SELECT order_id, customer_id, LOWER(status) AS status, CAST(COALESCE(amount, 0) AS DECIMAL(10, 2)) AS amount, discount,
       ordered_at, order_date, is_gift, priority, channel, weight, score, quantity, tags, items, attrs,
       ship_to, payload
FROM {{ ref('bronze.orders') }}
WHERE order_id IS NOT NULL AND ordered_at IS NOT NULL
