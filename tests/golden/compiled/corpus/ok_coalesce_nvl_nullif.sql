-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT coalesce(quantity, order_id) AS c1, coalesce(amount, 0) AS c2, coalesce(status, 'none') AS c3,
       nvl(priority, 0) AS c4, nullif(quantity, 0) AS c5, ifnull(score, weight) AS c6,
       coalesce(discount, amount) AS c7, nvl2(status, 1, 0) AS c8
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `c1`, `c2`, `c3`, `c4`, `c5`, `c6`, `c7`, `c8`
FROM __sqlingest_stage__golden
