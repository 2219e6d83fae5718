-- ==> compiled/bronze/customers.sql
-- model: bronze.customers  materialized: append  format: iceberg
-- relation: lake.bronze.customers
-- Raw customers as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM source__retail__customers
-- ==> compiled/bronze/order_lines.sql
-- model: bronze.order_lines  materialized: append  format: iceberg
-- relation: lake.bronze.order_lines
-- Raw order_lines as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM source__retail__order_lines
-- ==> compiled/bronze/orders.sql
-- model: bronze.orders  materialized: append  format: iceberg
-- relation: lake.bronze.orders
-- Raw orders as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM source__retail__orders
-- ==> compiled/bronze/products.sql
-- model: bronze.products  materialized: append  format: iceberg
-- relation: lake.bronze.products
-- Raw products as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM source__retail__products
-- ==> compiled/gold/customer_value.sql
-- model: gold.customer_value  materialized: table  format: iceberg
-- relation: lake.gold.customer_value
WITH order_totals AS (
  SELECT o.order_id, o.customer_id, o.order_ts, SUM(l.amount) AS total
  FROM lake.silver.orders AS o
  JOIN lake.silver.order_lines AS l ON l.order_id = o.order_id
  GROUP BY o.order_id, o.customer_id, o.order_ts
)
SELECT
  c.customer_id,
  c.name,
  c.country,
  COUNT(t.order_id) AS orders,
  CAST(COALESCE(SUM(t.total), 0) AS DECIMAL(31, 2)) AS lifetime_value,
  MIN(t.order_ts) AS first_order_ts,
  MAX(t.order_ts) AS last_order_ts
FROM lake.silver.customers AS c
LEFT JOIN order_totals AS t ON t.customer_id = c.customer_id
WHERE c.is_current
GROUP BY c.customer_id, c.name, c.country
-- ==> compiled/gold/daily_revenue.sql
-- model: gold.daily_revenue  materialized: table  format: iceberg
-- relation: lake.gold.daily_revenue
SELECT
  o.order_date,
  COUNT(DISTINCT o.order_id) AS orders,
  CAST(SUM(l.quantity) AS BIGINT) AS items,
  CAST(SUM(l.amount) AS DECIMAL(31, 2)) AS revenue,
  'EUR' AS currency
FROM lake.silver.orders AS o
JOIN lake.silver.order_lines AS l ON l.order_id = o.order_id
GROUP BY o.order_date
-- ==> compiled/gold/product_sales.sql
-- model: gold.product_sales  materialized: table  format: iceberg
-- relation: lake.gold.product_sales
SELECT
  p.product_id,
  p.name AS product_name,
  p.category,
  CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS units,
  CAST(COALESCE(SUM(l.amount), 0) AS DECIMAL(31, 2)) AS revenue
FROM lake.silver.products AS p
LEFT JOIN lake.silver.order_lines AS l ON l.product_id = p.product_id
GROUP BY p.product_id, p.name, p.category
-- ==> compiled/silver/customers.sql
-- model: silver.customers  materialized: scd2  format: iceberg
-- relation: lake.silver.customers
SELECT
  customer_id,
  NULLIF(TRIM(name), '') AS name,
  LOWER(NULLIF(TRIM(email), '')) AS email,
  UPPER(country) AS country,
  signup_date,
  updated_at
FROM lake.bronze.customers
WHERE customer_id IS NOT NULL AND updated_at IS NOT NULL
-- ==> compiled/silver/order_lines.sql
-- model: silver.order_lines  materialized: merge  format: iceberg
-- relation: lake.silver.order_lines
SELECT
  order_id,
  line_no,
  product_id,
  quantity,
  unit_price,
  CAST(quantity * unit_price AS DECIMAL(21, 2)) AS amount
FROM lake.bronze.order_lines
WHERE order_id IS NOT NULL AND line_no IS NOT NULL AND product_id IS NOT NULL
  AND quantity IS NOT NULL AND unit_price IS NOT NULL
-- ==> compiled/silver/orders.sql
-- model: silver.orders  materialized: merge  format: iceberg
-- relation: lake.silver.orders
SELECT
  order_id,
  customer_id,
  order_ts,
  CAST(order_ts AS DATE) AS order_date,
  LOWER(status) AS status,
  updated_at
FROM lake.bronze.orders
WHERE order_id IS NOT NULL AND order_ts IS NOT NULL AND updated_at IS NOT NULL
  -- incremental runs re-read only the last 2 days of updates (late events within the window are merged in);
  -- backfill a range with --vars '{start: 2024-01-01, end: 2024-01-02}'
  AND TRUE
