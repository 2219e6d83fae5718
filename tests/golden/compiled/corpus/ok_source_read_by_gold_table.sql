-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, priority, channel, priority + channel AS pc, priority + 1 AS p1
FROM source__shop__orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `priority`, `channel`, `pc`, `p1`
FROM __sqlingest_stage__golden
