{#- The run_dates ('YYYY-MM-DD', sorted) that hold any object of the runs in var
    `reprocess_run_ids`; [] when the var is empty. Runs a query: call it only when `execute`. -#}
{% macro reprocess_run_dates() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set ids = athena_run_analytics.reprocess_run_ids() -%}
    {%- if not ids -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.dispatch('reprocess_run_dates', 'athena_run_analytics')(ids)) }}
{%- endmacro %}

{#- Athena: the raw external tables are partitioned by run_date and run_id, so this reads
    partition metadata only. -#}
{% macro default__reprocess_run_dates(run_ids) -%}
    {%- set quoted = [] -%}
    {%- for run_id in run_ids -%}{%- do quoted.append("'" ~ run_id ~ "'") -%}{%- endfor -%}
    {%- set schema = env_var('ARA_ATHENA_DATABASE', 'sweep_analytics') -%}
    {%- set query -%}
        {%- for table in ['run_context', 'effective_params', 'outcomes'] %}
        select distinct cast(run_date as varchar) as run_date
        from {{ adapter.quote(target.database) }}.{{ adapter.quote(schema) }}.{{ adapter.quote(table) }}
        where run_id in ({{ quoted | join(', ') }})
        {% if not loop.last %}union{% endif %}
        {%- endfor %}
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {%- set dates = [] -%}
    {%- for row in (result.rows if result is not none else []) -%}
        {%- do dates.append(row[0] | string) -%}
    {%- endfor -%}
    {{ return(dates | unique | sort) }}
{%- endmacro %}

{#- DuckDB: one glob of the run folders `{root}/{dataset}/run_date=*/run_id={id}/` (a listing
    of the run_date folders, not of the files). -#}
{% macro duckdb__reprocess_run_dates(run_ids) -%}
    {%- set root = athena_run_analytics.local_warehouse_root() -%}
    {%- set dates = [] -%}
    {%- for run_id in run_ids -%}
        {%- set found = run_query(
            "select distinct regexp_extract(file, 'run_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) "
            ~ "from glob('" ~ root ~ "/*/run_date=*/run_id=" ~ run_id ~ "/')") -%}
        {%- for row in found.rows -%}
            {%- if row[0] -%}{%- do dates.append(row[0] | string) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(dates | unique | sort) }}
{%- endmacro %}
