-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT 1 AS i, 10000000000 AS big, 1.5 AS dec, 1e3 AS dbl, 1L AS l, 1Y AS ty, 1S AS sm, 1.25BD AS bd,
       1.5D AS d, 'x' AS s, true AS b, DATE '2024-01-01' AS dt, TIMESTAMP '2024-01-01 10:00:00' AS ts,
       X'CAFE' AS bin, -0.001 AS neg, 12345678901234567890 AS huge
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `i`, `big`, `dec`, `dbl`, `l`, `ty`, `sm`, `bd`, `d`, `s`, `b`, `dt`, `ts`, `bin`, `neg`, `huge`
FROM __sqlingest_stage__golden
