-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status AS s, NULL AS n FROM lake.silver.orders
UNION ALL
SELECT 'x', 1.5 FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `s`, `n`
FROM __sqlingest_stage__golden
