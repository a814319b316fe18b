{#- pre_hook of the incremental staging tables and marts: an incremental build first removes
    every row of the run window from the table, then inserts the window as recomputed.

    delete+insert (DuckDB) alone replaces only the run_dates that the recomputed window
    *holds*. A run_date or partition that the raw
    objects no longer feed at all would keep its old rows: e.g. a run retried under the params
    gate (ARA_EXPORT_EFFECTIVE_PARAMS=false), whose params objects the exporter deletes, alone
    on its run_date; or a run whose every point failed on retry (no metric summary rows). A full
    refresh has none of them, so the window is cleared first (tests/test_dbt_incremental.py).
    Renders nothing outside an incremental build. -#}
{% macro clear_run_window() -%}
    {%- if execute and is_incremental() -%}
        {{- return(adapter.dispatch('clear_run_window', 'athena_run_analytics')()) -}}
    {%- endif -%}
    {{- return('') -}}
{%- endmacro %}

{% macro default__clear_run_window() -%}
    {{- return('delete from ' ~ this ~ ' where ' ~ athena_run_analytics.run_window_filter('run_date')) -}}
{%- endmacro %}

{#- Athena: nothing. The marts' own materialization replaces the whole window in one MERGE
    (macros/incremental/merge_run_window.sql), run_dates the raw objects no longer feed
    included, and the staging models are views. Deleting first would hide the window from
    readers until the build ends, and lose it if the build failed. -#}
{% macro athena__clear_run_window() -%}
    {{- return('') -}}
{%- endmacro %}
