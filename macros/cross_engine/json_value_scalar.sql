{#- A scalar's text at a top-level key (see json_value_text.sql for the three pieces). -#}
{% macro json_value_scalar(column, name) -%}
    {{ return(adapter.dispatch('json_value_scalar', 'athena_run_analytics')(column, name)) }}
{%- endmacro %}

{#- Trino: json_extract_scalar on JSON *text* returns the parser's token text, so a number
    comes back exactly as written in params_json (1e-07 stays 1e-07). -#}
{% macro default__json_value_scalar(column, name) -%}
    json_extract_scalar({{ column }}, '$["{{ name }}"]')
{%- endmacro %}

{% macro duckdb__json_value_scalar(column, name) -%}
    json_extract_string({{ column }}, '$."{{ name }}"')
{%- endmacro %}

{% macro athena__json_value_scalar(column, name) -%}
    {{ athena_run_analytics.default__json_value_scalar(column, name) }}
{%- endmacro %}
