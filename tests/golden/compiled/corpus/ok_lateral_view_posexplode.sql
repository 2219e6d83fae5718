-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, pos, col
FROM lake.silver.orders
LATERAL VIEW posexplode(tags) p
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `pos`, `col`
FROM __sqlingest_stage__golden
