{#- The run_dates an incremental build replaces: the run window, and the stage's own dates. -#}
{% macro replaced_run_dates(column, stage_dates) -%}
    {%- set since = athena_run_analytics.run_window_since() -%}
    {%- set covered = athena_run_analytics.reprocess_run_dates() -%}
    {%- set extra = [] -%}
    {%- for day in stage_dates if day < since and day not in covered -%}
        {%- do extra.append(day) -%}
    {%- endfor -%}
    {%- if extra -%}
    ({{ athena_run_analytics.run_window_filter(column) }} or {{ column }} in ({% for day in extra %}date '{{ day }}'{% if not loop.last %}, {% endif %}{% endfor %}))
    {%- else -%}
    {{ athena_run_analytics.run_window_filter(column) }}
    {%- endif -%}
{%- endmacro %}
