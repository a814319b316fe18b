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


{% macro json_number_text(number_text) -%}
    {{ return(adapter.dispatch('json_number_text', 'athena_run_analytics')(number_text)) }}
{%- endmacro %}

{#- Trino: the token text already (see json_value_scalar). -#}
{% macro default__json_number_text(number_text) -%}
    {{ number_text }}
{%- endmacro %}

{#- DuckDB re-serialises a parsed float (1e-07 -> 1e-7; integers keep their digits, even beyond
    64 bits). A float token always has '.' or an exponent; its exported text is Python's repr,
    which DuckDB's format('{}', x) writes (shortest round-trip digits, exponent below 1e-4 and
    from 1e16) except the '.0' of an integral value. -#}
{% macro duckdb__json_number_text(number_text) -%}
    case
        when {{ number_text }} like '%.%' or lower({{ number_text }}) like '%e%'
            then case
                when format('{}', cast({{ number_text }} as double)) similar to '.*[.en].*'
                    then format('{}', cast({{ number_text }} as double))
                else format('{}', cast({{ number_text }} as double)) || '.0'
            end
        else {{ number_text }}
    end
{%- endmacro %}

{% macro athena__json_number_text(number_text) -%}
    {{ athena_run_analytics.default__json_number_text(number_text) }}
{%- endmacro %}
