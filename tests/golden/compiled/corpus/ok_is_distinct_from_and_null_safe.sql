-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT o.order_id
FROM lake.silver.orders AS o JOIN lake.silver.customers AS c
  ON o.customer_id <=> c.customer_id
WHERE o.status IS DISTINCT FROM 'cancelled' AND o.is_gift IS NOT TRUE
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`
FROM __sqlingest_stage__golden
