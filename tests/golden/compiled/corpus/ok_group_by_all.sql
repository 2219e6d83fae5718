-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status, upper(status) AS s, sum(amount) AS total
FROM lake.silver.orders
GROUP BY ALL
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`, `s`, `total`
FROM __sqlingest_stage__golden
