-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT c.country, i.sku, sum(i.line_amount) AS revenue
FROM lake.silver.order_items AS i
JOIN lake.silver.orders AS o ON o.order_id = i.order_id
LEFT JOIN lake.silver.customers AS c ON c.customer_id = o.customer_id
GROUP BY c.country, i.sku
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `country`, `sku`, `revenue`
FROM __sqlingest_stage__golden
