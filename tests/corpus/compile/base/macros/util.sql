{# Helpers the corpus's template cases call. #}
{% macro clean(column) -%}
NULLIF(TRIM({{ column }}), '')
{%- endmacro %}

{% macro money(column) -%}
CAST({{ column }} AS DECIMAL(12, 2))
{%- endmacro %}

{% macro audit_cols() -%}
current_timestamp() AS loaded_at,
  '{{ run_id }}' AS run_id
{%- endmacro %}
