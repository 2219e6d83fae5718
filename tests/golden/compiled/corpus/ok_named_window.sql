-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id,
       row_number() OVER w AS rn,
       sum(amount) OVER w AS running,
       lag(amount) OVER w AS prev_amount
FROM lake.silver.orders
WINDOW w AS (PARTITION BY customer_id ORDER BY ordered_at)
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `rn`, `running`, `prev_amount`
FROM __sqlingest_stage__golden
