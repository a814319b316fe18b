{#- One row per run: its context and its derived completeness and status. A run is any run_id
    with a run context or with outcomes (outcomes without a context still show up).
    Athena: Hive partitions by run_date (the last column). -#}
{{ config(partitioned_by=(['run_date'] if target.type == 'athena' else none)) }}

with

contexts as (

    select * from {{ ref('stg_sweep__run_contexts') }}
    {%- if is_incremental() %}
    where {{ run_window_filter('run_date') }}
    {%- endif %}

),

outcomes as (

    select * from {{ ref('stg_sweep__outcomes') }}
    {%- if is_incremental() %}
    where {{ run_window_filter('run_date') }}
    {%- endif %}

),

outcome_totals as (

    select
        run_id,
        min(run_date) as run_date,
        count(distinct shard_id) as observed_shard_count,
        count(distinct point_index) as observed_point_count,
        count(distinct case when outcome_status = 'succeeded' then point_index end)
            as succeeded_point_count,
        count(distinct case when outcome_status = 'failed' then point_index end)
            as failed_point_count,
        min(started_at) as first_started_at,
        max(finished_at) as last_finished_at

    from outcomes
    group by run_id

),

mixed_writes as (

    -- shards whose params and outcomes objects come from different writes (write_id 1.1)
    select
        run_id,
        count(distinct shard_id) as mixed_write_shard_count

    from {{ ref('int_outcomes_joined_to_params') }}
    where
        not write_id_matches
        {%- if is_incremental() %}
        and {{ run_window_filter('run_date') }}
        {%- endif %}
    group by run_id

),

run_ids as (

    select run_id from contexts
    union
    select run_id from outcome_totals

),

counted as (

    select
        run_ids.run_id,
        coalesce(contexts.run_date, outcome_totals.run_date) as run_date,
        contexts.run_id is not null as has_run_context,
        contexts.request_source,
        contexts.request_id,
        contexts.requester,
        contexts.code_version,
        contexts.config_fingerprint,
        contexts.accepted_at,
        contexts.points_per_shard,
        contexts.planned_shard_count,
        contexts.planned_point_count,
        coalesce(outcome_totals.observed_shard_count, 0) as observed_shard_count,
        coalesce(outcome_totals.observed_point_count, 0) as observed_point_count,
        coalesce(outcome_totals.succeeded_point_count, 0) as succeeded_point_count,
        coalesce(outcome_totals.failed_point_count, 0) as failed_point_count,
        outcome_totals.first_started_at,
        outcome_totals.last_finished_at,
        coalesce(mixed_writes.mixed_write_shard_count, 0) as mixed_write_shard_count

    from run_ids
    left join contexts
        on run_ids.run_id = contexts.run_id
    left join outcome_totals
        on run_ids.run_id = outcome_totals.run_id
    left join mixed_writes
        on run_ids.run_id = mixed_writes.run_id

),

final as (

    select
        run_id,
        has_run_context,
        request_source,
        request_id,
        requester,
        code_version,
        config_fingerprint,
        accepted_at,
        points_per_shard,
        planned_shard_count,
        planned_point_count,
        observed_shard_count,
        observed_point_count,
        succeeded_point_count,
        failed_point_count,
        mixed_write_shard_count,
        first_started_at,
        last_finished_at,
        planned_shard_count - observed_shard_count as missing_shard_count,
        planned_point_count - observed_point_count as missing_point_count,
        -- see the run_status docs block (models/docs.md); a null plan (no run context)
        -- matches neither comparison, so such a run is partial
        case
            when observed_point_count = 0 then 'accepted'
            when
                observed_shard_count > planned_shard_count
                or observed_point_count > planned_point_count
                then 'inconsistent'
            when
                observed_shard_count = planned_shard_count
                and observed_point_count = planned_point_count
                and succeeded_point_count = 0
                then 'failed'
            when
                observed_shard_count = planned_shard_count
                and observed_point_count = planned_point_count
                then 'complete'
            else 'partial'
        end as run_status,

        -- partition (last: Athena Hive tables need it)
        run_date

    from counted

)

select * from final
