-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT i.unit_price * i.qty AS line_total,
       i.unit_price + o.amount AS added,
       i.unit_price - 1 AS minus_one,
       i.unit_price / i.qty AS per_unit,
       i.unit_price / o.amount AS ratio,
       o.discount * o.discount AS big_product,
       o.discount + o.amount AS mixed,
       i.unit_price * 1.5 AS scaled,
       i.unit_price % 3 AS modulo
FROM lake.silver.order_items AS i JOIN lake.silver.orders AS o ON o.order_id = i.order_id
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `line_total`, `added`, `minus_one`, `per_unit`, `ratio`, `big_product`, `mixed`, `scaled`, `modulo`
FROM __sqlingest_stage__golden
