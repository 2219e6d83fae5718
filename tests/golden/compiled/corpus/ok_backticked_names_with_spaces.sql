-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT `order_id` AS `order id`, amount AS `Amount (EUR)`, `o`.`status`
FROM lake.silver.orders AS `o`
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order id`, `Amount (EUR)`, `status`
FROM __sqlingest_stage__golden
