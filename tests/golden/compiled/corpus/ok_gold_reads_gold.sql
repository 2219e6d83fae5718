-- ==> compiled/gold/t1.sql
-- model: gold.t1  materialized: table  format: iceberg
-- relation: lake.gold.t1
SELECT customer_id, sum(amount) AS total, count(*) AS n FROM lake.silver.orders GROUP BY customer_id
-- ==> compiled/gold/t2.sql
-- model: gold.t2  materialized: table  format: iceberg
-- relation: lake.gold.t2
SELECT t.customer_id, t.total / t.n AS avg_total, c.name
FROM lake.gold.t1 AS t JOIN lake.silver.customers AS c ON c.customer_id = t.customer_id
-- ==> statement gold.t1: write
INSERT OVERWRITE TABLE lake.gold.t1
SELECT `customer_id`, `total`, `n`
FROM __sqlingest_stage__golden
-- ==> statement gold.t2: write
INSERT OVERWRITE TABLE lake.gold.t2
SELECT `customer_id`, `avg_total`, `name`
FROM __sqlingest_stage__golden
