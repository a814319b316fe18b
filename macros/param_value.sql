{#- Read one effective parameter by name, typed, on either engine:

        {{ param_value('beta') }}                       -- double (the default)
        {{ param_value('population', 'bigint') }}
        {{ param_value('model', 'string') }}
        {{ param_value('schedule', 'json') }}           -- arrays / objects as JSON text

    `column` is the canonical-JSON column (params_json). A point without the parameter gives
    null. A value that does not convert to the type is an error (DuckDB and Athena alike). -#}
{% macro param_value(name, type='double', column='params_json') -%}
    {{ return(adapter.dispatch('param_value', 'athena_run_analytics')(name, type, column)) }}
{%- endmacro %}

{% macro default__param_value(name, type, column) -%}
    {%- set sql_type = athena_run_analytics.sql_type(type) -%}
    {%- set path = "'$[\"" ~ athena_run_analytics.checked_name(name) ~ "\"]'" -%}
    {%- if sql_type == 'json' -%}
        json_format(json_extract({{ column }}, {{ path }}))
    {%- else -%}
        cast(json_extract_scalar({{ column }}, {{ path }}) as {{ sql_type }})
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__param_value(name, type, column) -%}
    {%- set sql_type = athena_run_analytics.sql_type(type) -%}
    {%- set path = "'$.\"" ~ athena_run_analytics.checked_name(name) ~ "\"'" -%}
    {%- if sql_type == 'json' -%}
        cast(json_extract({{ column }}, {{ path }}) as varchar)
    {%- else -%}
        cast(json_extract_string({{ column }}, {{ path }}) as {{ sql_type }})
    {%- endif -%}
{%- endmacro %}

{#- Athena (Trino): json_extract_scalar returns the unquoted scalar; `$["name"]` quotes any name. -#}
{% macro athena__param_value(name, type, column) -%}
    {{ athena_run_analytics.default__param_value(name, type, column) }}
{%- endmacro %}
