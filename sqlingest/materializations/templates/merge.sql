{#- Upsert on the unique key. The source is first deduplicated: one row per key, the latest by the ordering
    column (ties: a delete, then the smallest hash of the values; templates/_latest.sql). Rows whose values did not
    change are left alone, so a rerun of the same batch rewrites nothing.
    With a delete flag, a latest row whose flag is true deletes the key (and is never inserted). -#}
{%- from '_latest.sql' import latest_rows %}
MERGE INTO {{ relation }} AS t
USING (
  SELECT {{ columns | join(', ') }}
  FROM (
    {{ latest_rows(stage, columns, unique_key, ordering, delete_flag) }}
  )
  WHERE __sqlingest_rn = 1
) AS s
ON {% for k in unique_key %}t.{{ k }} = s.{{ k }}{{ ' AND ' if not loop.last }}{% endfor %}
{%- if key_range is defined and key_range %} AND {{ key_range }}{% endif %}
{%- if delete_flag %}
WHEN MATCHED AND coalesce(s.{{ delete_flag }}, false) THEN DELETE
{%- endif %}
{%- if update_columns %}
WHEN MATCHED AND NOT (
  {%- for c in compare_columns %}
  t.{{ c }} <=> s.{{ c }}{{ ' AND' if not loop.last }}
  {%- endfor %}
) THEN UPDATE SET
  {%- for c in update_columns %}
  {{ c }} = s.{{ c }}{{ ',' if not loop.last }}
  {%- endfor %}
{%- endif %}
WHEN NOT MATCHED{{ (' AND NOT coalesce(s.' ~ delete_flag ~ ', false)') if delete_flag else '' }} THEN INSERT ({{ columns | join(', ') }})
VALUES ({% for c in columns %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %})
