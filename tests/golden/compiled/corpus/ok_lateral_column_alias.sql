-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, amount * 2 AS doubled, doubled + 1 AS doubled_plus
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `doubled`, `doubled_plus`
FROM __sqlingest_stage__golden
