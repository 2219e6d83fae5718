{{ config(materialized='append') }}
SELECT order_id, customer_id, status, amount, discount, ordered_at, order_date, is_gift,
       CAST(priority AS INT) AS priority, CAST(channel AS INT) AS channel,
       weight, score, quantity, tags, items, attrs, ship_to, payload, _rescued_data, _source_file
FROM {{ source('shop', 'orders') }}
