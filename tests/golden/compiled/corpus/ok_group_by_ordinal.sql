-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status, customer_id, count(*) AS n
FROM lake.silver.orders
GROUP BY 1, 2
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`, `customer_id`, `n`
FROM __sqlingest_stage__golden
