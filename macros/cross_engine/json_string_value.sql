{#- The text of a JSON string literal (quotes removed, escapes resolved). -#}
{% macro json_string_value(json_text) -%}
    {{ return(adapter.dispatch('json_string_value', 'athena_run_analytics')(json_text)) }}
{%- endmacro %}

{% macro default__json_string_value(json_text) -%}
    json_extract_scalar({{ json_text }}, '$')
{%- endmacro %}

{% macro duckdb__json_string_value(json_text) -%}
    json_extract_string({{ json_text }}, '$')
{%- endmacro %}

{% macro athena__json_string_value(json_text) -%}
    json_extract_scalar({{ json_text }}, '$')
{%- endmacro %}
