{#- Before an Athena mart build changes the mart: `<mart>__ara_prev` becomes a second catalog
    entry for the mart's current state (an empty table created for the purpose, then given
    the mart's storage and Iceberg metadata pointer by adapter.swap_table, one Glue
    UpdateTable). A failed build swaps it back (restore_failed_build); the next build of the
    mart removes it (drop_build_leftovers). The empty table's own objects are deleted once it
    no longer points at them. -#}
{% macro keep_backup(target_relation, backup) -%}
    {%- do safe_create_table_as(True, backup, 'select * from ' ~ target_relation ~ ' limit 0', 'sql') -%}
    {%- set own_location = adapter.get_glue_table_location(backup) -%}
    {%- do adapter.swap_table(target_relation, backup) -%}
    {%- if own_location and not athena_run_analytics.same_location(own_location, adapter.get_glue_table_location(target_relation)) -%}
        {%- do adapter.delete_from_s3(own_location.rstrip('/') ~ '/') -%}
    {%- endif -%}
{%- endmacro %}

{#- Whether `<mart>__ara_prev` is a whole backup (the swap happened): its location is no
    longer the one its own CTAS gave it. -#}
{% macro backup_is_complete(backup) -%}
    {%- set location = adapter.get_glue_table_location(backup) or '' -%}
    {{- return(location != '' and ('/' ~ backup.identifier ~ '/') not in location) -}}
{%- endmacro %}
