-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, explode(tags) AS tag
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `tag`
FROM __sqlingest_stage__golden
