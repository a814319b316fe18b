{#- The run pairs of var `comparison_pairs` that fct_point_comparisons compares besides the
    automatic ones (docs/compare.md): a list of [base_run_id, new_run_id] pairs (or
    {base: …, new: …} mappings). Each run id is checked against the contract's run-id rule
    (exporter/_contract.py RUN_ID_PATTERN) before it reaches SQL. Returns a list of
    [base, new] lists, duplicates dropped, in the var's order. -#}
{% macro comparison_pairs() -%}
    {%- if not execute -%}
        {#- parsing (or sqlfluff's offline templater): no pairs named -#}
        {{ return([]) }}
    {%- endif -%}
    {%- set given = var('comparison_pairs', []) -%}
    {%- if given is none or given is string and not given | trim -%}{%- set given = [] -%}{%- endif -%}
    {%- if given is string or given is mapping or given is not iterable -%}
        {{ exceptions.raise_compiler_error(
            "var comparison_pairs: expected a list of [base_run_id, new_run_id] pairs, got " ~ given) }}
    {%- endif -%}
    {%- set pairs = [] -%}
    {%- for pair in given -%}
        {%- if pair is mapping -%}
            {%- set found = [pair.get('base'), pair.get('new')] -%}
        {%- elif pair is iterable and pair is not string and pair | length == 2 -%}
            {%- set found = pair | list -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "var comparison_pairs: " ~ pair ~ " is not a [base_run_id, new_run_id] pair") }}
        {%- endif -%}
        {%- for run_id in found -%}
            {%- if run_id is not string or not modules.re.fullmatch("[A-Za-z0-9](?:[A-Za-z0-9_-]|\\.(?!\\.)){0,127}", run_id) -%}
                {{ exceptions.raise_compiler_error(
                    "var comparison_pairs: " ~ run_id ~ " is not a run id (exporter RUN_ID_PATTERN)") }}
            {%- endif -%}
        {%- endfor -%}
        {%- if found not in pairs -%}{%- do pairs.append(found) -%}{%- endif -%}
    {%- endfor -%}
    {{- return(pairs) -}}
{%- endmacro %}
