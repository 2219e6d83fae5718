-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT t.id, t.total
FROM (SELECT customer_id, sum(amount) FROM lake.silver.orders GROUP BY customer_id) AS t(id, total)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `id`, `total`
FROM __sqlingest_stage__golden
