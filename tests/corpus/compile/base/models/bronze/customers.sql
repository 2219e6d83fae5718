{{ config(materialized='append') }}
SELECT * FROM {{ source('shop', 'customers') }}
