{#- A JSON number's text as exported (see json_value_text.sql for the three pieces). -#}
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
