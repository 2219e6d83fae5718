{#- A path-based Delta table (delta.`/…`) with a new schema can only be replaced with REPLACE TABLE: Delta refuses
    CREATE OR REPLACE on a path whose schema differs. The runner replaces only tables that exist. -#}
{%- if replace and relation.startswith('delta.`') %}REPLACE{% else %}CREATE {{ 'OR REPLACE' if replace else '' }}{% endif %} TABLE {{ '' if replace else 'IF NOT EXISTS' }} {{ relation }} (
  {{ columns_ddl }}
)
USING {{ format }}
{%- if options is defined and options %}
OPTIONS (
  {%- for key, value in options.items() %}
  '{{ key }}' = '{{ value }}'{{ ',' if not loop.last }}
  {%- endfor %}
)
{%- endif %}
{%- if partitioned_by %}
PARTITIONED BY ({{ partitioned_by | join(', ') }})
{%- endif %}
{%- if location %}
LOCATION '{{ location }}'
{%- endif %}
{%- if comment %}
COMMENT '{{ comment | replace("'", "\\'") }}'
{%- endif %}
{%- if properties %}
TBLPROPERTIES (
  {%- for key, value in properties.items() %}
  '{{ key }}' = '{{ value }}'{{ ',' if not loop.last }}
  {%- endfor %}
)
{%- endif %}
