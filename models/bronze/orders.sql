{{ config(materialized='append') }}
-- Raw orders as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM {{ source('retail', 'orders') }}
