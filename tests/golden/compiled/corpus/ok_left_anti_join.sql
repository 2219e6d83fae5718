-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id, name
FROM lake.silver.customers AS c
LEFT ANTI JOIN lake.silver.orders AS o ON o.customer_id = c.customer_id
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `name`
FROM __sqlingest_stage__golden
