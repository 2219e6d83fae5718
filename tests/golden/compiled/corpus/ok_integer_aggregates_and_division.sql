-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT customer_id, avg(quantity) AS avg_qty, sum(quantity) AS sum_qty, sum(order_id) AS sum_id,
       count(DISTINCT status) AS statuses, sum(quantity) / count(*) AS ratio, quantity_div
FROM (SELECT customer_id, quantity, order_id, status, quantity / priority AS quantity_div
      FROM lake.silver.orders) AS t
GROUP BY customer_id, quantity_div
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `customer_id`, `avg_qty`, `sum_qty`, `sum_id`, `statuses`, `ratio`, `quantity_div`
FROM __sqlingest_stage__golden
