{#- The staged rows that change the table (merge.sql / scd1.sql): the latest row per key (templates/_latest.sql),
    without those the MERGE would leave alone — a row whose compared values equal the table's row for its key, a
    delete of a key the table does not hold, and for scd1 (newer_only) a row older than the table's by the ordering
    column. The MERGE then reads only these rows, so a copy-on-write MERGE rewrites only the files of keys that
    change, and when there are none the write is skipped: nothing is committed. -#}
{%- from '_latest.sql' import latest_rows %}
{%- set is_delete = ('coalesce(s.' ~ delete_flag ~ ', false)') if delete_flag else 'false' %}
{%- set not_older = ('(t.' ~ ordering ~ ' IS NULL OR s.' ~ ordering ~ ' >= t.' ~ ordering ~ ')') if (ordering and newer_only) else 'true' %}
SELECT {% for c in columns %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
FROM (
  SELECT {{ columns | join(', ') }}
  FROM (
    {{ latest_rows(stage, columns, unique_key, ordering, delete_flag) }}
  )
  WHERE __sqlingest_rn = 1
) AS s
LEFT JOIN (
  SELECT {{ (unique_key + compare_columns + ([ordering] if ordering and newer_only and ordering not in compare_columns else [])) | unique | join(', ') }}, true AS __sqlingest_held
  FROM {{ relation }}
) AS t
ON {% for k in unique_key %}t.{{ k }} = s.{{ k }}{{ ' AND ' if not loop.last }}{% endfor %}
WHERE CASE WHEN t.__sqlingest_held IS NULL THEN NOT {{ is_delete }}
      ELSE {{ not_older }} AND ({{ is_delete }}
      {%- if update_columns %} OR NOT (
        {%- for c in compare_columns %}
        t.{{ c }} <=> s.{{ c }}{{ ' AND' if not loop.last }}
        {%- endfor %}
      ){%- endif %}) END
