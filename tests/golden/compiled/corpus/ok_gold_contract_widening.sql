-- ==> compiled/gold/order_stats.sql
-- model: gold.order_stats  materialized: table  format: iceberg
-- relation: lake.gold.order_stats
SELECT customer_id, sum(amount) AS total, min(order_date) AS first_day
FROM lake.silver.orders
GROUP BY customer_id
-- ==> statement gold.order_stats: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.order_stats (
  `customer_id` BIGINT,
  `total` DECIMAL(31,2),
  `first_day` TIMESTAMP
)
USING iceberg
-- ==> statement gold.order_stats: write
INSERT OVERWRITE TABLE lake.gold.order_stats
SELECT `customer_id`, `total`, `first_day`
FROM __sqlingest_stage__golden
