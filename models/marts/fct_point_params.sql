{#- One row per point and parameter: the effective parameters in long format, typed. Answers
    "which values did a run sweep, of which type" without knowing the parameter names.
    Athena: Hive partitions by run_date, run_id (the last columns), like fct_point_outcomes. -#}
{{ config(partitioned_by=(['run_date', 'run_id'] if target.type == 'athena' else none)) }}
with

params as (

    select * from {{ ref('int_effective_params_unpivoted') }}
    {%- if is_incremental() %}
    where {{ run_window_filter('run_date') }}
    {%- endif %}

),

final as (

    select
        -- keys (run_id and run_date, the partition columns, come last)
        shard_id,
        point_index,
        param_name,

        -- value
        param_type,
        param_value_json,
        param_value_bigint,
        param_value_double,
        param_value_boolean,
        param_value_string,

        -- provenance
        param_hash,

        -- partition
        run_date,
        run_id

    from params

)

select * from final
{{ cluster_by_run() }}
