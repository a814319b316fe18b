{#- The invocation id a table was marked with (mark_table), or none. -#}
{% macro invocation_mark(relation, key) -%}
    {%- set table = adapter.get_glue_table(relation) -%}
    {%- if not table -%}{{ return(none) }}{%- endif -%}
    {{- return(table['Table'].get('Parameters', {}).get(key)) -}}
{%- endmacro %}
