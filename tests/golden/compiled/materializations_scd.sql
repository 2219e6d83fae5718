-- ==> compiled/bronze/cust.sql
-- model: bronze.cust  materialized: append  format: iceberg
-- relation: lake.bronze.cust
SELECT * FROM source__s__cust
-- ==> compiled/bronze/sales.sql
-- model: bronze.sales  materialized: append  format: iceberg
-- relation: lake.bronze.sales
SELECT * FROM source__s__sales
-- ==> compiled/silver/c_merge.sql
-- model: silver.c_merge  materialized: merge  format: iceberg
-- relation: lake.silver.c_merge
SELECT id, name, tier, updated_at, deleted FROM lake.bronze.cust
-- ==> compiled/silver/c_scd1.sql
-- model: silver.c_scd1  materialized: scd1  format: iceberg
-- relation: lake.silver.c_scd1
SELECT id, name, tier, updated_at, deleted FROM lake.bronze.cust
-- ==> compiled/silver/c_scd2.sql
-- model: silver.c_scd2  materialized: scd2  format: iceberg
-- relation: lake.silver.c_scd2
SELECT id, name, tier, updated_at, deleted FROM lake.bronze.cust
-- ==> compiled/silver/c_scd2_batch.sql
-- model: silver.c_scd2_batch  materialized: scd2  format: iceberg
-- relation: lake.silver.c_scd2_batch
SELECT id, name, tier, updated_at, deleted FROM lake.bronze.cust
-- ==> compiled/silver/c_scd2_rewrite.sql
-- model: silver.c_scd2_rewrite  materialized: scd2  format: iceberg
-- relation: lake.silver.c_scd2_rewrite
SELECT id, name, tier, updated_at, deleted FROM lake.bronze.cust
-- ==> compiled/silver/sales.sql
-- model: silver.sales  materialized: insert_overwrite  format: iceberg
-- relation: lake.silver.sales
SELECT day, store, amount FROM (
  SELECT *, dense_rank() OVER (PARTITION BY day ORDER BY _source_file DESC) AS file_rank
  FROM lake.bronze.sales
  
) WHERE file_rank = 1
-- ==> statement bronze.cust: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.cust (
  `id` BIGINT,
  `name` STRING,
  `tier` STRING,
  `updated_at` TIMESTAMP,
  `deleted` BOOLEAN,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.cust: write
INSERT INTO lake.bronze.cust
SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.sales: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.sales (
  `day` DATE,
  `store` STRING,
  `amount` INT,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.sales: write
INSERT INTO lake.bronze.sales
SELECT `day`, `store`, `amount`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement silver.c_merge: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.c_merge (
  `id` BIGINT,
  `name` STRING,
  `tier` STRING,
  `updated_at` TIMESTAMP,
  `deleted` BOOLEAN
)
USING iceberg
-- ==> statement silver.c_merge: write
MERGE INTO lake.silver.c_merge AS t
USING (
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY `updated_at` DESC NULLS LAST, coalesce(`deleted`, false) DESC, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND coalesce(s.`deleted`, false) THEN DELETE
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`tier` <=> s.`tier` AND
  t.`updated_at` <=> s.`updated_at` AND
  t.`deleted` <=> s.`deleted`
) THEN UPDATE SET
  `name` = s.`name`,
  `tier` = s.`tier`,
  `updated_at` = s.`updated_at`,
  `deleted` = s.`deleted`
WHEN NOT MATCHED AND NOT coalesce(s.`deleted`, false) THEN INSERT (`id`, `name`, `tier`, `updated_at`, `deleted`)
VALUES (s.`id`, s.`name`, s.`tier`, s.`updated_at`, s.`deleted`)
-- ==> statement silver.c_scd1: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.c_scd1 (
  `id` BIGINT,
  `name` STRING,
  `tier` STRING,
  `updated_at` TIMESTAMP,
  `deleted` BOOLEAN
)
USING iceberg
-- ==> statement silver.c_scd1: write
MERGE INTO lake.silver.c_scd1 AS t
USING (
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY `updated_at` DESC NULLS LAST, coalesce(`deleted`, false) DESC, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND coalesce(s.`deleted`, false) AND (t.`updated_at` IS NULL OR s.`updated_at` >= t.`updated_at`) THEN DELETE
WHEN MATCHED AND (t.`updated_at` IS NULL OR s.`updated_at` >= t.`updated_at`) AND NOT (
  t.`name` <=> s.`name` AND
  t.`tier` <=> s.`tier` AND
  t.`updated_at` <=> s.`updated_at` AND
  t.`deleted` <=> s.`deleted`
) AND NOT coalesce(s.`deleted`, false) THEN UPDATE SET
  `name` = s.`name`,
  `tier` = s.`tier`,
  `updated_at` = s.`updated_at`,
  `deleted` = s.`deleted`
WHEN NOT MATCHED AND NOT coalesce(s.`deleted`, false) THEN INSERT (`id`, `name`, `tier`, `updated_at`, `deleted`)
VALUES (s.`id`, s.`name`, s.`tier`, s.`updated_at`, s.`deleted`)
-- ==> statement silver.c_scd2: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.c_scd2 (
  `id` BIGINT,
  `name` STRING,
  `tier` STRING,
  `updated_at` TIMESTAMP,
  `deleted` BOOLEAN,
  `valid_from` TIMESTAMP,
  `valid_to` TIMESTAMP,
  `is_current` BOOLEAN
)
USING iceberg
-- ==> statement silver.c_scd2: write (merge)
MERGE INTO lake.silver.c_scd2 AS t
USING (
  WITH batch AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.c_scd2: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      coalesce(`deleted`, false) AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.c_scd2 AS h
    JOIN batch_keys AS k ON h.`id` <=> k.`id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
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
        PARTITION BY `id` ORDER BY __sqlingest_ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW
      ) AS __sqlingest_stored
      FROM (
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY `id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
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
              lag(`tier`) OVER w <=> `tier`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts AS valid_from, __sqlingest_next AS valid_to,
    __sqlingest_next IS NULL AS is_current, NOT __sqlingest_version AS __sqlingest_remove
  FROM chain
  WHERE __sqlingest_version OR __sqlingest_stored
) AS s
ON t.`id` <=> s.`id` AND t.valid_from <=> s.valid_from
WHEN MATCHED AND s.__sqlingest_remove THEN DELETE
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`tier` <=> s.`tier` AND
  t.`updated_at` <=> s.`updated_at` AND
  t.`deleted` <=> s.`deleted` AND
  t.valid_to <=> s.valid_to AND
  t.is_current <=> s.is_current
) THEN UPDATE SET
  `name` = s.`name`,
  `tier` = s.`tier`,
  `updated_at` = s.`updated_at`,
  `deleted` = s.`deleted`,
  valid_to = s.valid_to,
  is_current = s.is_current
WHEN NOT MATCHED AND NOT s.__sqlingest_remove THEN INSERT (`id`, `name`, `tier`, `updated_at`, `deleted`, valid_from, valid_to, is_current)
VALUES (s.`id`, s.`name`, s.`tier`, s.`updated_at`, s.`deleted`, s.valid_from, s.valid_to, s.is_current)
-- ==> statement silver.c_scd2: write (rewrite)
INSERT OVERWRITE TABLE lake.silver.c_scd2
SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, valid_from, valid_to, is_current
FROM (
  WITH batch AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.c_scd2: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      coalesce(`deleted`, false) AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.c_scd2 AS h
    JOIN batch_keys AS k ON h.`id` <=> k.`id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
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
          PARTITION BY `id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
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
              lag(`tier`) OVER w <=> `tier`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT h.`id`, h.`name`, h.`tier`, h.`updated_at`, h.`deleted`,
    h.valid_from, h.valid_to, h.is_current
  FROM lake.silver.c_scd2 AS h
  LEFT ANTI JOIN batch_keys AS k
    ON h.`id` <=> k.`id` AND (h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since)
  UNION ALL
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_next, __sqlingest_next IS NULL
  FROM chain
  WHERE __sqlingest_version
) AS versions
-- ==> statement silver.c_scd2_batch: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.c_scd2_batch (
  `id` BIGINT,
  `name` STRING,
  `tier` STRING,
  `updated_at` TIMESTAMP,
  `deleted` BOOLEAN,
  `valid_from` TIMESTAMP,
  `valid_to` TIMESTAMP,
  `is_current` BOOLEAN
)
USING iceberg
-- ==> statement silver.c_scd2_batch: write (merge)
MERGE INTO lake.silver.c_scd2_batch AS t
USING (
  WITH batch AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.c_scd2_batch: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      coalesce(`deleted`, false) AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.c_scd2_batch AS h
    JOIN batch_keys AS k ON h.`id` <=> k.`id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
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
        PARTITION BY `id` ORDER BY __sqlingest_ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW
      ) AS __sqlingest_stored
      FROM (
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY `id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
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
              lag(`tier`) OVER w <=> `tier`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts AS valid_from, __sqlingest_next AS valid_to,
    __sqlingest_next IS NULL AS is_current, NOT __sqlingest_version AS __sqlingest_remove
  FROM chain
  WHERE __sqlingest_version OR __sqlingest_stored
) AS s
ON t.`id` <=> s.`id` AND t.valid_from <=> s.valid_from
WHEN MATCHED AND s.__sqlingest_remove THEN DELETE
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`tier` <=> s.`tier` AND
  t.`updated_at` <=> s.`updated_at` AND
  t.`deleted` <=> s.`deleted` AND
  t.valid_to <=> s.valid_to AND
  t.is_current <=> s.is_current
) THEN UPDATE SET
  `name` = s.`name`,
  `tier` = s.`tier`,
  `updated_at` = s.`updated_at`,
  `deleted` = s.`deleted`,
  valid_to = s.valid_to,
  is_current = s.is_current
WHEN NOT MATCHED AND NOT s.__sqlingest_remove THEN INSERT (`id`, `name`, `tier`, `updated_at`, `deleted`, valid_from, valid_to, is_current)
VALUES (s.`id`, s.`name`, s.`tier`, s.`updated_at`, s.`deleted`, s.valid_from, s.valid_to, s.is_current)
-- ==> statement silver.c_scd2_batch: write (rewrite)
INSERT OVERWRITE TABLE lake.silver.c_scd2_batch
SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, valid_from, valid_to, is_current
FROM (
  WITH batch AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.c_scd2_batch: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      coalesce(`deleted`, false) AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.c_scd2_batch AS h
    JOIN batch_keys AS k ON h.`id` <=> k.`id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
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
          PARTITION BY `id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
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
              lag(`tier`) OVER w <=> `tier`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT h.`id`, h.`name`, h.`tier`, h.`updated_at`, h.`deleted`,
    h.valid_from, h.valid_to, h.is_current
  FROM lake.silver.c_scd2_batch AS h
  LEFT ANTI JOIN batch_keys AS k
    ON h.`id` <=> k.`id` AND (h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since)
  UNION ALL
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_next, __sqlingest_next IS NULL
  FROM chain
  WHERE __sqlingest_version
) AS versions
-- ==> statement silver.c_scd2_rewrite: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.c_scd2_rewrite (
  `id` BIGINT,
  `name` STRING,
  `tier` STRING,
  `updated_at` TIMESTAMP,
  `deleted` BOOLEAN,
  `valid_from` TIMESTAMP,
  `valid_to` TIMESTAMP,
  `is_current` BOOLEAN
)
USING iceberg
-- ==> statement silver.c_scd2_rewrite: write (merge)
MERGE INTO lake.silver.c_scd2_rewrite AS t
USING (
  WITH batch AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.c_scd2_rewrite: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      coalesce(`deleted`, false) AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.c_scd2_rewrite AS h
    JOIN batch_keys AS k ON h.`id` <=> k.`id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
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
        PARTITION BY `id` ORDER BY __sqlingest_ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW
      ) AS __sqlingest_stored
      FROM (
        SELECT *, coalesce(lag(__sqlingest_ts) OVER (
          PARTITION BY `id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
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
              lag(`tier`) OVER w <=> `tier`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts AS valid_from, __sqlingest_next AS valid_to,
    __sqlingest_next IS NULL AS is_current, NOT __sqlingest_version AS __sqlingest_remove
  FROM chain
  WHERE __sqlingest_version OR __sqlingest_stored
) AS s
ON t.`id` <=> s.`id` AND t.valid_from <=> s.valid_from
WHEN MATCHED AND s.__sqlingest_remove THEN DELETE
WHEN MATCHED AND NOT (
  t.`name` <=> s.`name` AND
  t.`tier` <=> s.`tier` AND
  t.`updated_at` <=> s.`updated_at` AND
  t.`deleted` <=> s.`deleted` AND
  t.valid_to <=> s.valid_to AND
  t.is_current <=> s.is_current
) THEN UPDATE SET
  `name` = s.`name`,
  `tier` = s.`tier`,
  `updated_at` = s.`updated_at`,
  `deleted` = s.`deleted`,
  valid_to = s.valid_to,
  is_current = s.is_current
WHEN NOT MATCHED AND NOT s.__sqlingest_remove THEN INSERT (`id`, `name`, `tier`, `updated_at`, `deleted`, valid_from, valid_to, is_current)
VALUES (s.`id`, s.`name`, s.`tier`, s.`updated_at`, s.`deleted`, s.valid_from, s.valid_to, s.is_current)
-- ==> statement silver.c_scd2_rewrite: write (rewrite)
INSERT OVERWRITE TABLE lake.silver.c_scd2_rewrite
SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, valid_from, valid_to, is_current
FROM (
  WITH batch AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`,
      CASE WHEN CAST(`updated_at` AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 lake.silver.c_scd2_rewrite: a row has no `updated_at` (the ordering column) and cannot be placed in history')
        ELSE CAST(`updated_at` AS TIMESTAMP)
      END AS __sqlingest_ts,
      coalesce(`deleted`, false) AS __sqlingest_del,
      0 AS __sqlingest_src
    FROM __sqlingest_stage__golden
  ),
  batch_keys AS (
    SELECT `id`, min(__sqlingest_ts) AS __sqlingest_since FROM batch
    GROUP BY `id`
  ),
  history AS (
    SELECT h.*, lead(h.valid_from) OVER (
      PARTITION BY h.`id` ORDER BY h.valid_from
    ) AS __sqlingest_next
    FROM lake.silver.c_scd2_rewrite AS h
    JOIN batch_keys AS k ON h.`id` <=> k.`id`
    WHERE h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since
  ),
  events AS (
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_del, __sqlingest_src FROM batch
    UNION ALL
    SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_e.__sqlingest_ets, __sqlingest_e.__sqlingest_edel, 1
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
          PARTITION BY `id`
          ORDER BY __sqlingest_ts, __sqlingest_del DESC, __sqlingest_src, xxhash64(`id`, `name`, `tier`, `updated_at`, `deleted`)
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
              lag(`tier`) OVER w <=> `tier`)
        END AS __sqlingest_change
    FROM deduped
    WINDOW w AS (PARTITION BY `id` ORDER BY __sqlingest_ts)
  ),
  chain AS (
    SELECT *, __sqlingest_change AND NOT __sqlingest_del AS __sqlingest_version,
      lead(CASE WHEN __sqlingest_change THEN __sqlingest_ts END) IGNORE NULLS OVER (
        PARTITION BY `id` ORDER BY __sqlingest_ts
      ) AS __sqlingest_next
    FROM changes
  )
  SELECT h.`id`, h.`name`, h.`tier`, h.`updated_at`, h.`deleted`,
    h.valid_from, h.valid_to, h.is_current
  FROM lake.silver.c_scd2_rewrite AS h
  LEFT ANTI JOIN batch_keys AS k
    ON h.`id` <=> k.`id` AND (h.valid_to IS NULL OR h.valid_to >= k.__sqlingest_since)
  UNION ALL
  SELECT `id`, `name`, `tier`, `updated_at`, `deleted`, __sqlingest_ts, __sqlingest_next, __sqlingest_next IS NULL
  FROM chain
  WHERE __sqlingest_version
) AS versions
-- ==> statement silver.sales: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.sales (
  `day` DATE,
  `store` STRING,
  `amount` INT
)
USING iceberg
PARTITIONED BY (`day`)
-- ==> statement silver.sales: write
MERGE INTO lake.silver.sales AS t
USING (
  SELECT `day`, `store`, `amount`, false AS __sqlingest_replace
  FROM __sqlingest_stage__golden
  UNION ALL
  SELECT `day`, NULL, NULL, true
  FROM (SELECT DISTINCT `day` FROM __sqlingest_stage__golden)
) AS s
ON s.__sqlingest_replace AND t.`day` <=> s.`day`
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED AND NOT s.__sqlingest_replace THEN INSERT (`day`, `store`, `amount`)
VALUES (s.`day`, s.`store`, s.`amount`)
