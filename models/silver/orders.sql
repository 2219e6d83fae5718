{{ config(materialized='merge', unique_key='order_id') }}
SELECT
  order_id,
  customer_id,
  order_ts,
  CAST(order_ts AS DATE) AS order_date,
  LOWER(status) AS status,
  updated_at
FROM {{ ref('bronze.orders') }}
WHERE order_id IS NOT NULL AND order_ts IS NOT NULL AND updated_at IS NOT NULL
