-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT NULL AS nothing, CAST(NULL AS INT) AS null_int, CAST(NULL AS STRING) AS null_string,
       coalesce(NULL, 1) AS one, array(NULL, 1) AS arr, CASE WHEN false THEN NULL ELSE 'x' END AS x
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `nothing`, `null_int`, `null_string`, `one`, `arr`, `x`
FROM __sqlingest_stage__golden
