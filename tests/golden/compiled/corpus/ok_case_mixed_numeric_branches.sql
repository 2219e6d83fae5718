-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT CASE WHEN is_gift THEN quantity WHEN amount > 10 THEN order_id ELSE amount END AS mixed,
       CASE status WHEN 'paid' THEN 1 WHEN 'open' THEN 2L END AS code,
       CASE WHEN is_gift THEN 'gift' END AS kind,
       IF(is_gift, 1, 2.5) AS if_mixed
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `mixed`, `code`, `kind`, `if_mixed`
FROM __sqlingest_stage__golden
