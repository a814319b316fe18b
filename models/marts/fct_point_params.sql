{#- One row per point and parameter: the effective parameters in long format, typed. Answers
    "which values did a run sweep, of which type" without knowing the parameter names. -#}
with

params as (

    select * from {{ ref('int_effective_params_unpivoted') }}

),

final as (

    select
        -- keys
        run_id,
        shard_id,
        point_index,
        run_date,
        param_name,

        -- value
        param_type,
        param_value_json,
        param_value_bigint,
        param_value_double,
        param_value_boolean,
        param_value_string,

        -- provenance
        param_hash

    from params

)

select * from final
