{{ config(materialized='table') }}
WITH order_totals AS (
  SELECT o.order_id, o.customer_id, o.order_ts, SUM(l.amount) AS total
  FROM {{ ref('silver.orders') }} AS o
  JOIN {{ ref('silver.order_lines') }} AS l ON l.order_id = o.order_id
  GROUP BY o.order_id, o.customer_id, o.order_ts
)
SELECT
  c.customer_id,
  c.name,
  c.country,
  COUNT(t.order_id) AS orders,
  CAST(COALESCE(SUM(t.total), 0) AS DECIMAL(31, 2)) AS lifetime_value,
  MIN(t.order_ts) AS first_order_ts,
  MAX(t.order_ts) AS last_order_ts
FROM {{ ref('silver.customers') }} AS c
LEFT JOIN order_totals AS t ON t.customer_id = c.customer_id
WHERE c.is_current
GROUP BY c.customer_id, c.name, c.country
