{{ config(materialized='merge', unique_key='product_id') }}
SELECT product_id, {{ clean_string('name') }} AS name, LOWER(category) AS category, price, active
FROM {{ ref('bronze.products') }}
WHERE product_id IS NOT NULL
