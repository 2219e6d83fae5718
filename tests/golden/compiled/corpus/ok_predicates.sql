-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id
FROM lake.silver.orders
WHERE status IN ('paid', 'shipped') AND amount BETWEEN 1 AND 100
  AND status LIKE 'p%' AND status RLIKE '^p' AND status ILIKE 'P%'
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`
FROM __sqlingest_stage__golden
