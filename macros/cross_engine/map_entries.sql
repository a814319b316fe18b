{#- A select of one row per entry of a map column: the `key_columns`, then `entry_key` and
    `entry_value`. Rows whose map is empty disappear. -#}
{% macro map_entries(relation, map_column, key_columns) -%}
    {{ return(adapter.dispatch('map_entries', 'athena_run_analytics')(relation, map_column, key_columns)) }}
{%- endmacro %}

{% macro default__map_entries(relation, map_column, key_columns) -%}
    select
        {%- for column in key_columns %}
        source_rows.{{ column }},
        {%- endfor %}
        entries.entry_key,
        entries.entry_value
    from {{ relation }} as source_rows
    cross join unnest(source_rows.{{ map_column }}) as entries (entry_key, entry_value)
{%- endmacro %}

{#- DuckDB: two unnests in one select list advance together (keys and values stay paired). -#}
{% macro duckdb__map_entries(relation, map_column, key_columns) -%}
    select
        {%- for column in key_columns %}
        source_rows.{{ column }},
        {%- endfor %}
        unnest(map_keys(source_rows.{{ map_column }})) as entry_key,
        unnest(map_values(source_rows.{{ map_column }})) as entry_value
    from {{ relation }} as source_rows
{%- endmacro %}

{% macro athena__map_entries(relation, map_column, key_columns) -%}
    {{ athena_run_analytics.default__map_entries(relation, map_column, key_columns) }}
{%- endmacro %}
