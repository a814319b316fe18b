{#- on-run-start guard: on Athena, dbt's own tables live under the profile's s3_data_dir, which
    must not be (or be inside) the raw export root ARA_ROOT — dbt would otherwise write, and on a
    rebuild delete, objects among the exported datasets. -#}
{% macro assert_outside_raw_export() -%}
    {%- if target.type == 'athena' -%}
        {%- set raw_root = env_var('ARA_ROOT', '') | trim -%}
        {%- set data_dir = (target.s3_data_dir or '') | trim -%}
        {%- if raw_root.startswith('s3://') -%}
            {%- set raw = raw_root.rstrip('/') ~ '/' -%}
            {%- set ours = data_dir.rstrip('/') ~ '/' -%}
            {%- if ours.startswith(raw) -%}
                {{ exceptions.raise_compiler_error(
                    "s3_data_dir " ~ data_dir ~ " is inside the raw export root ARA_ROOT=" ~ raw_root
                    ~ "; point ARA_ATHENA_DATA_DIR elsewhere") }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
