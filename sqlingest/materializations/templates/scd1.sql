{#- Slowly changing dimension, type 1: one row per business key holding its latest values (no history).

    1. The staged rows are deduplicated to one row per key: the latest by the ordering column; on a tie a delete
       wins, then the row with the smallest hash of its values (so the choice is the same on every run).
    2. MERGE on the key:
       - the row's delete flag is true            -> the key is deleted (a delete is never inserted);
       - values differ from the table's row       -> updated (unchanged rows are not rewritten: reruns are no-ops);
       - the key is new                            -> inserted.
    With an ordering column, a row OLDER than the table's row is ignored (a late update or delete never
    overwrites newer data; an equal ordering value is a correction and applies). NULL ordering values sort first.
    One MERGE, so one commit. -#}
{%- from '_latest.sql' import latest_rows %}
{%- set is_delete = ('coalesce(s.' ~ delete_flag ~ ', false)') if delete_flag else '' %}
{%- set not_older = ('(t.' ~ ordering ~ ' IS NULL OR s.' ~ ordering ~ ' >= t.' ~ ordering ~ ')') if ordering else '' %}
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
WHEN MATCHED AND {{ is_delete }}{{ (' AND ' ~ not_older) if ordering else '' }} THEN DELETE
{%- endif %}
{%- if update_columns %}
WHEN MATCHED AND {{ (not_older ~ ' AND ') if ordering else '' }}NOT (
  {%- for c in compare_columns %}
  t.{{ c }} <=> s.{{ c }}{{ ' AND' if not loop.last }}
  {%- endfor %}
) {{- (' AND NOT ' ~ is_delete) if delete_flag else '' }} THEN UPDATE SET
  {%- for c in update_columns %}
  {{ c }} = s.{{ c }}{{ ',' if not loop.last }}
  {%- endfor %}
{%- endif %}
WHEN NOT MATCHED{{ (' AND NOT ' ~ is_delete) if delete_flag else '' }} THEN INSERT ({{ columns | join(', ') }})
VALUES ({% for c in columns %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %})
