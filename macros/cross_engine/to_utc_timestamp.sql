{#- A UTC point in time as a plain timestamp (no time zone), the same on both engines. -#}
{% macro to_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'athena_run_analytics')(expression)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expression) -%}
    cast({{ expression }} as timestamp)
{%- endmacro %}

{#- DuckDB reads Parquet UTC-adjusted timestamps as timestamptz: take the UTC wall clock. -#}
{% macro duckdb__to_utc_timestamp(expression) -%}
    timezone('UTC', {{ expression }})
{%- endmacro %}

{#- Athena tables declare `timestamp` (UTC) already. -#}
{% macro athena__to_utc_timestamp(expression) -%}
    cast({{ expression }} as timestamp)
{%- endmacro %}
