-- ==> compiled/gold/order_stats.sql
-- model: gold.order_stats  materialized: table  format: iceberg
-- relation: lake.gold.order_stats
SELECT status, count(*) AS n, sum(amount) AS total, avg(quantity) AS avg_qty, min(ordered_at) AS first_at
FROM lake.silver.orders
GROUP BY status
-- ==> statement gold.order_stats: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.order_stats (
  `status` STRING,
  `n` BIGINT,
  `total` DECIMAL(20,2),
  `avg_qty` DOUBLE,
  `first_at` TIMESTAMP
)
USING iceberg
-- ==> statement gold.order_stats: write
INSERT OVERWRITE TABLE lake.gold.order_stats
SELECT `status`, `n`, `total`, `avg_qty`, `first_at`
FROM __sqlingest_stage__golden
