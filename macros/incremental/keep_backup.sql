{#- Before an Athena mart build changes the mart: `<mart>__ara_prev` becomes a second catalog
    entry for the mart's current state (an empty table created for the purpose, then given
    the mart's storage and Iceberg metadata pointer by adapter.swap_table, one Glue
    UpdateTable), and only then is it marked as this invocation's backup (Glue parameter
    `ara_backup_of_invocation`, written with the Glue API). A failed build swaps a backup back
    only when it carries the failed invocation's mark (restore_failed_build), so neither an
    empty half-made backup nor an older build's is ever swapped in. The empty table's own
    objects are deleted once it no longer points at them. -#}
{% macro keep_backup(target_relation, backup) -%}
    {%- do safe_create_table_as(True, backup, 'select * from ' ~ target_relation ~ ' limit 0', 'sql') -%}
    {%- set own_location = adapter.get_glue_table_location(backup) -%}
    {%- do adapter.swap_table(target_relation, backup) -%}
    {%- do athena_run_analytics.mark_table(backup, 'ara_backup_of_invocation',
        'Backup of ' ~ target_relation.identifier ~ ' kept by dbt invocation ' ~ invocation_id
        ~ ' while it builds the mart (docs/incremental.md). It shares the mart''s files: remove it'
        ~ ' with the Glue API, never with DROP TABLE (that deletes the mart''s data).') -%}
    {%- if own_location and not athena_run_analytics.same_location(own_location, adapter.get_glue_table_location(target_relation)) -%}
        {%- do adapter.delete_from_s3(own_location.rstrip('/') ~ '/') -%}
    {%- endif -%}
{%- endmacro %}
