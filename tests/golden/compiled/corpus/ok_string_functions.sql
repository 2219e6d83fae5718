-- ==> compiled/gold/t.sql
-- model: gold.t  materialized: table  format: iceberg
-- relation: lake.gold.t
SELECT name || ' <' || email || '>' AS display, concat(name, '-', country) AS c, concat_ws(' ', name, email) AS cw,
       substring(name, 1, 3) AS sub, substr(name, 2) AS sub2, upper(name) AS u, lpad(country, 3, '_') AS lp,
       regexp_extract(email, '@(.*)', 1) AS domain, regexp_replace(email, '@.*', '') AS local,
       split(email, '@')[0] AS first, length(name) AS len, instr(email, '@') AS at, trim(name) AS t,
       initcap(name) AS ic, replace(name, 'a', 'b') AS rep, md5(name) AS h, sha2(name, 256) AS h2,
       format_string('%s:%d', name, customer_id) AS fs, name || customer_id AS mixed_concat,
       startswith(name, 'A') AS sw, base64(CAST(name AS BINARY)) AS b64
FROM lake.silver.customers
-- ==> statement gold.t: write
INSERT OVERWRITE TABLE lake.gold.t
SELECT `display`, `c`, `cw`, `sub`, `sub2`, `u`, `lp`, `domain`, `local`, `first`, `len`, `at`, `t`, `ic`, `rep`, `h`, `h2`, `fs`, `mixed_concat`, `sw`, `b64`
FROM __sqlingest_stage__golden
