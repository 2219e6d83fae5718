{{ config(materialized='scd2', unique_key='customer_id', tracked_columns=['name', 'email', 'country']) }}
SELECT
  customer_id,
  {{ clean_string('name') }} AS name,
  LOWER({{ clean_string('email') }}) AS email,
  UPPER(country) AS country,
  signup_date,
  updated_at
FROM {{ ref('bronze.customers') }}
WHERE customer_id IS NOT NULL AND updated_at IS NOT NULL
