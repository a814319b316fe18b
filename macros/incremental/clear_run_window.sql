{#- pre_hook of the incremental staging tables and marts: an incremental build first removes
    every row of the run window from the table, then inserts the window as recomputed.

    delete+insert (DuckDB) and insert_overwrite (Athena) alone replace only the run_dates (or
    partitions) that the recomputed window *holds*. A run_date or partition that the raw
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

{#- Athena (Hive marts): the window's partitions are dropped through dbt-athena's
    adapter.clean_up_partitions (the Glue catalog entries and their S3 objects, as its own
    insert_overwrite does for the partitions it replaces); the hook's SQL is empty. The Glue
    partition expression is the run window filter without the `date` keyword. -#}
{% macro athena__clear_run_window() -%}
    {%- set extra = athena_run_analytics.reprocess_run_dates() -%}
    {%- set expression = "run_date >= '" ~ athena_run_analytics.run_window_since() ~ "'" -%}
    {%- if extra -%}
        {%- set expression = expression ~ " or run_date in ('" ~ (extra | join("', '")) ~ "')" -%}
    {%- endif -%}
    {%- do adapter.clean_up_partitions(this, expression) -%}
    {{- return('') -}}
{%- endmacro %}
