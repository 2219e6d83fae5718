-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT to_json(ship_to) AS j, from_json('{"a":1}', 'a INT') AS parsed, get_json_object('{"a":1}', '$.a') AS ga,
       uuid() AS u, monotonically_increasing_id() AS mid, typeof(amount) AS ty, current_user() AS who,
       named_struct('a', 1).a AS a
FROM lake.silver.orders
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `j`, `parsed`, `ga`, `u`, `mid`, `ty`, `who`, `a`
FROM __sqlingest_stage__golden
