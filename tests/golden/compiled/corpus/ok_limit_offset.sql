-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id FROM lake.silver.orders ORDER BY order_id LIMIT 10 OFFSET 5
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`
FROM __sqlingest_stage__golden
