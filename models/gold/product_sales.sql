{{ config(materialized='table') }}
SELECT
  p.product_id,
  p.name AS product_name,
  p.category,
  CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS units,
  CAST(COALESCE(SUM(l.amount), 0) AS DECIMAL(31, 2)) AS revenue
FROM {{ ref('silver.products') }} AS p
LEFT JOIN {{ ref('silver.order_lines') }} AS l ON l.product_id = p.product_id
GROUP BY p.product_id, p.name, p.category
