-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT c.customer_id, c.name
FROM lake.silver.customers AS c
WHERE EXISTS (SELECT 1 FROM lake.silver.orders AS o WHERE o.customer_id = c.customer_id AND o.is_gift)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `name`
FROM __sqlingest_stage__golden
