{#- DuckDB: the export root as a SQL-quoted string body (no trailing slash). The same expression
    as the sources yml (models/staging/sweep/_sweep__sources.yml). -#}
{% macro local_warehouse_root() -%}
    {{- return((var("warehouse_root", env_var("ARA_ROOT", "./warehouse")) | trim).rstrip('/') | replace("'", "''")) -}}
{%- endmacro %}
