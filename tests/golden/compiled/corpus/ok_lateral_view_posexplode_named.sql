-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, p.i, p.item.sku, item.qty
FROM lake.silver.orders
LATERAL VIEW posexplode(items) p AS i, item
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `i`, `sku`, `qty`
FROM __sqlingest_stage__golden
