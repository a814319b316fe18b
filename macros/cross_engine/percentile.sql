{#- An aggregate: the `fraction` percentile (0..1) of `expression`.
    DuckDB interpolates exactly; Athena has only the approximate percentile. -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'athena_run_analytics')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro athena__percentile(expression, fraction) -%}
    approx_percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
