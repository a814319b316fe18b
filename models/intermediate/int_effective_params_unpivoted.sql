{#- One row per (point, parameter). The value's type is read from its canonical JSON text,
    which is the same text on both engines: an integer never has '.' or an exponent. -#}
with

entries as (

    {{ json_object_entries(
        ref('stg_sweep__effective_params'),
        'params_json',
        ['run_id', 'run_date', 'shard_id', 'point_index', 'param_hash']
    ) }}

),

typed as (

    select
        run_id,
        run_date,
        shard_id,
        point_index,
        param_hash,
        entry_key as param_name,
        entry_json as param_value_json,
        case
            when entry_json = 'null' then 'null'
            when entry_json in ('true', 'false') then 'boolean'
            when substr(entry_json, 1, 1) = '"' then 'string'
            when substr(entry_json, 1, 1) = '[' then 'array'
            when substr(entry_json, 1, 1) = '{' then 'object'
            when
                entry_json like '%.%'
                or entry_json like '%e%'
                or entry_json like '%E%'
                then 'float'
            else 'integer'
        end as param_type

    from entries

),

final as (

    select
        run_id,
        run_date,
        shard_id,
        point_index,
        param_hash,
        param_name,
        param_type,
        param_value_json,
        -- try_cast (DuckDB and Trino alike): an integer beyond bigint (legal JSON, e.g.
        -- 2^64 - 1) leaves param_value_bigint null instead of failing every query of the view;
        -- param_value_double and param_value_json still carry it
        case
            when param_type = 'integer' then try_cast(param_value_json as bigint)
        end as param_value_bigint,
        case
            when param_type in ('integer', 'float') then cast(param_value_json as double)
        end as param_value_double,
        case
            when param_type = 'boolean' then param_value_json = 'true'
        end as param_value_boolean,
        case
            when param_type = 'string' then {{ json_string_value('param_value_json') }}
        end as param_value_string

    from typed

)

select * from final
