-- ==> compiled/bronze/d000.sql
-- model: bronze.d000  materialized: append  format: iceberg
-- relation: lake.bronze.d000
SELECT * FROM source__dom0__d000
-- ==> compiled/bronze/d001.sql
-- model: bronze.d001  materialized: append  format: iceberg
-- relation: lake.bronze.d001
SELECT * FROM source__dom1__d001
-- ==> compiled/bronze/d002.sql
-- model: bronze.d002  materialized: append  format: iceberg
-- relation: lake.bronze.d002
SELECT * FROM source__dom2__d002
-- ==> compiled/gold/d000_joined.sql
-- model: gold.d000_joined  materialized: table  format: iceberg
-- relation: lake.gold.d000_joined
WITH other AS (SELECT ref_id AS k, max(created_at) AS last_at FROM lake.silver.d001
               GROUP BY ref_id)
SELECT s.id, s.status, CAST(s.amount * 2 AS DECIMAL(10, 2)) AS doubled, o.last_at,
       row_number() OVER (PARTITION BY s.status ORDER BY s.created_at DESC) AS rn,
       s.addr.zip AS zip, s.attrs['k'] AS k
FROM lake.silver.d000 AS s LEFT JOIN other AS o ON o.k = s.ref_id
-- ==> compiled/gold/d000_summary.sql
-- model: gold.d000_summary  materialized: table  format: iceberg
-- relation: lake.gold.d000_summary
SELECT status, count(*) AS n, sum(amount) AS total, avg(rate) AS avg_rate
FROM lake.silver.d000
GROUP BY status
-- ==> compiled/gold/d000_tags.sql
-- model: gold.d000_tags  materialized: table  format: iceberg
-- relation: lake.gold.d000_tags
SELECT id, tag, count(*) OVER (PARTITION BY tag) AS per_tag
FROM lake.silver.d000
LATERAL VIEW OUTER explode(tags) t AS tag
-- ==> compiled/gold/d001_joined.sql
-- model: gold.d001_joined  materialized: table  format: iceberg
-- relation: lake.gold.d001_joined
WITH other AS (SELECT ref_id AS k, max(created_at) AS last_at FROM lake.silver.d002
               GROUP BY ref_id)
SELECT s.id, s.status, CAST(s.amount * 2 AS DECIMAL(10, 2)) AS doubled, o.last_at,
       row_number() OVER (PARTITION BY s.status ORDER BY s.created_at DESC) AS rn,
       s.addr.zip AS zip, s.attrs['k'] AS k
FROM lake.silver.d001 AS s LEFT JOIN other AS o ON o.k = s.ref_id
-- ==> compiled/gold/d001_summary.sql
-- model: gold.d001_summary  materialized: table  format: iceberg
-- relation: lake.gold.d001_summary
SELECT status, count(*) AS n, sum(amount) AS total, avg(rate) AS avg_rate
FROM lake.silver.d001
GROUP BY status
-- ==> compiled/gold/d001_tags.sql
-- model: gold.d001_tags  materialized: table  format: iceberg
-- relation: lake.gold.d001_tags
SELECT id, tag, count(*) OVER (PARTITION BY tag) AS per_tag
FROM lake.silver.d001
LATERAL VIEW OUTER explode(tags) t AS tag
-- ==> compiled/gold/d002_joined.sql
-- model: gold.d002_joined  materialized: table  format: iceberg
-- relation: lake.gold.d002_joined
WITH other AS (SELECT ref_id AS k, max(created_at) AS last_at FROM lake.silver.d000
               GROUP BY ref_id)
SELECT s.id, s.status, CAST(s.amount * 2 AS DECIMAL(10, 2)) AS doubled, o.last_at,
       row_number() OVER (PARTITION BY s.status ORDER BY s.created_at DESC) AS rn,
       s.addr.zip AS zip, s.attrs['k'] AS k
