-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT c.customer_id, s.status
FROM lake.silver.customers AS c
CROSS JOIN (SELECT DISTINCT status FROM lake.silver.orders) AS s
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `status`
FROM __sqlingest_stage__golden
