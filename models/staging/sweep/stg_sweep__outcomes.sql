with

source as (

    select * from {{ sweep_source('outcomes') }}

),

renamed as (

    select
        -- keys
        run_id,
        shard_id,
        point_index,

        -- partition
        run_date,

        -- outcome
        param_hash,
        status as outcome_status,
        error_message,
        attempt,
        duration_ms,
        metrics,

        -- provenance
        schema_version,
        write_id,

        -- timestamps
        {{ to_utc_timestamp('started_at') }} as started_at,
        {{ to_utc_timestamp('finished_at') }} as finished_at

    from source

)

select * from renamed
{{ cluster_by_run() }}
