-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT quantity AS v, priority AS w, score AS x FROM lake.silver.orders
UNION ALL
SELECT amount, order_id, weight FROM lake.silver.orders
UNION ALL
SELECT discount, CAST(1 AS TINYINT), 1 FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `v`, `w`, `x`
FROM __sqlingest_stage__golden
