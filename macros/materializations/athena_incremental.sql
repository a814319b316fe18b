{#- The project's incremental materialization on Athena: Iceberg marts that never hide data
    (docs/incremental.md "Athena: all or nothing").

    dbt-athena's own strategies delete before they write (Hive insert_overwrite removes a
    partition's objects and Glue entries, then INSERTs) or commit in batches (Iceberg merge
    above partitions_limit partitions; a full refresh renames the table away and back). Here
    every change a reader can see is one atomic step:

      * first build: one CTAS (nobody reads the table before it exists);
      * incremental build: the run window's rows are computed into a stage table, then ONE
        `merge into` replaces the window's run_dates (macros/incremental/merge_run_window.sql):
        one Iceberg commit, all or nothing, whatever the window holds or no longer holds;
      * full refresh (also the one that turns a Hive mart of an earlier version into Iceberg):
        the new table is built complete under another name, then swapped in by one Glue
        UpdateTable (adapter.swap_table: an Iceberg table *is* its metadata pointer);
      * before either, the mart's current state is kept as `<mart>__ara_prev` (the same
        metadata pointer, marked with the invocation id), so a build that fails later restores
        every mart it touched (on-run-end: macros/incremental/restore_failed_build.sql), and a
        passing build removes the backups.

    VACUUM when a build starts (before the backup exists) and OPTIMIZE … BIN_PACK over the
    window's partitions after a merge keep the mart's files few and large (table_properties
    in dbt_project.yml). Leftovers of an earlier build
    (stage, next, backup) are removed when the next build of the mart starts. -#}
{% materialization incremental, adapter='athena', supported_languages=['sql'] -%}
    {%- set table_type = resolve_table_type() -%}
    {%- if table_type != 'iceberg' -%}
        {{ exceptions.raise_compiler_error(
            this ~ ": the project's incremental materialization on Athena builds Iceberg tables "
            ~ "(set table_type='iceberg'; docs/incremental.md)") }}
    {%- endif -%}
    {%- set s3_data_naming = config.get('s3_data_naming', default=target.s3_data_naming) -%}
    {%- if 'unique' not in s3_data_naming or config.get('external_location') -%}
        {{ exceptions.raise_compiler_error(
            this ~ ": the project's Athena marts need a unique location per table version "
            ~ "(s3_data_naming schema_table_unique, table_unique or unique; no external_location): "
            ~ "a full refresh builds the new version next to the mart's files; got s3_data_naming "
            ~ s3_data_naming) }}
    {%- endif -%}
    {%- set on_schema_change = incremental_validate_on_schema_change(
        config.get('on_schema_change'), default='fail') -%}
    {%- set force_batch = config.get('force_batch', False) in (true, 'true', 'True') -%}
    {%- set versions_to_keep = config.get('versions_to_keep', 1) | int -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set backup = athena_run_analytics.build_relation(target_relation, '__ara_prev') -%}
    {%- set stage = athena_run_analytics.build_relation(target_relation, '__ara_stage') -%}
    {%- set next = athena_run_analytics.build_relation(target_relation, '__ara_next') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- do athena_run_analytics.drop_build_leftovers(target_relation, [backup, stage, next]) -%}
    {%- set existing = load_relation(this) -%}
    {%- set existing_type = adapter.get_glue_table_type(target_relation) if existing is not none else none -%}
    {%- set is_iceberg = existing_type is not none and existing_type.value == 'iceberg_table' -%}

    {%- if existing is none -%}
        {#- first build; marked, so that a failed build drops what it created -#}
        {%- set result = safe_create_table_as(False, target_relation, compiled_code, 'sql', force_batch) -%}
        {%- do athena_run_analytics.mark_table(target_relation, 'ara_created_by_invocation',
            model.description) -%}
        {%- call noop_statement('main', result, 'CREATE') -%}{%- endcall -%}
    {%- else -%}
        {%- if existing.is_view -%}
            {{ exceptions.raise_compiler_error(
                this ~ " is a view: drop it, then build the mart (it never replaces a view)") }}
        {%- endif -%}
        {%- if not is_iceberg and not should_full_refresh() -%}
            {#- its SQL was compiled for the run window: swapping that in would drop the rest -#}
            {{ exceptions.raise_compiler_error(
                this ~ " is a Hive table built by an earlier version of the project: rebuild it "
                ~ "once as an Iceberg table with `dbt build --target athena --full-refresh` "
                ~ "(docs/incremental.md, Upgrading)") }}
        {%- endif -%}
        {%- if is_iceberg -%}
            {%- do athena_run_analytics.vacuum_mart(target_relation) -%}
        {%- endif -%}
        {%- do athena_run_analytics.keep_backup(target_relation, backup) -%}
        {%- if should_full_refresh() -%}
            {%- if not is_iceberg -%}
                {%- do log(this ~ ' is a Hive table: rebuilt as an Iceberg table and swapped in', info=True) -%}
            {%- endif -%}
            {%- set result = safe_create_table_as(False, next, compiled_code, 'sql', force_batch) -%}
            {%- do adapter.swap_table(next, target_relation) -%}
            {#- its files are the mart's now: the catalog entry goes, never its objects -#}
            {%- do adapter.delete_from_glue_catalog(next) -%}
            {%- call noop_statement('main', result ~ ', swapped in', 'CREATE') -%}{%- endcall -%}
        {%- else -%}
            {%- do safe_create_table_as(True, stage, compiled_code, 'sql', force_batch) -%}
            {%- do process_schema_changes(on_schema_change, stage, existing) -%}
            {%- set columns = adapter.get_columns_in_relation(stage) -%}
            {%- set stage_dates = athena_run_analytics.stage_run_dates(stage) -%}
            {%- call statement('main') -%}
                {{ athena_run_analytics.merge_run_window(target_relation, stage, columns, stage_dates) }}
            {%- endcall -%}
            {%- do athena_run_analytics.compact_run_window(target_relation, stage_dates) -%}
            {%- do drop_relation(stage) -%}
        {%- endif -%}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {%- do adapter.commit() -%}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {%- do persist_docs(target_relation, model) -%}
    {%- do adapter.expire_glue_table_versions(target_relation, versions_to_keep, False) -%}
    {{ return({'relations': [target_relation]}) }}
{%- endmaterialization %}
