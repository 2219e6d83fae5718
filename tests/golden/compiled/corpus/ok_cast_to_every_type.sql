-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT CAST(quantity AS TINYINT) AS t, CAST(quantity AS SMALLINT) AS s, CAST(quantity AS INT) AS i,
       CAST(quantity AS BIGINT) AS b, CAST(quantity AS FLOAT) AS f, CAST(quantity AS DOUBLE) AS d,
       CAST(quantity AS DECIMAL(10, 2)) AS d1, CAST(quantity AS DECIMAL(38, 10)) AS d2,
       CAST(quantity AS DECIMAL) AS d3, CAST(quantity AS STRING) AS str, CAST(quantity AS BOOLEAN) AS bo,
       CAST(ordered_at AS DATE) AS dt, CAST(order_date AS TIMESTAMP) AS ts, CAST(status AS BINARY) AS bin,
       CAST(tags AS ARRAY<BIGINT>) AS arr, CAST(attrs AS MAP<STRING, BIGINT>) AS mp,
       CAST(ship_to AS STRUCT<street: STRING, zip: STRING>) AS st, CAST(quantity AS LONG) AS l,
       CAST(quantity AS INTEGER) AS i2, CAST(quantity AS REAL) AS r, CAST(quantity AS NUMERIC(5, 1)) AS n,
       try_cast(status AS INT) AS tc
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `t`, `s`, `i`, `b`, `f`, `d`, `d1`, `d2`, `d3`, `str`, `bo`, `dt`, `ts`, `bin`, `arr`, `mp`, `st`, `l`, `i2`, `r`, `n`, `tc`
FROM __sqlingest_stage__golden
