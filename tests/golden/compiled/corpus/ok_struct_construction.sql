-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT named_struct('id', order_id, 'amt', amount) AS s1,
       struct(order_id, status) AS s2,
       struct(order_id AS id, amount) AS s3
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `s1`, `s2`, `s3`
FROM __sqlingest_stage__golden
