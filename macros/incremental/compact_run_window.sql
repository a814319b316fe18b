{#- Athena (Iceberg marts), after the merge: OPTIMIZE … REWRITE DATA USING BIN_PACK over the
    partitions the merge wrote (replaced_run_dates) folds its new data and delete files into
    few large files (table_properties in dbt_project.yml: a partition is rewritten as soon as
    it holds more than one small file or any delete file). Repeated while Athena answers
    ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED. The rows do not change. -#}
{% macro compact_run_window(target_relation, stage_dates) -%}
    {%- do adapter.run_operation_with_potential_multiple_runs(
        'optimize ' ~ target_relation.render_pure() ~ ' rewrite data using bin_pack where '
        ~ athena_run_analytics.replaced_run_dates('run_date', stage_dates), 'optimize') -%}
{%- endmacro %}
