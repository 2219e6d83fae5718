-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT max(n) AS most_orders, avg(n) AS avg_orders
FROM (SELECT customer_id, count(*) AS n FROM lake.silver.orders GROUP BY customer_id) AS per_customer
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `most_orders`, `avg_orders`
FROM __sqlingest_stage__golden