FROM lake.silver.d002 AS s LEFT JOIN other AS o ON o.k = s.ref_id
-- ==> compiled/gold/d002_summary.sql
-- model: gold.d002_summary  materialized: table  format: iceberg
-- relation: lake.gold.d002_summary
SELECT status, count(*) AS n, sum(amount) AS total, avg(rate) AS avg_rate
FROM lake.silver.d002
GROUP BY status
-- ==> compiled/gold/d002_tags.sql
-- model: gold.d002_tags  materialized: table  format: iceberg
-- relation: lake.gold.d002_tags
SELECT id, tag, count(*) OVER (PARTITION BY tag) AS per_tag
FROM lake.silver.d002
LATERAL VIEW OUTER explode(tags) t AS tag
-- ==> compiled/silver/d000.sql
-- model: silver.d000  materialized: merge  format: iceberg
-- relation: lake.silver.d000
SELECT id, ref_id, lower(NULLIF(TRIM(status), '')) AS status, amount, rate, qty, created_at, day, flag,
       filter(tags, t -> t IS NOT NULL) AS tags, attrs, addr
FROM lake.bronze.d000
WHERE id IS NOT NULL
-- ==> compiled/silver/d001.sql
-- model: silver.d001  materialized: merge  format: iceberg
-- relation: lake.silver.d001
SELECT id, ref_id, lower(NULLIF(TRIM(status), '')) AS status, amount, rate, qty, created_at, day, flag,
       filter(tags, t -> t IS NOT NULL) AS tags, attrs, addr
FROM lake.bronze.d001
WHERE id IS NOT NULL
-- ==> compiled/silver/d002.sql
-- model: silver.d002  materialized: merge  format: iceberg
-- relation: lake.silver.d002
SELECT id, ref_id, lower(NULLIF(TRIM(status), '')) AS status, amount, rate, qty, created_at, day, flag,
       filter(tags, t -> t IS NOT NULL) AS tags, attrs, addr
