{{ config(materialized='append') }}
-- Raw order_lines as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM {{ source('retail', 'order_lines') }}
