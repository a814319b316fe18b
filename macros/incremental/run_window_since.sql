{#- The first run_date in the window, 'YYYY-MM-DD': the window's reference date minus var
    `lookback_days` (default 3).

    The reference date is var `run_window_as_of` ('YYYY-MM-DD'), unset by default: then it is
    the build's start date in UTC (dbt's run_started_at, one value for the whole invocation, so
    every model and data test uses the same window). Set it to reproduce a build later, to
    backfill as of a past day, or in a test, which must never meet a window it did not choose
    (docs/incremental.md). -#}
{% macro run_window_since() -%}
    {%- if not execute -%}
        {#- parsing (or sqlfluff's offline templater): any date renders valid SQL -#}
        {{ return('1970-01-01') }}
    {%- endif -%}
    {%- set days = var('lookback_days', 3) -%}
    {%- if days is string and days | trim | length > 0 and (days | trim).isdigit() -%}
        {%- set days = days | trim | int -%}
    {%- endif -%}
    {%- if days is not number or days is sameas true or days is sameas false or days < 0 or days != days | int -%}
        {{ exceptions.raise_compiler_error(
            "var lookback_days must be a whole number of days >= 0, got " ~ days) }}
    {%- endif -%}
    {%- set since = athena_run_analytics.run_window_as_of() - modules.datetime.timedelta(days=days | int) -%}
    {{- return(since.isoformat()) -}}
{%- endmacro %}
