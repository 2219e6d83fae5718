{{ config(materialized='merge', unique_key='order_id') }}
SELECT
  order_id,
  customer_id,
  order_ts,
  CAST(order_ts AS DATE) AS order_date,
  LOWER(status) AS status,
  updated_at
FROM {{ ref('bronze.orders') }}
WHERE order_id IS NOT NULL AND order_ts IS NOT NULL AND updated_at IS NOT NULL
  -- incremental runs re-read only the last 2 days of updates (late events within the window are merged in);
  -- backfill a range with --vars '{start: 2024-01-01, end: 2024-01-02}'
  AND {{ incremental_predicate('updated_at', lookback='2 days') }}
