{#- An aggregate: the arithmetic mean of the non-null values of `expression` (double), the same
    to the last bit on both engines and on every build. avg() sums in an order neither engine
    specifies (parallel partial sums), so its last bits can differ between engines and between
    two builds of the same data; here the values are summed in ascending order, one after the
    other from 0.0, then divided by their count. Null when every value is null. -#}
{% macro mean(expression) -%}
    {{ return(adapter.dispatch('mean', 'athena_run_analytics')(expression)) }}
{%- endmacro %}

{#- Trino: reduce(array, initial, (state, value) -> state, state -> result), left to right. -#}
{% macro default__mean(expression) -%}
    (reduce(
        array_sort(array_agg({{ expression }}) filter (where {{ expression }} is not null)),
        0e0, (total, value) -> total + value, total -> total
    ) / count({{ expression }}))
{%- endmacro %}

{#- DuckDB: list_sum adds the list's elements in order, one after the other (a list is one
    aggregate state: no parallel partial sums). -#}
{% macro duckdb__mean(expression) -%}
    (list_sum(
        array_sort(array_agg({{ expression }}) filter (where {{ expression }} is not null))
    ) / count({{ expression }}))
{%- endmacro %}

{% macro athena__mean(expression) -%}
    {{ athena_run_analytics.default__mean(expression) }}
{%- endmacro %}
