-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, tag, it.sku
FROM lake.silver.orders
LATERAL VIEW explode(tags) t AS tag
LATERAL VIEW OUTER explode(items) i AS it
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `tag`, `sku`
FROM __sqlingest_stage__golden
