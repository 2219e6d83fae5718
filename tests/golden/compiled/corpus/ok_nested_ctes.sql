-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
WITH per_order AS (
  SELECT order_id, sum(line_amount) AS total FROM lake.silver.order_items GROUP BY order_id
),
big AS (
  WITH threshold AS (SELECT avg(total) AS t FROM per_order)
  SELECT p.order_id, p.total FROM per_order AS p, threshold WHERE p.total > threshold.t
)
SELECT * FROM big
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `total`
FROM __sqlingest_stage__golden
