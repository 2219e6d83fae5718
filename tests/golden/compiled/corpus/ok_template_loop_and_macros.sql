-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status,

       sum(amount) AS total_amount,

       sum(quantity) AS total_quantity,

       CAST(max(amount) AS DECIMAL(12, 2)) AS biggest,
       current_timestamp() AS loaded_at,
  'compile' AS run_id
FROM lake.silver.orders
GROUP BY status
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`, `total_amount`, `total_quantity`, `biggest`, `loaded_at`, `run_id`
FROM __sqlingest_stage__golden
