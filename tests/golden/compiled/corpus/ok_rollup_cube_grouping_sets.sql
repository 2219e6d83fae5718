-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status, customer_id, sum(amount) AS total, grouping(status) AS g
FROM lake.silver.orders
GROUP BY ROLLUP (status, customer_id)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`, `customer_id`, `total`, `g`
FROM __sqlingest_stage__golden
