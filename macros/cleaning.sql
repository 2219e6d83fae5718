{# Reusable cleaning helpers, callable from any model. #}
{% macro clean_string(column) -%}
NULLIF(TRIM({{ column }}), '')
{%- endmacro %}

{% macro latest_by(key, ordering) -%}
QUALIFY ROW_NUMBER() OVER (PARTITION BY {{ key }} ORDER BY {{ ordering }} DESC) = 1
{%- endmacro %}
