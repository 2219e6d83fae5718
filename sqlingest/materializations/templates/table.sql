{#- Replace the whole table's contents in one commit. -#}
INSERT OVERWRITE TABLE {{ relation }}
SELECT {{ columns | join(', ') }}
FROM {{ stage }}
