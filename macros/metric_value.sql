{#- Read one metric by name from the outcome's `metrics` map (double; null when absent):

        {{ metric_value('peak_infected') }} -#}
{% macro metric_value(name, column='metrics') -%}
    {{ return(adapter.dispatch('metric_value', 'athena_run_analytics')(name, column)) }}
{%- endmacro %}

{#- Trino: element_at is null for a missing key (the [] subscript fails instead). -#}
{% macro default__metric_value(name, column) -%}
    element_at({{ column }}, '{{ athena_run_analytics.checked_name(name) }}')
{%- endmacro %}

{#- DuckDB: the subscript is the value or null (element_at returns a list there). -#}
{% macro duckdb__metric_value(name, column) -%}
    {{ column }}['{{ athena_run_analytics.checked_name(name) }}']
{%- endmacro %}

{% macro athena__metric_value(name, column) -%}
    {{ athena_run_analytics.default__metric_value(name, column) }}
{%- endmacro %}
