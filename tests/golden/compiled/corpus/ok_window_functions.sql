-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id,
       rank() OVER (PARTITION BY status ORDER BY amount DESC) AS rnk,
       dense_rank() OVER (ORDER BY amount) AS drnk,
       percent_rank() OVER (ORDER BY amount) AS prnk,
       ntile(4) OVER (ORDER BY amount) AS quartile,
       first_value(amount) OVER (PARTITION BY customer_id ORDER BY ordered_at
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS first_amount,
       avg(quantity) OVER (PARTITION BY customer_id) AS avg_qty,
       count(*) OVER () AS total
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `rnk`, `drnk`, `prnk`, `quartile`, `first_amount`, `avg_qty`, `total`
FROM __sqlingest_stage__golden
