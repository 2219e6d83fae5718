-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id, c.name, o.amount
FROM lake.silver.orders AS o
JOIN lake.silver.customers AS c USING (customer_id)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `name`, `amount`
FROM __sqlingest_stage__golden
