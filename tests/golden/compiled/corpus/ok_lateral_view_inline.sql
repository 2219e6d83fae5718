-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, sku, qty
FROM lake.silver.orders
LATERAL VIEW inline(items) x
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `sku`, `qty`
FROM __sqlingest_stage__golden
