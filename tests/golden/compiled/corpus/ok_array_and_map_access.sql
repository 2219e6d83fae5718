-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT order_id, tags[0] AS first_tag, attrs['color'] AS color, element_at(tags, -1) AS last_tag,
       element_at(attrs, 'size') AS size, size(tags) AS n_tags, array_contains(tags, 3) AS has3,
       map_keys(attrs) AS ks, map_values(attrs) AS vs, cardinality(attrs) AS n_attrs
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `order_id`, `first_tag`, `color`, `last_tag`, `size`, `n_tags`, `has3`, `ks`, `vs`, `n_attrs`
FROM __sqlingest_stage__golden
