{#- A parameter / metric name as it may appear inside a quoted path or string literal. -#}
{% macro checked_name(name) -%}
    {%- if name is not string or name == '' or '"' in name or "'" in name or '\\' in name -%}
        {{ exceptions.raise_compiler_error(
            "invalid parameter/metric name " ~ name ~ ": a non-empty name without quotes or backslashes") }}
    {%- endif -%}
    {{- name -}}
{%- endmacro %}
