-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
(SELECT customer_id FROM lake.silver.customers
 INTERSECT
 SELECT customer_id FROM lake.silver.orders)
UNION
(SELECT customer_id FROM lake.silver.customers
 EXCEPT
 SELECT customer_id FROM lake.silver.orders WHERE is_gift)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`
FROM __sqlingest_stage__golden
