-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id,
       count(*) FILTER (WHERE is_gift) AS gifts,
       sum(amount) FILTER (WHERE status = 'paid') AS paid
FROM lake.silver.orders
GROUP BY customer_id
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `gifts`, `paid`
FROM __sqlingest_stage__golden
