-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT o.*, c.name AS customer_name
FROM lake.silver.order_items AS o
LEFT JOIN lake.silver.customers AS c ON c.customer_id = o.line_no
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `line_no`, `sku`, `qty`, `unit_price`, `line_amount`, `customer_name`
FROM __sqlingest_stage__golden
