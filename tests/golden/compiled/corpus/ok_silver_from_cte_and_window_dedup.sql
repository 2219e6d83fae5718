-- ==> compiled/silver/order_items.sql
-- model: silver.order_items  materialized: merge  format: iceberg
-- relation: lake.silver.order_items
WITH ranked AS (
  SELECT *, row_number() OVER (PARTITION BY order_id, line_no ORDER BY _ingested_at DESC) AS rn
  FROM lake.bronze.order_items
  WHERE order_id IS NOT NULL AND line_no IS NOT NULL
)
SELECT order_id, line_no, sku, coalesce(qty, 0) AS qty, coalesce(unit_price, CAST(0 AS DECIMAL(10, 2))) AS unit_price,
       CAST(coalesce(qty, 0) * coalesce(unit_price, 0) AS DECIMAL(21, 2)) AS line_amount
FROM ranked
WHERE rn = 1
