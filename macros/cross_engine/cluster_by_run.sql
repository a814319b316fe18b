{#- The end of a point-level model's select: the order its rows are stored in.

    DuckDB: `order by run_date, run_id`, so a run's rows sit together in the table's row groups
    (a join or a parallel read of many files leaves them scattered). A one-run query
    (`where run_id = …`) then reads a few compact segments instead of a run_id column
    scattered over the whole store, and costs about the same at any store size
    (docs/benchmarks.md); an incremental build sorts its window only.
    Athena: nothing. The marts' Hive partitions (run_date, run_id) already place a run's rows
    together, and the staging and intermediate models are views (an order by would only add
    a sort stage). -#}
{% macro cluster_by_run() -%}
    {{ return(adapter.dispatch('cluster_by_run', 'athena_run_analytics')()) }}
{%- endmacro %}

{% macro default__cluster_by_run() -%}
{%- endmacro %}

{% macro duckdb__cluster_by_run() -%}
    order by run_date, run_id
{%- endmacro %}
