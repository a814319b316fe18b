{#- The DuckDB type that read_parquet() gives a contract column declared with this Athena DDL
    type (the sources yml `data_type`). `timestamp` is timestamptz: the exporter writes UTC-adjusted
    Parquet timestamps, which DuckDB reads with a time zone (staging applies to_utc_timestamp). -#}
{% macro duckdb_type(athena_type) -%}
    {%- set type_name = (athena_type or '') | trim | lower -%}
    {%- set scalars = {
        'string': 'varchar', 'varchar': 'varchar',
        'bigint': 'bigint', 'int': 'integer', 'integer': 'integer',
        'smallint': 'smallint', 'tinyint': 'tinyint',
        'double': 'double', 'float': 'float', 'boolean': 'boolean',
        'date': 'date', 'timestamp': 'timestamp with time zone',
    } -%}
    {%- set map_type = modules.re.fullmatch("map<\\s*(\\w+)\\s*,\\s*(.+)>", type_name) -%}
    {%- set array_type = modules.re.fullmatch("array<\\s*(.+)>", type_name) -%}
    {%- if type_name in scalars -%}
        {{- scalars[type_name] -}}
    {%- elif map_type -%}
        map({{ athena_run_analytics.duckdb_type(map_type.group(1)) }}, {{ athena_run_analytics.duckdb_type(map_type.group(2)) }})
    {%- elif array_type -%}
        {{ athena_run_analytics.duckdb_type(array_type.group(1)) }}[]
    {%- else -%}
        {{ exceptions.raise_compiler_error("no DuckDB type for the source data_type '" ~ athena_type ~ "'") }}
    {%- endif -%}
{%- endmacro %}
