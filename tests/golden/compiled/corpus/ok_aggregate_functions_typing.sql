-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT status, collect_list(quantity) AS qs, collect_set(status) AS ss, first(amount, true) AS fa,
       max_by(order_id, amount) AS top_order, bool_or(is_gift) AS any_gift, count_if(is_gift) AS gifts,
       approx_count_distinct(customer_id) AS customers, percentile_approx(amount, 0.5) AS median,
       stddev(score) AS sd, variance(quantity) AS var, sum(weight) AS sw, avg(weight) AS aw,
       min(ordered_at) AS first_at, max(order_date) AS last_day, array_agg(order_id) AS ids,
       sum(priority) AS sp, any_value(channel) AS ch
FROM lake.silver.orders
GROUP BY status
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `status`, `qs`, `ss`, `fa`, `top_order`, `any_gift`, `gifts`, `customers`, `median`, `sd`, `var`, `sw`, `aw`, `first_at`, `last_day`, `ids`, `sp`, `ch`
FROM __sqlingest_stage__golden
