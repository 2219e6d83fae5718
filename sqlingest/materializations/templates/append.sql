{#- Add the staged rows; the reader already skipped inputs this table holds, so reruns add nothing twice. -#}
INSERT INTO {{ relation }}
SELECT {{ columns | join(', ') }}
FROM {{ stage }}
