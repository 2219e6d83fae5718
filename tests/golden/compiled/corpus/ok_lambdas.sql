-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id,
       transform(tags, x -> x + 1) AS bumped,
       transform(tags, (x, i) -> x * i) AS weighted,
       filter(tags, x -> x > 1) AS big,
       exists(tags, x -> x = 0) AS has_zero,
       forall(tags, x -> x >= 0) AS all_pos,
       aggregate(tags, 0, (acc, x) -> acc + x) AS total,
       aggregate(tags, 0L, (acc, x) -> acc + x, acc -> acc * 2) AS total2,
       transform(items, it -> it.qty) AS qtys,
       map_filter(attrs, (k, v) -> v > 0) AS positive,
       transform_values(attrs, (k, v) -> v * 10) AS scaled,
       zip_with(tags, tags, (a, b) -> a * b) AS squares
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `bumped`, `weighted`, `big`, `has_zero`, `all_pos`, `total`, `total2`, `qtys`, `positive`, `scaled`, `squares`
FROM __sqlingest_stage__golden
