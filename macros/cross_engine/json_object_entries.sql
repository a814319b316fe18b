{#- A select of one row per top-level entry of a JSON object column:
    the `key_columns`, then `entry_key` (varchar) and `entry_json` (the value's JSON text,
    varchar — canonical input gives canonical text). Rows whose object is empty disappear. -#}
{% macro json_object_entries(relation, json_column, key_columns) -%}
    {{ return(adapter.dispatch('json_object_entries', 'athena_run_analytics')(relation, json_column, key_columns)) }}
{%- endmacro %}

{% macro default__json_object_entries(relation, json_column, key_columns) -%}
    select
        {%- for column in key_columns %}
        source_rows.{{ column }},
        {%- endfor %}
        entries.entry_key,
        json_format(entries.entry_json) as entry_json
    from {{ relation }} as source_rows
    cross join
        unnest(cast(json_parse(source_rows.{{ json_column }}) as map(varchar, json)))
        as entries (entry_key, entry_json)
{%- endmacro %}

{% macro duckdb__json_object_entries(relation, json_column, key_columns) -%}
    select
        {%- for column in key_columns %}
        source_rows.{{ column }},
        {%- endfor %}
        entries.key as entry_key,
        cast(entries.value as varchar) as entry_json
    from {{ relation }} as source_rows,
        json_each(source_rows.{{ json_column }}) as entries
{%- endmacro %}

{% macro athena__json_object_entries(relation, json_column, key_columns) -%}
    {{ athena_run_analytics.default__json_object_entries(relation, json_column, key_columns) }}
{%- endmacro %}
