{#- What a staging model's `source` CTE selects from, for one table of the `sweep` source:

        select * from {{ sweep_source('outcomes') }}

    Athena (the default): the source itself, the bootstrap's external table (an empty table is
    fine there). DuckDB (local target): the source is a read_parquet() over the dataset's files,
    which fails when its glob matches no file at all — a dataset the feature gate
    (ARA_EXPORT_RUN_CONTEXT / ARA_EXPORT_EFFECTIVE_PARAMS = false) never wrote, or an empty
    warehouse. Then it is an empty relation with the source's columns and types instead. -#}
{% macro sweep_source(table_name) -%}
    {{ return(adapter.dispatch('sweep_source', 'athena_run_analytics')(table_name)) }}
{%- endmacro %}

{% macro default__sweep_source(table_name) -%}
    {{ source('sweep', table_name) }}
{%- endmacro %}

{#- source() is called unconditionally so dbt records the dependency when it parses.

    The files are read `union all by name` with the empty typed relation: a column that no file
    read has (write_id, added in 1.1, when every file of a window is a 1.0 file) is still there,
    null, with the contract's type. -#}
{% macro duckdb__sweep_source(table_name) -%}
    {%- set relation = source('sweep', table_name) -%}
    {%- if execute and is_incremental() -%}
        {#- an incremental build of a staging table: only the run window's files -#}
        {{ athena_run_analytics.with_contract_columns(
            athena_run_analytics.window_source(relation, table_name), table_name) }}
    {%- elif execute and not athena_run_analytics.external_source_has_files(relation) -%}
        {%- set glob = modules.re.search("read_parquet\\(\\s*'((?:[^']|'')*)'", relation.external or '') -%}
        {%- do exceptions.warn("Warning: source sweep." ~ table_name ~ " has no files: nothing matches "
            ~ (glob.group(1) if glob else relation.external) ~ " (the warehouse root; a typo, "
            ~ "or a dataset the feature gate turned off?). It reads as empty.") -%}
        {{ athena_run_analytics.empty_source_relation('sweep', table_name) }}
    {%- elif execute -%}
        {{ athena_run_analytics.with_contract_columns(relation, table_name) }}
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
