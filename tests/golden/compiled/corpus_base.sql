-- ==> compiled/bronze/customers.sql
-- model: bronze.customers  materialized: append  format: iceberg
-- relation: lake.bronze.customers
SELECT * FROM source__shop__customers
-- ==> compiled/bronze/order_items.sql
-- model: bronze.order_items  materialized: append  format: iceberg
-- relation: lake.bronze.order_items
SELECT * FROM source__shop__order_items
-- ==> compiled/bronze/orders.sql
-- model: bronze.orders  materialized: append  format: iceberg
-- relation: lake.bronze.orders
SELECT order_id, customer_id, status, amount, discount, ordered_at, order_date, is_gift,
       CAST(priority AS INT) AS priority, CAST(channel AS INT) AS channel,
       weight, score, quantity, tags, items, attrs, ship_to, payload, _rescued_data, _source_file
FROM source__shop__orders
-- ==> compiled/gold/customer_totals.sql
-- model: gold.customer_totals  materialized: table  format: iceberg
-- relation: lake.gold.customer_totals
SELECT c.customer_id, c.name, COUNT(o.order_id) AS orders, SUM(o.amount) AS total
FROM lake.silver.customers AS c
LEFT JOIN lake.silver.orders AS o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.name
-- ==> compiled/silver/customers.sql
-- model: silver.customers  materialized: merge  format: iceberg
-- relation: lake.silver.customers
SELECT customer_id, NULLIF(TRIM(name), '') AS name, LOWER(email) AS email, UPPER(country) AS country,
       signup_date, vip, updated_at
FROM lake.bronze.customers
WHERE customer_id IS NOT NULL AND name IS NOT NULL
-- ==> compiled/silver/order_items.sql
-- model: silver.order_items  materialized: merge  format: iceberg
-- relation: lake.silver.order_items
SELECT order_id, line_no, sku, qty, unit_price, CAST(qty * unit_price AS DECIMAL(21, 2)) AS line_amount
FROM lake.bronze.order_items
WHERE order_id IS NOT NULL AND line_no IS NOT NULL AND qty IS NOT NULL AND unit_price IS NOT NULL
-- ==> compiled/silver/orders.sql
-- model: silver.orders  materialized: merge  format: iceberg
-- relation: lake.silver.orders
SELECT order_id, customer_id, LOWER(status) AS status, CAST(COALESCE(amount, 0) AS DECIMAL(10, 2)) AS amount, discount,
       ordered_at, order_date, is_gift, priority, channel, weight, score, quantity, tags, items, attrs,
       ship_to, payload
