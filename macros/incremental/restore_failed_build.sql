{#- on-run-end, Athena: a build that failed leaves every mart as it was before the build.

    When any node of the invocation ended in `error` or `fail` (a statement, a model, a data
    test), every incremental mart the invocation built or began to build is put back:
      * a mart whose backup `<mart>__ara_prev` is whole gets it back by one Glue UpdateTable
        (adapter.swap_table: the metadata pointer of the mart as it was), and the files of a
        full refresh that had been swapped in are deleted (this build wrote them);
      * a mart created by this invocation (its first build) is dropped with its files.
    A mart whose build failed before its backup was whole was not changed. The merge's own
    files stay as orphans until VACUUM removes them (docs/incremental.md). Nothing happens on
    other targets (DuckDB runs each mart's delete and insert in one transaction) or when every
    node passed. -#}
{% macro restore_failed_build(results) -%}
    {%- if not execute or target.type != 'athena' -%}{{ return('') }}{%- endif -%}
    {%- set failed = [] -%}
    {%- for result in results if result.status in ('error', 'fail') -%}
        {%- do failed.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- if not failed -%}{{ return('') }}{%- endif -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
              and node.config.materialized == 'incremental'
              and result.status in ('success', 'error') -%}
            {%- do athena_run_analytics.restore_mart(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do log('restore_failed_build: the build failed (' ~ (failed | join(', ')) ~ '); every mart it built is as before', info=True) -%}
    {{- return('') -}}
{%- endmacro %}

{% macro restore_mart(node) -%}
    {%- set target_relation = api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias, type='table') -%}
    {%- set mart = target_relation if adapter.get_glue_table(target_relation) else none -%}
    {%- set backup = athena_run_analytics.build_relation(target_relation, '__ara_prev') -%}
    {#- the Glue catalog itself, not dbt's relation cache: the backup was made during the run -#}
    {%- set found = adapter.get_glue_table(backup) -%}
    {%- if found and athena_run_analytics.backup_is_complete(backup) -%}
        {%- set current = adapter.get_glue_table_location(target_relation) if mart is not none else none -%}
        {%- set previous = adapter.get_glue_table_location(backup) -%}
        {%- do adapter.swap_table(backup, target_relation) -%}
        {%- if current and not athena_run_analytics.same_location(current, previous) -%}
            {%- do adapter.delete_from_s3(current.rstrip('/') ~ '/') -%}
        {%- endif -%}
        {%- do log('restore_failed_build: ' ~ target_relation ~ ' restored', info=True) -%}
    {%- elif mart is not none and not found -%}
        {%- set table = adapter.get_glue_table(target_relation) -%}
        {%- set created = table['Table']['CreateTime'] if table else none -%}
        {%- if created is not none and created.timestamp() >= (run_started_at.timestamp() | int) -%}
            {%- do drop_relation_glue(mart) -%}
            {%- do log('restore_failed_build: ' ~ target_relation ~ ' dropped (created by this build)', info=True) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
