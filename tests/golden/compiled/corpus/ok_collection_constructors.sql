-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT array(1, 2, 3) AS a, array(1, 2L) AS b, map('a', 1) AS m, map_from_arrays(array('x'), array(1.5)) AS m2,
       array_distinct(tags) AS d, sort_array(tags) AS s, concat(tags, array(9)) AS c, flatten(array(tags, tags)) AS f,
       sequence(1, 5) AS seq, split('a,b', ',') AS parts, array_join(array('a', 'b'), '-') AS j,
       arrays_zip(tags, tags) AS z
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `a`, `b`, `m`, `m2`, `d`, `s`, `c`, `f`, `seq`, `parts`, `j`, `z`
FROM __sqlingest_stage__golden
