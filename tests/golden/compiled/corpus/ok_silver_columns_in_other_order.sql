-- ==> compiled/silver/customers.sql
-- model: silver.customers  materialized: merge  format: iceberg
-- relation: lake.silver.customers
SELECT updated_at, vip, signup_date, country, email, name, customer_id
FROM lake.bronze.customers
WHERE customer_id IS NOT NULL AND name IS NOT NULL
