-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT quantity + priority AS qp, (quantity + priority) * 2 AS qp2, count(*) AS n
FROM lake.silver.orders
GROUP BY quantity + priority
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `qp`, `qp2`, `n`
FROM __sqlingest_stage__golden
