{#- The latest staged row per key, shared by merge.sql, scd1.sql and rebuild_latest.sql (an override imports it the
    same way): the latest by the ordering column (NULLs last); on a tie a delete wins, then the smallest hash of the
    values, so the choice is the same on every run and in every materialization. -#}
{%- macro latest_rows(stage, columns, unique_key, ordering, delete_flag) -%}
SELECT *, row_number() OVER (
      PARTITION BY {{ unique_key | join(', ') }}
      ORDER BY {{ (ordering ~ ' DESC NULLS LAST, ') if ordering else '' }}
      {{- ('coalesce(' ~ delete_flag ~ ', false) DESC, ') if delete_flag else '' }}xxhash64({{ columns | join(', ') }})
    ) AS __sqlingest_rn
    FROM {{ stage }}
{%- endmacro %}
