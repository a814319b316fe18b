{#- Overrides dbt's get_where_subquery (the documented hook behind the `where` test config): a
    data test of a build without --full-refresh reads only the run window of the model it tests
    (macros/incremental/run_window_filter.sql), so an incremental build's tests cost what its new data
    costs. A `where` config still applies on top. `--full-refresh`, or var
    `test_whole_store: true`, tests everything.

    The subquery carries no alias (DuckDB and Trino need none), so generic tests may alias it
    themselves (`from {{ model }} as child`). -#}
{% macro get_where_subquery(relation) -%}
    {%- set scoped = athena_run_analytics.run_window_relation(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {{ return('(select * from ' ~ scoped ~ ' as dbt_scoped where ' ~ where ~ ')') }}
    {%- else -%}
        {{ return(scoped) }}
    {%- endif -%}
{%- endmacro %}