-- ==> compiled/silver/products.sql
-- model: silver.products  materialized: merge  format: iceberg
-- relation: lake.silver.products
SELECT product_id, NULLIF(TRIM(name), '') AS name, LOWER(category) AS category, price, active
FROM lake.bronze.products
WHERE product_id IS NOT NULL
-- ==> statement bronze.customers: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.customers (
  `customer_id` BIGINT,
  `name` STRING,
  `email` STRING,
  `country` STRING,
  `signup_date` DATE,
  `updated_at` TIMESTAMP,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
COMMENT 'Raw customers, append-only, as delivered.'
-- ==> statement bronze.customers: write
INSERT INTO lake.bronze.customers
SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.order_lines: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.order_lines (
  `order_id` BIGINT,
  `line_no` INT,
  `product_id` BIGINT,
  `quantity` INT,
  `unit_price` DECIMAL(10,2),
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
COMMENT 'Raw order lines, append-only.'
-- ==> statement bronze.order_lines: write
INSERT INTO lake.bronze.order_lines
SELECT `order_id`, `line_no`, `product_id`, `quantity`, `unit_price`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.orders: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.orders (
  `order_id` BIGINT,
  `customer_id` BIGINT,
  `order_ts` TIMESTAMP,
  `status` STRING,
  `updated_at` TIMESTAMP,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
COMMENT 'Raw order events, append-only.'
-- ==> statement bronze.orders: write
INSERT INTO lake.bronze.orders
SELECT `order_id`, `customer_id`, `order_ts`, `status`, `updated_at`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.products: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.products (
  `product_id` BIGINT,
  `name` STRING,
  `category` STRING,
  `price` DECIMAL(10,2),
  `active` BOOLEAN,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
COMMENT 'Raw products, append-only.'
-- ==> statement bronze.products: write
INSERT INTO lake.bronze.products
SELECT `product_id`, `name`, `category`, `price`, `active`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement gold.customer_value: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.customer_value (
  `customer_id` BIGINT,
  `name` STRING,
  `country` STRING,
  `orders` BIGINT,
  `lifetime_value` DECIMAL(31,2),
  `first_order_ts` TIMESTAMP,
  `last_order_ts` TIMESTAMP
)
USING iceberg
COMMENT 'Lifetime value per customer.'
-- ==> statement gold.customer_value: write
INSERT OVERWRITE TABLE lake.gold.customer_value
SELECT `customer_id`, `name`, `country`, `orders`, `lifetime_value`, `first_order_ts`, `last_order_ts`
FROM __sqlingest_stage__golden
-- ==> statement gold.daily_revenue: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.daily_revenue (
  `order_date` DATE,
  `orders` BIGINT,
  `items` BIGINT,
  `revenue` DECIMAL(31,2),
  `currency` STRING
)
USING iceberg
PARTITIONED BY (`order_date`)
COMMENT 'Revenue and order counts per day, for the sales dashboard.'
-- ==> statement gold.daily_revenue: write
INSERT OVERWRITE TABLE lake.gold.daily_revenue
SELECT `order_date`, `orders`, `items`, `revenue`, `currency`
FROM __sqlingest_stage__golden
-- ==> statement gold.product_sales: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.product_sales (
  `product_id` BIGINT,
  `product_name` STRING,
  `category` STRING,
  `units` BIGINT,
  `revenue` DECIMAL(31,2)
)
USING iceberg
COMMENT 'Units and revenue per product and category.'
-- ==> statement gold.product_sales: write
INSERT OVERWRITE TABLE lake.gold.product_sales
SELECT `product_id`, `product_name`, `category`, `units`, `revenue`
FROM __sqlingest_stage__golden
-- ==> statement silver.customers: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.customers (
  `customer_id` BIGINT,
  `name` STRING,
  `email` STRING,
  `country` STRING,
  `signup_date` DATE,
  `updated_at` TIMESTAMP,
  `valid_from` TIMESTAMP,
  `valid_to` TIMESTAMP,
  `is_current` BOOLEAN
)
USING iceberg
COMMENT 'Customer history (SCD2): one row per version of a customer, valid from its updated_at until the next version; is_current marks the latest. Email and country changes open a new version.'
-- ==> statement silver.customers: write (merge)
MERGE INTO lake.silver.customers AS t
USING (
  WITH batch AS (
    SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.customers: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      false AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `customer_id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `customer_id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`customer_id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.customers AS h
    JOIN batch_keys AS k ON h.`customer_id` <=> k.`customer_id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
    FROM history
    LATERAL VIEW inline(array(
      named_struct('ts', valid_from, 'del', false),
      named_struct('ts', CASE WHEN valid_to IS NOT NULL AND (__sqlingest_next IS NULL OR __sqlingest_next <> valid_to)
                         THEN valid_to END, 'del', true)
    )) __sqlingest_e AS __sqlingest_ets, __sqlingest_edel
    WHERE __sqlingest_e.__sqlingest_ets IS NOT NULL
  ),
  deduped AS (
    SELECT * FROM (
      SELECT *, bool_or(__sqlingest_src = 1 AND NOT __sqlingest_del) OVER (
        PARTITION BY `customer_id` ORDER BY __sqlingest_ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW
      ) AS __sqlingest_stored
      FROM (
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY `customer_id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`)
        ) <> __sqlingest_ts, true) AS __sqlingest_first
        FROM events
      )
    )
    WHERE __sqlingest_first
  ),
  changes AS (
    SELECT *,
      CASE
          WHEN __sqlingest_del THEN coalesce(NOT lag(__sqlingest_del) OVER w, false)
          ELSE coalesce(lag(__sqlingest_del) OVER w, true)
            OR NOT (
              lag(`name`) OVER w <=> `name` AND
              lag(`email`) OVER w <=> `email` AND
              lag(`country`) OVER w <=> `country`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `customer_id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `customer_id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, __sqlingest_ts AS valid_from, __sqlingest_next AS valid_to,
    __sqlingest_next IS NULL AS is_current, NOT __sqlingest_version AS __sqlingest_remove
  FROM chain
  WHERE __sqlingest_version OR __sqlingest_stored
) AS s
ON t.`customer_id` <=> s.`customer_id` AND t.valid_from <=> s.valid_from
WHEN MATCHED AND s.__sqlingest_remove THEN DELETE
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`email` <=> s.`email` AND
  t.`country` <=> s.`country` AND
  t.`signup_date` <=> s.`signup_date` AND
  t.`updated_at` <=> s.`updated_at` AND
  t.valid_to <=> s.valid_to AND
  t.is_current <=> s.is_current
) THEN UPDATE SET
  `name` = s.`name`,
  `email` = s.`email`,
  `country` = s.`country`,
  `signup_date` = s.`signup_date`,
  `updated_at` = s.`updated_at`,
  valid_to = s.valid_to,
  is_current = s.is_current
WHEN NOT MATCHED AND NOT s.__sqlingest_remove THEN INSERT (`customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, valid_from, valid_to, is_current)
VALUES (s.`customer_id`, s.`name`, s.`email`, s.`country`, s.`signup_date`, s.`updated_at`, s.valid_from, s.valid_to, s.is_current)
-- ==> statement silver.customers: write (rewrite)
INSERT OVERWRITE TABLE lake.silver.customers
SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, valid_from, valid_to, is_current
FROM (
  WITH batch AS (
    SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.customers: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      false AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `customer_id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `customer_id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`customer_id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.customers AS h
    JOIN batch_keys AS k ON h.`customer_id` <=> k.`customer_id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
    FROM history
    LATERAL VIEW inline(array(
      named_struct('ts', valid_from, 'del', false),
      named_struct('ts', CASE WHEN valid_to IS NOT NULL AND (__sqlingest_next IS NULL OR __sqlingest_next <> valid_to)
                         THEN valid_to END, 'del', true)
    )) __sqlingest_e AS __sqlingest_ets, __sqlingest_edel
    WHERE __sqlingest_e.__sqlingest_ets IS NOT NULL
  ),
  deduped AS (
    SELECT * FROM (
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY `customer_id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`)
        ) <> __sqlingest_ts, true) AS __sqlingest_first
        FROM events
    )
    WHERE __sqlingest_first
  ),
  changes AS (
    SELECT *,
      CASE
          WHEN __sqlingest_del THEN coalesce(NOT lag(__sqlingest_del) OVER w, false)
          ELSE coalesce(lag(__sqlingest_del) OVER w, true)
            OR NOT (
              lag(`name`) OVER w <=> `name` AND
              lag(`email`) OVER w <=> `email` AND
              lag(`country`) OVER w <=> `country`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `customer_id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `customer_id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT h.`customer_id`, h.`name`, h.`email`, h.`country`, h.`signup_date`, h.`updated_at`,
    h.valid_from, h.valid_to, h.is_current
  FROM lake.silver.customers AS h
  LEFT ANTI JOIN batch_keys AS k
    ON h.`customer_id` <=> k.`customer_id` AND (h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since)
  UNION ALL
  SELECT `customer_id`, `name`, `email`, `country`, `signup_date`, `updated_at`, __sqlingest_ts, __sqlingest_next, __sqlingest_next IS NULL
  FROM chain
  WHERE __sqlingest_version
) AS versions
-- ==> statement silver.order_lines: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.order_lines (
  `order_id` BIGINT,
  `line_no` INT,
  `product_id` BIGINT,
  `quantity` INT,
  `unit_price` DECIMAL(10,2),
  `amount` DECIMAL(21,2)
)
USING iceberg
COMMENT 'Order lines with a computed line amount.'
-- ==> statement silver.order_lines: write
MERGE INTO lake.silver.order_lines AS t
USING (
  SELECT `order_id`, `line_no`, `product_id`, `quantity`, `unit_price`, `amount`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `order_id`, `line_no`
      ORDER BY xxhash64(`order_id`, `line_no`, `product_id`, `quantity`, `unit_price`, `amount`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`order_id` = s.`order_id` AND t.`line_no` = s.`line_no`
WHEN MATCHED AND NOT (
  t.`product_id` <=> s.`product_id` AND
  t.`quantity` <=> s.`quantity` AND
  t.`unit_price` <=> s.`unit_price` AND
  t.`amount` <=> s.`amount`
) THEN UPDATE SET
  `product_id` = s.`product_id`,
  `quantity` = s.`quantity`,
  `unit_price` = s.`unit_price`,
  `amount` = s.`amount`
WHEN NOT MATCHED THEN INSERT (`order_id`, `line_no`, `product_id`, `quantity`, `unit_price`, `amount`)
VALUES (s.`order_id`, s.`line_no`, s.`product_id`, s.`quantity`, s.`unit_price`, s.`amount`)
-- ==> statement silver.orders: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.orders (
  `order_id` BIGINT,
  `customer_id` BIGINT,
  `order_ts` TIMESTAMP,
  `order_date` DATE,
  `status` STRING,
  `updated_at` TIMESTAMP
)
USING iceberg
COMMENT 'One row per order with its latest status; status updates arriving later are merged in.'
-- ==> statement silver.orders: write
MERGE INTO lake.silver.orders AS t
USING (
  SELECT `order_id`, `customer_id`, `order_ts`, `order_date`, `status`, `updated_at`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `order_id`
      ORDER BY `updated_at` DESC NULLS LAST, xxhash64(`order_id`, `customer_id`, `order_ts`, `order_date`, `status`, `updated_at`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`order_id` = s.`order_id`
WHEN MATCHED AND NOT (
  t.`customer_id` <=> s.`customer_id` AND
  t.`order_ts` <=> s.`order_ts` AND
  t.`order_date` <=> s.`order_date` AND
  t.`status` <=> s.`status` AND
  t.`updated_at` <=> s.`updated_at`
) THEN UPDATE SET
  `customer_id` = s.`customer_id`,
  `order_ts` = s.`order_ts`,
  `order_date` = s.`order_date`,
  `status` = s.`status`,
  `updated_at` = s.`updated_at`
WHEN NOT MATCHED THEN INSERT (`order_id`, `customer_id`, `order_ts`, `order_date`, `status`, `updated_at`)
VALUES (s.`order_id`, s.`customer_id`, s.`order_ts`, s.`order_date`, s.`status`, s.`updated_at`)
-- ==> statement silver.products: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.products (
  `product_id` BIGINT,
  `name` STRING,
  `category` STRING,
  `price` DECIMAL(10,2),
  `active` BOOLEAN
)
USING iceberg
COMMENT 'Product catalogue, one row per product.'
-- ==> statement silver.products: write
MERGE INTO lake.silver.products AS t
USING (
  SELECT `product_id`, `name`, `category`, `price`, `active`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `product_id`
      ORDER BY xxhash64(`product_id`, `name`, `category`, `price`, `active`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`product_id` = s.`product_id`
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`category` <=> s.`category` AND
  t.`price` <=> s.`price` AND
  t.`active` <=> s.`active`
) THEN UPDATE SET
  `name` = s.`name`,
  `category` = s.`category`,
  `price` = s.`price`,
  `active` = s.`active`
WHEN NOT MATCHED THEN INSERT (`product_id`, `name`, `category`, `price`, `active`)
VALUES (s.`product_id`, s.`name`, s.`category`, s.`price`, s.`active`)
