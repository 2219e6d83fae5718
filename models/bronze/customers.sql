{{ config(materialized='append') }}
-- Raw customers as delivered: typed by the source contract, bad values rescued, only new files are read.
SELECT * FROM {{ source('retail', 'customers') }}
