-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
WITH c AS (SELECT customer_id, name FROM lake.silver.customers)
SELECT a.customer_id, b.name
FROM c AS a JOIN c AS b ON a.customer_id = b.customer_id
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `name`
FROM __sqlingest_stage__golden
