-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, key, value
FROM lake.silver.orders
LATERAL VIEW OUTER explode(attrs) a
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `key`, `value`
FROM __sqlingest_stage__golden
