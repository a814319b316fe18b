{#- DuckDB: `files` (a read_parquet() call) with every column of the source's contract; see
    duckdb__sweep_source. An empty relation (no file in the window) is returned as it is. -#}
{% macro with_contract_columns(files, table_name) -%}
    {%- if not (files | string | trim).startswith('read_parquet(') -%}
        {{- return(files) -}}
    {%- endif -%}
    (
        select * from {{ files }}
        union all by name
        select * from {{ athena_run_analytics.empty_source_relation('sweep', table_name) }}
    )
{%- endmacro %}
