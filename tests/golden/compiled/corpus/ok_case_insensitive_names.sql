-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT ORDER_ID, Amount, o.Status
FROM lake.silver.orders AS O
WHERE o.CUSTOMER_ID IS NOT NULL
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `ORDER_ID`, `Amount`, `Status`
FROM __sqlingest_stage__golden
