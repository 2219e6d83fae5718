-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id, sum(amount) AS s, avg(amount) AS a, min(amount) AS mn, max(discount) AS mx,
       sum(discount) AS sd, avg(discount) AS ad
FROM lake.silver.orders
GROUP BY customer_id
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `s`, `a`, `mn`, `mx`, `sd`, `ad`
FROM __sqlingest_stage__golden
