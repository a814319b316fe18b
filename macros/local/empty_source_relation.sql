{#- DuckDB: an empty relation (a parenthesised select of no row) with the columns of a source
    table, in the order and with the types its sources yml lists (the contract's Athena types,
    translated by duckdb_type), so downstream models build unchanged on an empty dataset. -#}
{% macro empty_source_relation(source_name, table_name) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set columns = node.columns.values() | list -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ " lists no columns to type an empty relation with") }}
    {%- endif -%}
    (
        select
        {%- for column in columns %}
            cast(null as {{ athena_run_analytics.duckdb_type(column.data_type) }}) as {{ column.name }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
        limit 0
    )
{%- endmacro %}
