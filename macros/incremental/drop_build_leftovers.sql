{#- First step of an Athena mart build: remove the work tables an earlier build of this mart
    left (its backup, a stage or next table of a build that failed). A work table that shares
    the mart's files (the backup of a successful incremental build points at the mart's own
    metadata) loses only its catalog entry; one with files of its own (a failed build's stage
    or next table, the backup of the version a full refresh replaced) is dropped with them.
    Only the project's own `__ara_*` names are touched. -#}
{% macro drop_build_leftovers(target_relation, relations) -%}
    {#- the Glue catalog itself, not dbt's relation cache (a failed build's tables are not in it) -#}
    {%- set mart_location = adapter.get_glue_table_location(target_relation) -%}
    {%- for found in relations -%}
        {%- if adapter.get_glue_table(found) -%}
            {%- set location = adapter.get_glue_table_location(found) -%}
            {%- if athena_run_analytics.same_location(location, mart_location) -%}
                {%- do log('drop ' ~ found ~ ' (catalog entry only: it shares ' ~ target_relation ~ "'s files)") -%}
                {%- do adapter.delete_from_glue_catalog(found) -%}
            {%- else -%}
                {%- do log('drop ' ~ found ~ ' and its files') -%}
                {%- do drop_relation_glue(found) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
