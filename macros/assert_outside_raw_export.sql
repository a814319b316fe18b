{#- on-run-start guard: on Athena, dbt's own tables live under the profile's s3_data_dir, which
    must not overlap the raw export root ARA_ROOT — neither inside it, nor equal to it, nor a
    parent of it — or dbt would write, and on a rebuild delete, objects among the exported
    datasets. Only an `s3://` ARA_ROOT can be checked: with ARA_ROOT unset (or not on S3) the
    guard cannot know the raw root, logs that it checked nothing, and lets the run go on. -#}
{% macro assert_outside_raw_export() -%}
    {%- if target.type == 'athena' -%}
        {%- set raw_root = env_var('ARA_ROOT', '') | trim -%}
        {%- set data_dir = (target.s3_data_dir or '') | trim -%}
        {%- if raw_root.startswith('s3://') -%}
            {%- set raw = raw_root.rstrip('/') ~ '/' -%}
            {%- set ours = data_dir.rstrip('/') ~ '/' -%}
            {%- if ours.startswith(raw) or raw.startswith(ours) -%}
                {{ exceptions.raise_compiler_error(
                    "s3_data_dir " ~ data_dir ~ " overlaps the raw export root ARA_ROOT=" ~ raw_root
                    ~ " (it is inside, equal to or a parent of it); point ARA_ATHENA_DATA_DIR elsewhere") }}
            {%- endif -%}
        {%- else -%}
            {%- do log("assert_outside_raw_export: ARA_ROOT is not an s3:// root, so s3_data_dir "
                ~ data_dir ~ " was not checked against the raw export root", info=True) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
