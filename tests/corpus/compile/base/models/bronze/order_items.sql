{{ config(materialized='append') }}
SELECT * FROM {{ source('shop', 'order_items') }}
