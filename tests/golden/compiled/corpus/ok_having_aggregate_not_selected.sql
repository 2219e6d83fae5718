-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status
FROM lake.silver.orders
GROUP BY status
HAVING count(*) > 1 AND max(amount) < 1000
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`
FROM __sqlingest_stage__golden
