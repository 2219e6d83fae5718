{{ config(materialized='table') }}
SELECT
  o.order_date,
  COUNT(DISTINCT o.order_id) AS orders,
  CAST(SUM(l.quantity) AS BIGINT) AS items,
  CAST(SUM(l.amount) AS DECIMAL(31, 2)) AS revenue,
  '{{ var("currency") }}' AS currency
FROM {{ ref('silver.orders') }} AS o
JOIN {{ ref('silver.order_lines') }} AS l ON l.order_id = o.order_id
GROUP BY o.order_date
