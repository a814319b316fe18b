{#- A select of one row per top-level entry of a JSON object column:
    the `key_columns`, then `entry_key` (varchar) and `entry_json` (the value's JSON text,
    varchar). A number's text is the exported token (json_number_text: 1e-07 stays 1e-07 on both
    engines); other values are the engine's JSON text (docs/athena-parity.md). Rows whose object
    is empty disappear. -#}
{% macro json_object_entries(relation, json_column, key_columns) -%}
    {{ return(adapter.dispatch('json_object_entries', 'athena_run_analytics')(relation, json_column, key_columns)) }}
{%- endmacro %}

{#- Trino: the map's json values are re-serialised (1e-07 -> 1.0E-7), so a number is read again
    from the column's text with json_extract_scalar, which returns the token as written; the key
    is quoted for the path (`\` and `"` escaped, as Trino's JSON path tokenizer expects). -#}
{% macro default__json_object_entries(relation, json_column, key_columns) -%}
    select
        {%- for column in key_columns %}
        source_rows.{{ column }},
        {%- endfor %}
        entries.entry_key,
        case
            when
                substr(json_format(entries.entry_json), 1, 1)
                in ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
                then json_extract_scalar(
                    source_rows.{{ json_column }},
                    '$["' || replace(replace(entries.entry_key, '\', '\\'), '"', '\"') || '"]'
                )
            else json_format(entries.entry_json)
        end as entry_json
    from {{ relation }} as source_rows
    cross join
        unnest(cast(json_parse(source_rows.{{ json_column }}) as map(varchar, json)))
        as entries (entry_key, entry_json)
{%- endmacro %}

{#- DuckDB: the object is read as a MAP(VARCHAR, JSON) and unnested in the select list (keys
    and values advance together), not with a json_each() lateral join. The reason is the run
    window (docs/incremental.md, "Filters reach the raw read"): DuckDB pushes a filter on a
    key column (`run_date >= …`) through an UNNEST down to the table scan, but not through a
    lateral table function: over json_each() it unpivots every distinct object of the whole
    table, then filters. A JSON null becomes SQL null in the map: it is written back as 'null'. -#}
{% macro duckdb__json_object_entries(relation, json_column, key_columns) -%}
    select
        {%- for column in key_columns %}
        unpivoted.{{ column }},
        {%- endfor %}
        unpivoted.entry_key,
        case
            when unpivoted.entry_value is null then 'null'
            when
                substr(cast(unpivoted.entry_value as varchar), 1, 1)
                in ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
                then {{ athena_run_analytics.json_number_text('cast(unpivoted.entry_value as varchar)') }}
            else cast(unpivoted.entry_value as varchar)
        end as entry_json
    from (
        select
            {%- for column in key_columns %}
            source_rows.{{ column }},
            {%- endfor %}
            unnest(map_keys(source_rows.entries)) as entry_key,
            unnest(map_values(source_rows.entries)) as entry_value
        from (
            select
                {%- for column in key_columns %}
                {{ column }},
                {%- endfor %}
                json_transform({{ json_column }}, '"MAP(VARCHAR, JSON)"') as entries
            from {{ relation }}
        ) as source_rows
    ) as unpivoted
{%- endmacro %}

{% macro athena__json_object_entries(relation, json_column, key_columns) -%}
    {{ athena_run_analytics.default__json_object_entries(relation, json_column, key_columns) }}
{%- endmacro %}
