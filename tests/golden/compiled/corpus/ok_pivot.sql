-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT *
FROM (SELECT customer_id, status, amount FROM lake.silver.orders)
PIVOT (sum(amount) AS total FOR status IN ('paid' AS paid, 'shipped' AS shipped))
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT 
FROM __sqlingest_stage__golden
