{#- Pieces shared by scd2.sql and rebuild_scd2.sql (import them in an override the same way). -#}

{#- A staged row's instant: its ordering value as a timestamp; a row without one fails the write. #}
{%- macro event_time(ordering, relation) -%}
CASE WHEN CAST({{ ordering }} AS TIMESTAMP) IS NULL
        THEN raise_error('scd2 {{ relation | replace("'", "") }}: a row has no {{ ordering | replace("'", "") }} (the ordering column) and cannot be placed in history')
        ELSE CAST({{ ordering }} AS TIMESTAMP)
      END
{%- endmacro %}

{#- Whether an event changes the chain, over a window `w` (the key's events in time order): a delete right after an
    upsert; an upsert first, after a delete, or with tracked values unlike the previous event's (null-safe). #}
{%- macro is_change(tracked) -%}
CASE
          WHEN __sqlingest_del THEN coalesce(NOT lag(__sqlingest_del) OVER w, false)
          ELSE coalesce(lag(__sqlingest_del) OVER w, true)
          {%- if tracked %}
            OR NOT (
            {%- for c in tracked %}
              lag({{ c }}) OVER w <=> {{ c }}{{ ' AND' if not loop.last }}
            {%- endfor %})
          {%- endif %}
        END
{%- endmacro %}
