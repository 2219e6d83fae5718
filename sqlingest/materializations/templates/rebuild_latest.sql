{#- merge / scd1 as a full rebuild, for table formats without MERGE (only where the target declares
    fallbacks: {merge: rebuild} or {scd1: rebuild}). The staged rows are the model's complete input; the table is
    replaced by one row per key — the latest by the ordering column (NULL orderings last); on a tie a delete wins,
    then the smallest hash of the values, as in scd1.sql — and keys whose latest row is a delete are left out.
    These are the rows merge.sql / scd1.sql leave in an empty table given the same input as one batch.
    One INSERT OVERWRITE, so one commit where the format has commits. -#}
{%- from '_latest.sql' import latest_rows %}
INSERT OVERWRITE TABLE {{ relation }}
SELECT {{ columns | join(', ') }}
FROM (
  {{ latest_rows(stage, columns, unique_key, ordering, delete_flag) }}
) AS latest
WHERE __sqlingest_rn = 1
{%- if delete_flag %}
  AND NOT coalesce({{ delete_flag }}, false)
{%- endif %}
