{#- An aggregate: the exact `fraction` percentile (0..1) of `expression`, one definition on both
    engines — linear interpolation between the closest ranks (numpy's default `linear` method,
    DuckDB's quantile_cont, Hyndman & Fan type 7). Of the n non-null values sorted ascending
    (x[1]..x[n]), with h = (n - 1) * fraction:

        percentile = x[floor(h) + 1] + (h - floor(h)) * (x[ceil(h) + 1] - x[floor(h) + 1])

    Null when every value is null. Values [1, 2, 3, 4]: p50 = 2.5, p95 = 3.85.

    Both engines evaluate this very formula in IEEE doubles (the same operations in the same
    order), so they agree to the last bit; DuckDB's own quantile_cont follows the same definition
    but may round its last bit differently, so it is not used. Athena has only approx_percentile
    (a t-digest that returns a data point on small groups): never used either.
    `fraction` must be a number literal. -#}
{% macro percentile(expression, fraction) -%}
    {%- if fraction is not number or fraction < 0 or fraction > 1 -%}
        {{ exceptions.raise_compiler_error(
            "percentile: fraction must be a number from 0 to 1, got " ~ fraction) }}
    {%- endif -%}
    {{ return(adapter.dispatch('percentile', 'athena_run_analytics')(expression, fraction)) }}
{%- endmacro %}

{#- Trino: element_at(array, i), 1-based. -#}
{% macro default__percentile(expression, fraction) -%}
    {{ athena_run_analytics.interpolated_percentile(expression, fraction, 'element_at') }}
{%- endmacro %}

{#- DuckDB: list_extract(list, i), 1-based (element_at means something else there). -#}
{% macro duckdb__percentile(expression, fraction) -%}
    {{ athena_run_analytics.interpolated_percentile(expression, fraction, 'list_extract') }}
{%- endmacro %}

{% macro athena__percentile(expression, fraction) -%}
    {{ athena_run_analytics.default__percentile(expression, fraction) }}
{%- endmacro %}
