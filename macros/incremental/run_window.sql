{#- The run window of an incremental build (docs/incremental.md).

    The unit of incremental work is a run_date partition: an incremental build recomputes every
    run whose run_date is in the window, from that run's current raw objects, and replaces those
    run_dates in the marts (DuckDB: delete+insert on run_date; Athena: insert_overwrite of the
    run_date / run_id partitions). The window is

      * every run_date >= (the build's start date, UTC) - var `lookback_days` (default 3), and
      * the run_dates of the runs named in var `reprocess_run_ids` (a late retry of an old run).

    `--full-refresh` ignores the window and rebuilds everything. -#}

{#- The first run_date in the window, 'YYYY-MM-DD' (from dbt's run_started_at: one value for
    the whole invocation, so every model and data test uses the same window). -#}
{% macro run_window_since() -%}
    {%- if not execute -%}
        {#- parsing (or sqlfluff's offline templater): any date renders valid SQL -#}
        {{ return('1970-01-01') }}
    {%- endif -%}
    {%- set days = var('lookback_days', 3) -%}
    {%- if days is string and days | trim | length > 0 and (days | trim).isdigit() -%}
        {%- set days = days | trim | int -%}
    {%- endif -%}
    {%- if days is not number or days is sameas true or days is sameas false or days < 0 or days != days | int -%}
        {{ exceptions.raise_compiler_error(
            "var lookback_days must be a whole number of days >= 0, got " ~ days) }}
    {%- endif -%}
    {%- set since = run_started_at.date() - modules.datetime.timedelta(days=days | int) -%}
    {{- return(since.isoformat()) -}}
{%- endmacro %}

{#- The run ids of var `reprocess_run_ids` (a list, or one id), each checked against the
    contract's run-id rule (exporter/_contract.py RUN_ID_PATTERN) before it reaches SQL. -#}
{% macro reprocess_run_ids() -%}
    {%- set ids = var('reprocess_run_ids', []) -%}
    {%- if ids is string -%}
        {%- set ids = [ids] if ids | trim else [] -%}
    {%- endif -%}
    {%- if ids is none -%}{%- set ids = [] -%}{%- endif -%}
    {%- for run_id in ids -%}
        {%- if run_id is not string or not modules.re.fullmatch("[A-Za-z0-9](?:[A-Za-z0-9_-]|\\.(?!\\.)){0,127}", run_id) -%}
            {{ exceptions.raise_compiler_error(
                "var reprocess_run_ids: " ~ run_id ~ " is not a run id (exporter RUN_ID_PATTERN)") }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(ids | list) -}}
{%- endmacro %}

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

{#- DuckDB: the export root as a SQL-quoted string body (no trailing slash). The same expression
    as the sources yml (models/staging/sweep/_sweep__sources.yml). -#}
{% macro local_warehouse_root() -%}
    {{- return((var("warehouse_root", env_var("ARA_ROOT", "./warehouse")) | trim).rstrip('/') | replace("'", "''")) -}}
{%- endmacro %}

{#- A boolean SQL predicate: `column` (a run_date) is in the run window. -#}
{% macro run_window_filter(column='run_date') -%}
    {%- set extra = athena_run_analytics.reprocess_run_dates() -%}
    ({{ column }} >= date '{{ athena_run_analytics.run_window_since() }}'
    {%- if extra %} or {{ column }} in ({% for day in extra %}date '{{ day }}'{% if not loop.last %}, {% endif %}{% endfor %}){% endif -%})
{%- endmacro %}

{#- Whether data tests look at the run window only: in a build without --full-refresh, unless
    var `test_whole_store` is true. -#}
{% macro data_tests_scoped_to_window() -%}
    {%- set whole = var('test_whole_store', false) | string | lower in ['true', '1', 'yes'] -%}
    {{ return(not flags.FULL_REFRESH and not whole) }}
{%- endmacro %}

{#- `relation` as data tests should read it: only the rows of the run window when tests are
    scoped (see data_tests_scoped_to_window), else the relation itself. Only for the project's
    models (every one has run_date); anything else is returned as it is. -#}
{% macro run_window_relation(relation) -%}
    {%- if execute and athena_run_analytics.data_tests_scoped_to_window()
            and athena_run_analytics.is_project_model(relation) -%}
        {{- return('(select * from ' ~ relation ~ ' where ' ~ athena_run_analytics.run_window_filter('run_date') ~ ')') -}}
    {%- endif -%}
    {{- return(relation) -}}
{%- endmacro %}

{% macro is_project_model(relation) -%}
    {%- set identifier = (relation.identifier if relation.identifier is defined else none) -%}
    {%- if identifier is none -%}{{ return(false) }}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
                and (node.alias or node.name) | lower == identifier | lower -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
