{#- DuckDB: the source relation of `table_name` restricted to the run window, for the
    incremental branch of a staging model (macros/incremental/run_window_filter.sql).

    The source's read_parquet() reads one glob over every object of the dataset; with
    union_by_name that opens every file's footer, so its cost grows with the store. Here the
    same read_parquet() call (same options: hive types, union_by_name for additive 1.x columns)
    gets the explicit list of the window's files instead: one listing of the dataset's
    run_date folders, then one listing per run_date in the window. Cost follows the window, not
    the store. No file in the window: an empty relation with the source's columns. -#}
{% macro window_source(relation, table_name) -%}
    {%- set location = relation.external or '' -%}
    {%- set found = modules.re.match("(\\s*read_parquet\\(\\s*)'((?:[^']|'')*)/\\*/\\*/\\*\\.parquet'(.*)$", location, modules.re.S) -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(
            "source sweep." ~ table_name ~ ": its external_location must be read_parquet('<root>/<dataset>/*/*/*.parquet', ...) to read a run window, got " ~ location) }}
    {%- endif -%}
    {%- set dataset_dir = found.group(2) -%}
    {%- set since = athena_run_analytics.run_window_since() -%}
    {%- set extra = athena_run_analytics.reprocess_run_dates() -%}
    {%- set folders = run_query("select file from glob('" ~ dataset_dir ~ "/run_date=*/') order by file") -%}
    {%- set globs = [] -%}
    {%- for row in folders.rows -%}
        {%- set day = modules.re.search("run_date=([0-9]{4}-[0-9]{2}-[0-9]{2})/?$", row[0]) -%}
        {%- if day and (day.group(1) >= since or day.group(1) in extra) -%}
            {%- do globs.append("select file from glob('" ~ dataset_dir ~ "/run_date=" ~ day.group(1) ~ "/*/*.parquet')") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set files = [] -%}
    {%- if globs -%}
        {%- set listed = run_query(globs | join(' union all ') ~ ' order by file') -%}
        {%- for row in listed.rows -%}
            {%- do files.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not files -%}
        {{ athena_run_analytics.empty_source_relation('sweep', table_name) }}
    {%- else -%}
        {{ found.group(1) }}[{{ files | join(', ') }}]{{ found.group(3) }}
    {%- endif -%}
{%- endmacro %}
