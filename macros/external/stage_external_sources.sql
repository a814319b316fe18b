{#- Athena: create the external tables the `sweep` source declares and register their
    partitions, in the shape of dbt-external-tables' `stage_external_sources` (the hub is out of
    reach, so it lives in the project):

        dbt run-operation stage_external_sources --target athena
        dbt run-operation stage_external_sources --target athena --args '{select: sweep.outcomes}'
        dbt run-operation stage_external_sources --target athena \
            --args '{run_id: sir-baseline-20261123, run_date: "2026-11-23"}'

    A source table takes part when it has `external.location` (models/staging/sweep/_sweep__sources.yml).
    For each: `create external table if not exists` from its columns and `external` properties
    (never dropped or replaced, so re-running is safe and never touches data), then its
    partitions: with `run_id` and `run_date`, that run's partition only (`alter table … add if
    not exists partition`, the statement of `ara athena add-partitions`); without them,
    `msck repair table` (hive_compatible_partitions: every run_date=/run_id= folder, adds only).
    The statements equal the bootstrap's (tests/test_dbt_external_sources.py). -#}
{% macro stage_external_sources(select=none, run_id=none, run_date=none) -%}
    {%- if target.type != 'athena' -%}
        {{ exceptions.raise_compiler_error(
            "stage_external_sources is for the athena target; the local target reads the Parquet directly") }}
    {%- endif -%}
    {%- if not (env_var('ARA_ROOT', '') | trim).startswith('s3://') -%}
        {{ exceptions.raise_compiler_error(
            "stage_external_sources: set ARA_ROOT to the s3:// export root the tables read") }}
    {%- endif -%}
    {%- if (run_id is none) != (run_date is none) -%}
        {{ exceptions.raise_compiler_error("stage_external_sources: give both run_id and run_date, or neither") }}
    {%- endif -%}
    {%- if run_id is not none -%}
        {%- if not modules.re.fullmatch("[A-Za-z0-9](?:[A-Za-z0-9_-]|\\.(?!\\.)){0,127}", run_id | string) -%}
            {{ exceptions.raise_compiler_error("stage_external_sources: invalid run_id " ~ run_id) }}
        {%- endif -%}
        {%- if not modules.re.fullmatch("\\d{4}-\\d{2}-\\d{2}", run_date | string) -%}
            {{ exceptions.raise_compiler_error("stage_external_sources: run_date must be YYYY-MM-DD, got " ~ run_date) }}
        {%- endif -%}
    {%- endif -%}
    {%- set selected = (select or '') | string | replace(',', ' ') -%}
    {%- set wanted = selected.split() -%}
    {%- set nodes = [] -%}
    {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set name = node.source_name ~ '.' ~ node.name -%}
        {%- if node.external and node.external.location
            and (not wanted or node.source_name in wanted or name in wanted) -%}
            {%- do nodes.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if execute and not nodes -%}
        {{ exceptions.raise_compiler_error("stage_external_sources: no source with external.location matches " ~ (select or 'anything')) }}
    {%- endif -%}
    {%- for node in nodes -%}
        {%- set plan = [athena_run_analytics.create_external_table(node)]
            + athena_run_analytics.refresh_external_table(node, run_id, run_date) -%}
        {%- for statement in plan -%}
            {%- do log(node.source_name ~ "." ~ node.name ~ ": " ~ statement.split('(')[0] | trim, info=True) -%}
            {%- if execute -%}
                {%- do run_query(statement) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}
