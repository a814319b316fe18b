{#- The first run_date in the window, 'YYYY-MM-DD' (from dbt's run_started_at: one value for
    the whole invocation, so every model and data test uses the same window). -#}
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
    {%- set since = run_started_at.date() - modules.datetime.timedelta(days=days | int) -%}
    {{- return(since.isoformat()) -}}
{%- endmacro %}
