-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT c.customer_id,
       (SELECT max(o.amount) FROM lake.silver.orders AS o WHERE o.customer_id = c.customer_id) AS biggest
FROM lake.silver.customers AS c
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `biggest`
FROM __sqlingest_stage__golden
