-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT v.code, v.label, c.customer_id
FROM lake.silver.customers AS c
JOIN (VALUES ('NL', 'Netherlands'), ('DE', 'Germany')) AS v(code, label) ON v.code = c.country
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `code`, `label`, `customer_id`
FROM __sqlingest_stage__golden
