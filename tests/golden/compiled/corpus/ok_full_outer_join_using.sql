-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, o.amount, i.line_amount
FROM lake.silver.orders AS o
FULL OUTER JOIN lake.silver.order_items AS i USING (order_id)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `amount`, `line_amount`
FROM __sqlingest_stage__golden
