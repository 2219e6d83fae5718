-- ==> compiled/gold/a_orders.sql
-- model: gold.a_orders  materialized: table  format: iceberg
-- relation: lake.gold.a_orders
SELECT id, customer_id FROM source__k__orders
-- ==> compiled/gold/z_customers.sql
-- model: gold.z_customers  materialized: table  format: iceberg
-- relation: lake.gold.z_customers
SELECT id FROM source__k__customers
-- ==> statement gold.a_orders: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.a_orders (
  `id` BIGINT,
  `customer_id` BIGINT
)
USING iceberg
-- ==> statement gold.a_orders: write
INSERT OVERWRITE TABLE lake.gold.a_orders
SELECT `id`, `customer_id`
FROM __sqlingest_stage__golden
-- ==> statement gold.z_customers: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.z_customers (
  `id` BIGINT
)
USING iceberg
-- ==> statement gold.z_customers: write
INSERT OVERWRITE TABLE lake.gold.z_customers
SELECT `id`
FROM __sqlingest_stage__golden
