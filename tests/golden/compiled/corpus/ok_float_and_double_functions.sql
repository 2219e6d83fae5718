-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT round(score, 2) AS r, round(amount, 1) AS ra, round(quantity) AS rq, floor(score) AS fl,
       ceil(amount) AS cl, sqrt(quantity) AS sq, pow(2, quantity) AS p, ln(score) AS l, exp(1) AS e,
       greatest(quantity, priority, 3) AS g, least(amount, 5) AS ls, stddev(score) OVER () AS sd
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `r`, `ra`, `rq`, `fl`, `cl`, `sq`, `p`, `l`, `e`, `g`, `ls`, `sd`
FROM __sqlingest_stage__golden
