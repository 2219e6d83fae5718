-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, tag
FROM lake.silver.orders
LATERAL VIEW explode(tags) t AS tag
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `tag`
FROM __sqlingest_stage__golden
