-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_date AS d, status AS s FROM lake.silver.orders
UNION ALL
SELECT ordered_at, CAST(quantity AS STRING) FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `d`, `s`
FROM __sqlingest_stage__golden
