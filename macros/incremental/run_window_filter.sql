{#- The run window of an incremental build (docs/incremental.md).

    The unit of incremental work is a run_date partition: an incremental build recomputes every
    run whose run_date is in the window, from that run's current raw objects, and replaces those
    run_dates in the marts (DuckDB: delete+insert on run_date; Athena: insert_overwrite of the
    run_date / run_id partitions). The window is

      * every run_date >= (the build's start date, UTC) - var `lookback_days` (default 3), and
      * the run_dates of the runs named in var `reprocess_run_ids` (a late retry of an old run).

    `--full-refresh` ignores the window and rebuilds everything. -#}

{#- A boolean SQL predicate: `column` (a run_date) is in the run window. -#}
{% macro run_window_filter(column='run_date') -%}
    {%- set extra = athena_run_analytics.reprocess_run_dates() -%}
    ({{ column }} >= date '{{ athena_run_analytics.run_window_since() }}'
    {%- if extra %} or {{ column }} in ({% for day in extra %}date '{{ day }}'{% if not loop.last %}, {% endif %}{% endfor %}){% endif -%})
{%- endmacro %}
