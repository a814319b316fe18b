{#- The table's DDL: data columns (the source's columns that are not partition keys), in order. -#}
{% macro create_external_table(source_node) -%}
    {%- set external = source_node.external -%}
    {%- set partitions = external.partitions or [] -%}
    {%- set partition_names = partitions | map(attribute='name') | list -%}
    {%- set columns = source_node.columns.values() | rejectattr('name', 'in', partition_names) | list -%}
create external table if not exists {{ source_node.schema }}.{{ source_node.identifier }} (
{%- for column in columns %}
    {{ column.name }} {{ column.data_type }}{{ ',' if not loop.last }}
{%- endfor %}
)
{%- if partitions %}
partitioned by ({% for partition in partitions %}{{ partition.name }} {{ partition.data_type }}{{ ', ' if not loop.last }}{% endfor %})
{%- endif %}
{%- if external.row_format %}
row format {{ external.row_format }}
{%- endif %}
{%- if external.file_format %}
stored as {{ external.file_format }}
{%- endif %}
location '{{ external.location }}'
{%- if external.tbl_properties %}
tblproperties {{ external.tbl_properties }}
{%- endif %}
{%- endmacro %}
