CREATE {{ 'OR REPLACE' if replace else '' }} TABLE {{ '' if replace else 'IF NOT EXISTS' }} {{ relation }} (
  {{ columns_ddl }}
)
USING {{ format }}
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
