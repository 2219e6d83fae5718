-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id, name
FROM lake.silver.customers
WHERE customer_id IN (SELECT customer_id FROM lake.silver.orders WHERE status = 'paid')
  AND customer_id NOT IN (SELECT customer_id FROM lake.silver.orders WHERE customer_id IS NOT NULL AND is_gift)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `name`
FROM __sqlingest_stage__golden
