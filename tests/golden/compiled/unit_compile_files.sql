-- ==> compiled/bronze/orders.sql
-- model: bronze.orders  materialized: append  format: iceberg
-- relation: lake.bronze.orders
SELECT * FROM source__shop__orders
-- ==> compiled/gold/by_status.sql
-- model: gold.by_status  materialized: table  format: iceberg
-- relation: lake.gold.by_status
SELECT status, COUNT(*) AS n FROM lake.silver.orders GROUP BY status
-- ==> compiled/silver/orders.sql
-- model: silver.orders  materialized: merge  format: iceberg
-- relation: lake.silver.orders
SELECT id, amount, UPPER(status) AS status
FROM lake.bronze.orders
-- ==> statement bronze.orders: write
INSERT INTO lake.bronze.orders
SELECT `id`, `amount`, `status`, `_rescued_data`, `_source_file`
FROM __sqlingest_stage__golden
-- ==> statement gold.by_status: write
INSERT OVERWRITE TABLE lake.gold.by_status
SELECT `status`, `n`
FROM __sqlingest_stage__golden
-- ==> statement silver.orders: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.orders (
  `id` BIGINT,
  `amount` DECIMAL(10,2),
  `status` STRING
)
USING iceberg
-- ==> statement silver.orders: write
MERGE INTO lake.silver.orders AS t
USING (
  SELECT `id`, `amount`, `status`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY xxhash64(`id`, `amount`, `status`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND NOT (
  t.`amount` <=> s.`amount` AND
  t.`status` <=> s.`status`
) THEN UPDATE SET
  `amount` = s.`amount`,
  `status` = s.`status`
WHEN NOT MATCHED THEN INSERT (`id`, `amount`, `status`)
VALUES (s.`id`, s.`amount`, s.`status`)