FROM lake.bronze.orders
WHERE order_id IS NOT NULL AND ordered_at IS NOT NULL
-- ==> statement bronze.customers: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.customers (
  `customer_id` INT,
  `name` STRING,
  `email` STRING,
  `country` STRING,
  `signup_date` DATE,
  `vip` BOOLEAN,
  `updated_at` TIMESTAMP,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.customers: write
INSERT INTO lake.bronze.customers
SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `vip`, `updated_at`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.order_items: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.order_items (
  `order_id` BIGINT,
  `line_no` INT,
  `sku` STRING,
  `qty` INT,
  `unit_price` DECIMAL(10,2),
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.order_items: write
INSERT INTO lake.bronze.order_items
SELECT `order_id`, `line_no`, `sku`, `qty`, `unit_price`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.orders: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.orders (
  `order_id` BIGINT,
  `customer_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `discount` DECIMAL(38,10),
  `ordered_at` TIMESTAMP,
  `order_date` DATE,
  `is_gift` BOOLEAN,
  `priority` INT,
  `channel` INT,
  `weight` FLOAT,
  `score` DOUBLE,
  `quantity` INT,
  `tags` ARRAY<INT>,
  `items` ARRAY<STRUCT<SKU:STRING,QTY:INT>>,
  `attrs` MAP<STRING,INT>,
  `ship_to` STRUCT<STREET:STRING,ZIP:STRING>,
  `payload` BINARY,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.orders: write
INSERT INTO lake.bronze.orders
SELECT `order_id`, `customer_id`, `status`, `amount`, `discount`, `ordered_at`, `order_date`, `is_gift`, `priority`, `channel`, `weight`, `score`, `quantity`, `tags`, `items`, `attrs`, `ship_to`, `payload`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement gold.customer_totals: write
INSERT OVERWRITE TABLE lake.gold.customer_totals
SELECT `customer_id`, `name`, `orders`, `total`
FROM __sqlingest_stage__golden
-- ==> statement silver.customers: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.customers (
  `customer_id` INT,
  `name` STRING,
  `email` STRING,
  `country` STRING,
  `signup_date` DATE,
  `vip` BOOLEAN,
  `updated_at` TIMESTAMP
)
USING iceberg
-- ==> statement silver.customers: write
MERGE INTO lake.silver.customers AS t
USING (
  SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `vip`, `updated_at`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `customer_id`
      ORDER BY `updated_at` DESC NULLS LAST, xxhash64(`customer_id`, `name`, `email`, `country`, `signup_date`, `vip`, `updated_at`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`customer_id` = s.`customer_id`
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`email` <=> s.`email` AND
  t.`country` <=> s.`country` AND
  t.`signup_date` <=> s.`signup_date` AND
  t.`vip` <=> s.`vip` AND
  t.`updated_at` <=> s.`updated_at`
) THEN UPDATE SET
  `name` = s.`name`,
  `email` = s.`email`,
  `country` = s.`country`,
  `signup_date` = s.`signup_date`,
  `vip` = s.`vip`,
  `updated_at` = s.`updated_at`
WHEN NOT MATCHED THEN INSERT (`customer_id`, `name`, `email`, `country`, `signup_date`, `vip`, `updated_at`)
VALUES (s.`customer_id`, s.`name`, s.`email`, s.`country`, s.`signup_date`, s.`vip`, s.`updated_at`)
-- ==> statement silver.order_items: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.order_items (
  `order_id` BIGINT,
  `line_no` INT,
  `sku` STRING,
  `qty` INT,
  `unit_price` DECIMAL(10,2),
  `line_amount` DECIMAL(21,2)
)
USING iceberg
-- ==> statement silver.order_items: write
MERGE INTO lake.silver.order_items AS t
USING (
  SELECT `order_id`, `line_no`, `sku`, `qty`, `unit_price`, `line_amount`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `order_id`, `line_no`
      ORDER BY xxhash64(`order_id`, `line_no`, `sku`, `qty`, `unit_price`, `line_amount`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`order_id` = s.`order_id` AND t.`line_no` = s.`line_no`
WHEN MATCHED AND NOT (
  t.`sku` <=> s.`sku` AND
  t.`qty` <=> s.`qty` AND
  t.`unit_price` <=> s.`unit_price` AND
  t.`line_amount` <=> s.`line_amount`
) THEN UPDATE SET
  `sku` = s.`sku`,
  `qty` = s.`qty`,
  `unit_price` = s.`unit_price`,
  `line_amount` = s.`line_amount`
WHEN NOT MATCHED THEN INSERT (`order_id`, `line_no`, `sku`, `qty`, `unit_price`, `line_amount`)
VALUES (s.`order_id`, s.`line_no`, s.`sku`, s.`qty`, s.`unit_price`, s.`line_amount`)
-- ==> statement silver.orders: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.orders (
  `order_id` BIGINT,
  `customer_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `discount` DECIMAL(38,10),
  `ordered_at` TIMESTAMP,
  `order_date` DATE,
  `is_gift` BOOLEAN,
  `priority` INT,
  `channel` INT,
  `weight` FLOAT,
  `score` DOUBLE,
  `quantity` INT,
  `tags` ARRAY<INT>,
  `items` ARRAY<STRUCT<SKU:STRING,QTY:INT>>,
  `attrs` MAP<STRING,INT>,
  `ship_to` STRUCT<STREET:STRING,ZIP:STRING>,
  `payload` BINARY
)
USING iceberg
-- ==> statement silver.orders: write
MERGE INTO lake.silver.orders AS t
USING (
  SELECT `order_id`, `customer_id`, `status`, `amount`, `discount`, `ordered_at`, `order_date`, `is_gift`, `priority`, `channel`, `weight`, `score`, `quantity`, `tags`, `items`, `attrs`, `ship_to`, `payload`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `order_id`
      ORDER BY `ordered_at` DESC NULLS LAST, xxhash64(`order_id`, `customer_id`, `status`, `amount`, `discount`, `ordered_at`, `order_date`, `is_gift`, `priority`, `channel`, `weight`, `score`, `quantity`, `tags`, `items`, `attrs`, `ship_to`, `payload`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`order_id` = s.`order_id`
WHEN MATCHED AND NOT (
  t.`customer_id` <=> s.`customer_id` AND
  t.`status` <=> s.`status` AND
  t.`amount` <=> s.`amount` AND
  t.`discount` <=> s.`discount` AND
  t.`ordered_at` <=> s.`ordered_at` AND
  t.`order_date` <=> s.`order_date` AND
  t.`is_gift` <=> s.`is_gift` AND
  t.`priority` <=> s.`priority` AND
  t.`channel` <=> s.`channel` AND
  t.`weight` <=> s.`weight` AND
  t.`score` <=> s.`score` AND
  t.`quantity` <=> s.`quantity` AND
  t.`tags` <=> s.`tags` AND
  t.`items` <=> s.`items` AND
  t.`attrs` <=> s.`attrs` AND
  t.`ship_to` <=> s.`ship_to` AND
  t.`payload` <=> s.`payload`
) THEN UPDATE SET
  `customer_id` = s.`customer_id`,
  `status` = s.`status`,
  `amount` = s.`amount`,
  `discount` = s.`discount`,
  `ordered_at` = s.`ordered_at`,
  `order_date` = s.`order_date`,
  `is_gift` = s.`is_gift`,
  `priority` = s.`priority`,
  `channel` = s.`channel`,
  `weight` = s.`weight`,
  `score` = s.`score`,
  `quantity` = s.`quantity`,
  `tags` = s.`tags`,
  `items` = s.`items`,
  `attrs` = s.`attrs`,
  `ship_to` = s.`ship_to`,
  `payload` = s.`payload`
WHEN NOT MATCHED THEN INSERT (`order_id`, `customer_id`, `status`, `amount`, `discount`, `ordered_at`, `order_date`, `is_gift`, `priority`, `channel`, `weight`, `score`, `quantity`, `tags`, `items`, `attrs`, `ship_to`, `payload`)
VALUES (s.`order_id`, s.`customer_id`, s.`status`, s.`amount`, s.`discount`, s.`ordered_at`, s.`order_date`, s.`is_gift`, s.`priority`, s.`channel`, s.`weight`, s.`score`, s.`quantity`, s.`tags`, s.`items`, s.`attrs`, s.`ship_to`, s.`payload`)
