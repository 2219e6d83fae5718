-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id AS id, amount AS v FROM lake.silver.orders
UNION ALL
SELECT order_id, quantity FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `id`, `v`
FROM __sqlingest_stage__golden
