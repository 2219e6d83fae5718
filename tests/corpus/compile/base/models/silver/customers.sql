{{ config(materialized='merge') }}
SELECT customer_id, {{ clean('name') }} AS name, LOWER(email) AS email, UPPER(country) AS country,
       signup_date, vip, updated_at
FROM {{ ref('bronze.customers') }}
WHERE customer_id IS NOT NULL AND name IS NOT NULL
