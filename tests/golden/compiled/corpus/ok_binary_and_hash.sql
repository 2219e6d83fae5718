-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, payload, length(payload) AS n, hex(payload) AS hx, xxhash64(order_id, status) AS h,
       hash(order_id) AS h32, crc32(payload) AS c
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `payload`, `n`, `hx`, `h`, `h32`, `c`
FROM __sqlingest_stage__golden
