-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, amount * 2 AS doubled
FROM lake.silver.orders
ORDER BY doubled DESC, 1, ordered_at NULLS LAST
LIMIT 10
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `doubled`
FROM __sqlingest_stage__golden
