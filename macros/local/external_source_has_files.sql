{#- DuckDB: whether the read_parquet('<glob>', …) location of a dbt-duckdb external source
    (meta external_location) matches at least one file. Any other kind of location is assumed
    to exist. Runs a query, so call it only when `execute` is true. -#}
{% macro external_source_has_files(relation) -%}
    {%- set location = relation.external or '' -%}
    {%- set found = modules.re.match("\\s*read_parquet\\(\\s*('(?:[^']|'')*')", location) -%}
    {%- if not found -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set files = run_query("select count(*) from glob(" ~ found.group(1) ~ ")") -%}
    {{ return(files.columns[0].values()[0] > 0) }}
{%- endmacro %}
