{#- The SQL type for a value-type name an analyst writes: double, bigint, string, boolean, json.
    The names are the same on DuckDB and Athena (Trino); `json` means "leave it as JSON text". -#}
{% macro sql_type(type_name) -%}
    {%- set types = {
        'double': 'double', 'float': 'double',
        'bigint': 'bigint', 'integer': 'bigint', 'int': 'bigint',
        'string': 'varchar', 'varchar': 'varchar',
        'boolean': 'boolean', 'bool': 'boolean',
        'json': 'json',
    } -%}
    {%- if type_name | lower not in types -%}
        {{ exceptions.raise_compiler_error(
            "unknown value type '" ~ type_name ~ "'; use one of " ~ (types.keys() | list | sort | join(', '))) }}
    {%- endif -%}
    {{- types[type_name | lower] -}}
{%- endmacro %}
