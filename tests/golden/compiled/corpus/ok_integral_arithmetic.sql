-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT quantity + priority AS a, quantity * order_id AS b, quantity div 2 AS c, -quantity AS d,
       quantity % 7 AS e, abs(quantity) AS f, quantity & 1 AS g, pmod(quantity, 3) AS h,
       weight * 2 AS i, weight + score AS j, score / 3 AS k, weight * quantity AS l
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `a`, `b`, `c`, `d`, `e`, `f`, `g`, `h`, `i`, `j`, `k`, `l`
FROM __sqlingest_stage__golden
