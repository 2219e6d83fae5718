-- ==> compiled/bronze/accounts.sql
-- model: bronze.accounts  materialized: append  format: iceberg
-- relation: lake.bronze.accounts
SELECT * FROM source__db__accounts
-- ==> compiled/silver/accounts.sql
-- model: silver.accounts  materialized: merge  format: iceberg
-- relation: lake.silver.accounts
SELECT id, name, balance, deleted, lsn FROM lake.bronze.accounts
WHERE id IS NOT NULL
-- ==> statement bronze.accounts: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.accounts (
  `id` BIGINT,
  `name` STRING,
  `balance` DECIMAL(10,2),
  `deleted` BOOLEAN,
  `lsn` BIGINT,
  `op` STRING,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.accounts: write
INSERT INTO lake.bronze.accounts
SELECT `id`, `name`, `balance`, `deleted`, `lsn`, `op`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement silver.accounts: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.accounts (
  `id` BIGINT,
  `name` STRING,
  `balance` DECIMAL(10,2),
  `deleted` BOOLEAN,
  `lsn` BIGINT
)
USING iceberg
-- ==> statement silver.accounts: write
MERGE INTO lake.silver.accounts AS t
USING (
  SELECT `id`, `name`, `balance`, `deleted`, `lsn`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY `lsn` DESC NULLS LAST, coalesce(`deleted`, false) DESC, xxhash64(`id`, `name`, `balance`, `deleted`, `lsn`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND coalesce(s.`deleted`, false) THEN DELETE
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`balance` <=> s.`balance` AND
  t.`deleted` <=> s.`deleted` AND
  t.`lsn` <=> s.`lsn`
) THEN UPDATE SET
  `name` = s.`name`,
  `balance` = s.`balance`,
  `deleted` = s.`deleted`,
  `lsn` = s.`lsn`
WHEN NOT MATCHED AND NOT coalesce(s.`deleted`, false) THEN INSERT (`id`, `name`, `balance`, `deleted`, `lsn`)
VALUES (s.`id`, s.`name`, s.`balance`, s.`deleted`, s.`lsn`)
