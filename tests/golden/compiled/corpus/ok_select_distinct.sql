-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT DISTINCT country, vip FROM lake.silver.customers
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `country`, `vip`
FROM __sqlingest_stage__golden
