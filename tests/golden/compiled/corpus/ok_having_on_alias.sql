-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status, sum(amount) AS total
FROM lake.silver.orders
GROUP BY status
HAVING total > 100
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`, `total`
FROM __sqlingest_stage__golden