FROM lake.bronze.d002
WHERE id IS NOT NULL
-- ==> statement bronze.d000: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.d000 (
  `id` BIGINT,
  `ref_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `rate` DOUBLE,
  `qty` INT,
  `created_at` TIMESTAMP,
  `day` DATE,
  `flag` BOOLEAN,
  `tags` ARRAY<INT>,
  `attrs` MAP<STRING,INT>,
  `addr` STRUCT<STREET:STRING,ZIP:STRING>,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.d000: write
INSERT INTO lake.bronze.d000
SELECT `id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.d001: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.d001 (
  `id` BIGINT,
  `ref_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `rate` DOUBLE,
  `qty` INT,
  `created_at` TIMESTAMP,
  `day` DATE,
  `flag` BOOLEAN,
  `tags` ARRAY<INT>,
  `attrs` MAP<STRING,INT>,
  `addr` STRUCT<STREET:STRING,ZIP:STRING>,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.d001: write
INSERT INTO lake.bronze.d001
SELECT `id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement bronze.d002: create_table
CREATE  TABLE IF NOT EXISTS lake.bronze.d002 (
  `id` BIGINT,
  `ref_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `rate` DOUBLE,
  `qty` INT,
  `created_at` TIMESTAMP,
  `day` DATE,
  `flag` BOOLEAN,
  `tags` ARRAY<INT>,
  `attrs` MAP<STRING,INT>,
  `addr` STRUCT<STREET:STRING,ZIP:STRING>,
  `_rescued_data` STRING,
  `_source_file` STRING,
  `_ingested_at` TIMESTAMP,
  `_run_id` STRING,
  `_batch_id` STRING,
  `_record_hash` STRING
)
USING iceberg
-- ==> statement bronze.d002: write
INSERT INTO lake.bronze.d002
SELECT `id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`, `_rescued_data`, `_source_file`, `_ingested_at`, `_run_id`, `_batch_id`, `_record_hash`
FROM __sqlingest_stage__golden
-- ==> statement gold.d000_joined: write
INSERT OVERWRITE TABLE lake.gold.d000_joined
SELECT `id`, `status`, `doubled`, `last_at`, `rn`, `zip`, `k`
FROM __sqlingest_stage__golden
-- ==> statement gold.d000_summary: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.d000_summary (
  `status` STRING,
  `n` BIGINT,
  `total` DECIMAL(20,2),
  `avg_rate` DOUBLE
)
USING iceberg
-- ==> statement gold.d000_summary: write
INSERT OVERWRITE TABLE lake.gold.d000_summary
SELECT `status`, `n`, `total`, `avg_rate`
FROM __sqlingest_stage__golden
-- ==> statement gold.d000_tags: write
INSERT OVERWRITE TABLE lake.gold.d000_tags
SELECT `id`, `tag`, `per_tag`
FROM __sqlingest_stage__golden
-- ==> statement gold.d001_joined: write
INSERT OVERWRITE TABLE lake.gold.d001_joined
SELECT `id`, `status`, `doubled`, `last_at`, `rn`, `zip`, `k`
FROM __sqlingest_stage__golden
-- ==> statement gold.d001_summary: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.d001_summary (
  `status` STRING,
  `n` BIGINT,
  `total` DECIMAL(20,2),
  `avg_rate` DOUBLE
)
USING iceberg
-- ==> statement gold.d001_summary: write
INSERT OVERWRITE TABLE lake.gold.d001_summary
SELECT `status`, `n`, `total`, `avg_rate`
FROM __sqlingest_stage__golden
-- ==> statement gold.d001_tags: write
INSERT OVERWRITE TABLE lake.gold.d001_tags
SELECT `id`, `tag`, `per_tag`
FROM __sqlingest_stage__golden
-- ==> statement gold.d002_joined: write
INSERT OVERWRITE TABLE lake.gold.d002_joined
SELECT `id`, `status`, `doubled`, `last_at`, `rn`, `zip`, `k`
FROM __sqlingest_stage__golden
-- ==> statement gold.d002_summary: create_table
CREATE  TABLE IF NOT EXISTS lake.gold.d002_summary (
  `status` STRING,
  `n` BIGINT,
  `total` DECIMAL(20,2),
  `avg_rate` DOUBLE
)
USING iceberg
-- ==> statement gold.d002_summary: write
INSERT OVERWRITE TABLE lake.gold.d002_summary
SELECT `status`, `n`, `total`, `avg_rate`
FROM __sqlingest_stage__golden
-- ==> statement gold.d002_tags: write
INSERT OVERWRITE TABLE lake.gold.d002_tags
SELECT `id`, `tag`, `per_tag`
FROM __sqlingest_stage__golden
-- ==> statement silver.d000: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.d000 (
  `id` BIGINT,
  `ref_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `rate` DOUBLE,
  `qty` INT,
  `created_at` TIMESTAMP,
  `day` DATE,
  `flag` BOOLEAN,
  `tags` ARRAY<INT>,
  `attrs` MAP<STRING,INT>,
  `addr` STRUCT<STREET:STRING,ZIP:STRING>
)
USING iceberg
-- ==> statement silver.d000: write
MERGE INTO lake.silver.d000 AS t
USING (
  SELECT `id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY `created_at` DESC NULLS LAST, xxhash64(`id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND NOT (
  t.`ref_id` <=> s.`ref_id` AND
  t.`status` <=> s.`status` AND
  t.`amount` <=> s.`amount` AND
  t.`rate` <=> s.`rate` AND
  t.`qty` <=> s.`qty` AND
  t.`created_at` <=> s.`created_at` AND
  t.`day` <=> s.`day` AND
  t.`flag` <=> s.`flag` AND
  t.`tags` <=> s.`tags` AND
  t.`attrs` <=> s.`attrs` AND
  t.`addr` <=> s.`addr`
) THEN UPDATE SET
  `ref_id` = s.`ref_id`,
  `status` = s.`status`,
  `amount` = s.`amount`,
  `rate` = s.`rate`,
  `qty` = s.`qty`,
  `created_at` = s.`created_at`,
  `day` = s.`day`,
  `flag` = s.`flag`,
  `tags` = s.`tags`,
  `attrs` = s.`attrs`,
  `addr` = s.`addr`
WHEN NOT MATCHED THEN INSERT (`id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`)
VALUES (s.`id`, s.`ref_id`, s.`status`, s.`amount`, s.`rate`, s.`qty`, s.`created_at`, s.`day`, s.`flag`, s.`tags`, s.`attrs`, s.`addr`)
-- ==> statement silver.d001: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.d001 (
  `id` BIGINT,
  `ref_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `rate` DOUBLE,
  `qty` INT,
  `created_at` TIMESTAMP,
  `day` DATE,
  `flag` BOOLEAN,
  `tags` ARRAY<INT>,
  `attrs` MAP<STRING,INT>,
  `addr` STRUCT<STREET:STRING,ZIP:STRING>
)
USING iceberg
-- ==> statement silver.d001: write
MERGE INTO lake.silver.d001 AS t
USING (
  SELECT `id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY `created_at` DESC NULLS LAST, xxhash64(`id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND NOT (
  t.`ref_id` <=> s.`ref_id` AND
  t.`status` <=> s.`status` AND
  t.`amount` <=> s.`amount` AND
  t.`rate` <=> s.`rate` AND
  t.`qty` <=> s.`qty` AND
  t.`created_at` <=> s.`created_at` AND
  t.`day` <=> s.`day` AND
  t.`flag` <=> s.`flag` AND
  t.`tags` <=> s.`tags` AND
  t.`attrs` <=> s.`attrs` AND
  t.`addr` <=> s.`addr`
) THEN UPDATE SET
  `ref_id` = s.`ref_id`,
  `status` = s.`status`,
  `amount` = s.`amount`,
  `rate` = s.`rate`,
  `qty` = s.`qty`,
  `created_at` = s.`created_at`,
  `day` = s.`day`,
  `flag` = s.`flag`,
  `tags` = s.`tags`,
  `attrs` = s.`attrs`,
  `addr` = s.`addr`
WHEN NOT MATCHED THEN INSERT (`id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`)
VALUES (s.`id`, s.`ref_id`, s.`status`, s.`amount`, s.`rate`, s.`qty`, s.`created_at`, s.`day`, s.`flag`, s.`tags`, s.`attrs`, s.`addr`)
-- ==> statement silver.d002: create_table
CREATE  TABLE IF NOT EXISTS lake.silver.d002 (
  `id` BIGINT,
  `ref_id` INT,
  `status` STRING,
  `amount` DECIMAL(10,2),
  `rate` DOUBLE,
  `qty` INT,
  `created_at` TIMESTAMP,
  `day` DATE,
  `flag` BOOLEAN,
  `tags` ARRAY<INT>,
  `attrs` MAP<STRING,INT>,
  `addr` STRUCT<STREET:STRING,ZIP:STRING>
)
USING iceberg
-- ==> statement silver.d002: write
MERGE INTO lake.silver.d002 AS t
USING (
  SELECT `id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`
  FROM (
    SELECT *, row_number() OVER (
      PARTITION BY `id`
      ORDER BY `created_at` DESC NULLS LAST, xxhash64(`id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`)
    ) AS __sqlingest_rn
    FROM __sqlingest_stage__golden
  )
  WHERE __sqlingest_rn = 1
) AS s
ON t.`id` = s.`id`
WHEN MATCHED AND NOT (
  t.`ref_id` <=> s.`ref_id` AND
  t.`status` <=> s.`status` AND
  t.`amount` <=> s.`amount` AND
  t.`rate` <=> s.`rate` AND
  t.`qty` <=> s.`qty` AND
  t.`created_at` <=> s.`created_at` AND
  t.`day` <=> s.`day` AND
  t.`flag` <=> s.`flag` AND
  t.`tags` <=> s.`tags` AND
  t.`attrs` <=> s.`attrs` AND
  t.`addr` <=> s.`addr`
) THEN UPDATE SET
  `ref_id` = s.`ref_id`,
  `status` = s.`status`,
  `amount` = s.`amount`,
  `rate` = s.`rate`,
  `qty` = s.`qty`,
  `created_at` = s.`created_at`,
  `day` = s.`day`,
  `flag` = s.`flag`,
  `tags` = s.`tags`,
  `attrs` = s.`attrs`,
  `addr` = s.`addr`
WHEN NOT MATCHED THEN INSERT (`id`, `ref_id`, `status`, `amount`, `rate`, `qty`, `created_at`, `day`, `flag`, `tags`, `attrs`, `addr`)
VALUES (s.`id`, s.`ref_id`, s.`status`, s.`amount`, s.`rate`, s.`qty`, s.`created_at`, s.`day`, s.`flag`, s.`tags`, s.`attrs`, s.`addr`)
