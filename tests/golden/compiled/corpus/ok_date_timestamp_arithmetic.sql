-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT date_add(order_date, 7) AS next_week, order_date + 1 AS tomorrow, date_sub(order_date, 1) AS yest,
       datediff(current_date(), order_date) AS age_days, ordered_at + INTERVAL 1 DAY AS later,
       ordered_at - INTERVAL '2' HOUR AS earlier, add_months(order_date, 1) AS next_month,
       date_trunc('month', ordered_at) AS month_start, trunc(order_date, 'MM') AS month_day,
       year(order_date) AS y, month(ordered_at) AS m, dayofweek(order_date) AS dow, hour(ordered_at) AS h,
       to_date('2024-01-01') AS d1, to_timestamp('2024-01-01 00:00:00') AS t1,
       unix_timestamp(ordered_at) AS epoch, from_unixtime(0) AS fu, last_day(order_date) AS ld,
       months_between(ordered_at, ordered_at) AS mb, date_format(ordered_at, 'yyyy') AS yr,
       current_timestamp() AS now, make_date(2024, 1, 1) AS md
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `next_week`, `tomorrow`, `yest`, `age_days`, `later`, `earlier`, `next_month`, `month_start`, `month_day`, `y`, `m`, `dow`, `h`, `d1`, `t1`, `epoch`, `fu`, `ld`, `mb`, `yr`, `now`, `md`
FROM __sqlingest_stage__golden
