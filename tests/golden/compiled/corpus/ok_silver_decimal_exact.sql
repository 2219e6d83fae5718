-- ==> compiled/silver/order_items.sql
-- model: silver.order_items  materialized: merge  format: iceberg
-- relation: lake.silver.order_items
SELECT order_id, line_no, sku, qty, unit_price, qty * unit_price AS line_amount
FROM lake.bronze.order_items
WHERE order_id IS NOT NULL AND line_no IS NOT NULL AND qty IS NOT NULL AND unit_price IS NOT NULL
