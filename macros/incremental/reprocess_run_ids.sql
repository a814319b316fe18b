{#- The run ids of var `reprocess_run_ids` (a list, or one id), each checked against the
    contract's run-id pattern (exporter/_contract.py RUN_ID_PATTERN) before it reaches SQL.
    The contract's run-id rule also refuses credential shapes (AWS key ids, JWTs;
    exporter/_records.py validate_run_id), so no stored run has such an id; this macro checks
    the pattern only. -#}
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
