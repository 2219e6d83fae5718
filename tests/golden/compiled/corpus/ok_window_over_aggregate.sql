-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id, sum(amount) AS total,
       rank() OVER (ORDER BY sum(amount) DESC) AS rnk
FROM lake.silver.orders
GROUP BY customer_id
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `total`, `rnk`
FROM __sqlingest_stage__golden
