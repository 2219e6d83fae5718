-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, amount
FROM lake.silver.orders TABLESAMPLE (10 PERCENT)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `amount`
FROM __sqlingest_stage__golden
