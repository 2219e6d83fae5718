-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT priority + priority AS tt, priority + channel AS ts, channel * 2 AS s2, priority * 1L AS tb,
       sum(priority) OVER () AS total, avg(channel) OVER () AS a, CAST(priority AS DECIMAL(5, 1)) + 1 AS d
FROM source__shop__orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `tt`, `ts`, `s2`, `tb`, `total`, `a`, `d`
FROM __sqlingest_stage__golden
