{#- The run window's reference date (a datetime.date): var `run_window_as_of`, a day
    'YYYY-MM-DD' (YAML may hand it over as a date: same thing), or, when it is unset or empty,
    the build's start date in UTC (dbt's run_started_at). -#}
{% macro run_window_as_of() -%}
    {%- set value = var('run_window_as_of', none) -%}
    {%- if value is none or (value | string | trim) in ('', 'None') -%}
        {{- return(run_started_at.date()) -}}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set found = modules.re.fullmatch("([0-9]{4})-([0-9]{2})-([0-9]{2})", text) -%}
    {%- if found -%}
        {%- set year, month, day = found.group(1) | int, found.group(2) | int, found.group(3) | int -%}
        {%- if year >= 1 and 1 <= month <= 12 and 1 <= day <= 31 -%}
            {%- set parsed = modules.datetime.date(year, month, 1) + modules.datetime.timedelta(days=day - 1) -%}
            {%- if parsed.month == month -%}
                {{- return(parsed) -}}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var run_window_as_of must be a day YYYY-MM-DD (or unset for today, UTC), got " ~ text) }}
{%- endmacro %}
