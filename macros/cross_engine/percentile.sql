{#- An aggregate: the exact `fraction` percentile (0..1) of `expression`, one definition on both
    engines — linear interpolation between the closest ranks (numpy's default `linear` method,
    DuckDB's quantile_cont, Hyndman & Fan type 7). Of the n non-null values sorted ascending
    (x[1]..x[n]), with h = (n - 1) * fraction:

        percentile = x[floor(h) + 1] + (h - floor(h)) * (x[ceil(h) + 1] - x[floor(h) + 1])

    Null when every value is null. Values [1, 2, 3, 4]: p50 = 2.5, p95 = 3.85.
    `fraction` must be a number literal. -#}
{% macro percentile(expression, fraction) -%}
    {%- if fraction is not number or fraction < 0 or fraction > 1 -%}
        {{ exceptions.raise_compiler_error(
            "percentile: fraction must be a number from 0 to 1, got " ~ fraction) }}
    {%- endif -%}
    {{ return(adapter.dispatch('percentile', 'athena_run_analytics')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Athena (Trino) has only the approximate approx_percentile (a t-digest that returns a data
    point on small groups), so the exact definition is computed from the sorted values. -#}
{% macro athena__percentile(expression, fraction) -%}
    {%- set values = "array_sort(array_agg(" ~ expression ~ ") filter (where " ~ expression ~ " is not null))" -%}
    {%- set rank = "(cast(count(" ~ expression ~ ") - 1 as double) * " ~ fraction ~ ")" -%}
    {%- set low = "element_at(" ~ values ~ ", cast(floor(" ~ rank ~ ") as bigint) + 1)" -%}
    {%- set high = "element_at(" ~ values ~ ", cast(ceiling(" ~ rank ~ ") as bigint) + 1)" -%}
    ({{ low }} + ({{ rank }} - floor({{ rank }})) * ({{ high }} - {{ low }}))
{%- endmacro %}
