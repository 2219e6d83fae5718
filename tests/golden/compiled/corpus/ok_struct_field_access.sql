-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, ship_to.street, o.ship_to.zip AS zip, items[0].sku AS first_sku, items.qty AS qtys
FROM lake.silver.orders AS o
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `street`, `zip`, `first_sku`, `qtys`
FROM __sqlingest_stage__golden
