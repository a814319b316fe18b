{#- on-run-end, Athena: a build that failed leaves every mart as it was before the build.

    When any node of the invocation ended in `error` or `fail` (a statement, a compile error,
    a model, a data test), every incremental mart of the invocation is put back:
      * a mart whose `<mart>__ara_prev` carries this invocation's mark (keep_backup: made
        whole by this invocation, so the mart may have changed since) gets it back by one Glue
        UpdateTable (adapter.swap_table: the mart's metadata pointer as it was);
      * a mart this invocation created (its first build, marked `ara_created_by_invocation`)
        is dropped with its files;
      * any other mart was not changed by this invocation (its build stopped before its
        backup was whole, or never started) and is left alone.
    Every swap comes first; then the files of a swapped-in full refresh (this build wrote them)
    are deleted. The merge's own files stay as orphans until VACUUM removes them.
    When every node passed, the backups go (a backup sharing its mart's files loses only its
    catalog entry; the one a full refresh replaced goes with its files), so between builds no
    second catalog entry points at a mart's files.
    Nothing happens on other targets (DuckDB runs each mart's delete and insert in one
    transaction). -#}
{% macro restore_failed_build(results) -%}
    {%- if not execute or target.type != 'athena' -%}{{ return('') }}{%- endif -%}
    {%- set failed = [] -%}
    {%- set marts = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail') -%}
            {%- do failed.append(result.node.unique_id) -%}
        {%- endif -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
              and node.config.materialized == 'incremental' -%}
            {%- do marts.append(api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias, type='table')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not failed -%}
        {%- for mart in marts -%}
            {%- do athena_run_analytics.drop_build_leftovers(
                mart, [athena_run_analytics.build_relation(mart, '__ara_prev')]) -%}
        {%- endfor -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set deletes = [] -%}
    {%- for mart in marts -%}
        {%- set backup = athena_run_analytics.build_relation(mart, '__ara_prev') -%}
        {%- set exists = adapter.get_glue_table(mart) -%}
        {%- if exists and athena_run_analytics.invocation_mark(backup, 'ara_backup_of_invocation') == invocation_id -%}
            {%- set current = adapter.get_glue_table_location(mart) -%}
            {%- set previous = adapter.get_glue_table_location(backup) -%}
            {%- do adapter.swap_table(backup, mart) -%}
            {%- if current and not athena_run_analytics.same_location(current, previous) -%}
                {%- do deletes.append(current.rstrip('/') ~ '/') -%}
            {%- endif -%}
            {%- do log('restore_failed_build: ' ~ mart ~ ' is as before the build', info=True) -%}
        {%- elif exists and athena_run_analytics.invocation_mark(mart, 'ara_created_by_invocation') == invocation_id -%}
            {%- do drop_relation_glue(mart) -%}
            {%- do log('restore_failed_build: ' ~ mart ~ ' dropped (this build created it)', info=True) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for location in deletes -%}
        {%- do adapter.delete_from_s3(location) -%}
    {%- endfor -%}
    {%- do log('restore_failed_build: the build failed (' ~ (failed | join(', ')) ~ '); every mart is as before it', info=True) -%}
    {{- return('') -}}
{%- endmacro %}
