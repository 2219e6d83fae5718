-- ==> compiled/silver/customers.sql
-- model: silver.customers  materialized: merge  format: iceberg
-- relation: lake.silver.customers
SELECT CAST(customer_id AS SMALLINT) AS customer_id, coalesce(name, 'unknown') AS name, email,
       NULL AS country, signup_date, vip, updated_at
FROM lake.bronze.customers
WHERE customer_id IS NOT NULL
