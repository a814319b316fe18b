with

source as (

    select * from {{ sweep_source('run_context') }}

),

renamed as (

    select
        -- ids
        run_id,
        request_id,

        -- partition
        run_date,

        -- request
        request_source,
        requester,
        code_version,
        config_fingerprint,
        config_json,

        -- plan
        points_per_shard,
        shard_count as planned_shard_count,
        point_count as planned_point_count,

        -- status at acceptance (always 'accepted'; see dim_runs for the derived status)
        status as accepted_status,

        -- provenance
        schema_version,
        exporter_version,

        -- timestamps
        {{ to_utc_timestamp('accepted_at') }} as accepted_at

    from source

)

select * from renamed
