{#- One row per executed point: its outcome with the effective parameters it ran with.
    A left join, so an outcome whose params row is missing stays (has_params = false). -#}
with

outcomes as (

    select * from {{ ref('stg_sweep__outcomes') }}

),

params as (

    select * from {{ ref('stg_sweep__effective_params') }}

),

joined as (

    select
        outcomes.run_id,
        outcomes.run_date,
        outcomes.shard_id,
        outcomes.point_index,
        outcomes.param_hash,
        outcomes.outcome_status,
        outcomes.error_message,
        outcomes.attempt,
        outcomes.started_at,
        outcomes.finished_at,
        outcomes.duration_ms,
        outcomes.metrics,
        params.param_count,
        params.params_json,
        params.point_index is not null as has_params,
        params.param_hash = outcomes.param_hash as param_hash_matches,
        -- both objects of the shard come from one write (null for 1.0 files without write_id)
        params.write_id = outcomes.write_id as write_id_matches

    from outcomes
    left join params
        on
            outcomes.run_id = params.run_id
            and outcomes.shard_id = params.shard_id
            and outcomes.point_index = params.point_index
            -- implied by run_id (a run's objects share its run_date); stated so that a
            -- run_date filter on the outcomes (an incremental build's window) also prunes
            -- the params partitions (Athena) and row groups (DuckDB)
            and outcomes.run_date = params.run_date

)

select * from joined
