{#- The pieces param_value builds on, for the value of one top-level key `name` (checked) of a
    JSON-text column. Each is null when the key is absent.

    json_value_text    the engine's JSON text of the value (strings quoted, nested values as
                       JSON); numbers in it are re-serialised by the engine, so param_value
                       takes numbers from json_value_scalar instead
    json_value_scalar  a scalar's text: a string unquoted and unescaped, true/false, a number
                       as the engine gives it; null for null, arrays and objects (DuckDB: use
                       it only for scalars)
    json_number_text   a number's text as exported: the JSON token itself (Python's repr of a
                       float, the digits of an integer) -#}
{% macro json_value_text(column, name) -%}
    {{ return(adapter.dispatch('json_value_text', 'athena_run_analytics')(column, name)) }}
{%- endmacro %}

{% macro default__json_value_text(column, name) -%}
    json_format(json_extract({{ column }}, '$["{{ name }}"]'))
{%- endmacro %}

{% macro duckdb__json_value_text(column, name) -%}
    cast(json_extract({{ column }}, '$."{{ name }}"') as varchar)
{%- endmacro %}

{% macro athena__json_value_text(column, name) -%}
    {{ athena_run_analytics.default__json_value_text(column, name) }}
{%- endmacro %}
