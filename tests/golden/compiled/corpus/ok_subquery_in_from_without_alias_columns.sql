-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT n FROM (SELECT count(*) AS n FROM lake.silver.orders) AS x
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `n`
FROM __sqlingest_stage__golden
