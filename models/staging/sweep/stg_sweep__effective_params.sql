with

source as (

    select * from {{ sweep_source('effective_params') }}

),

renamed as (

    select
        -- keys
        run_id,
        shard_id,
        point_index,

        -- partition
        run_date,

        -- parameters
        param_hash,
        param_count,
        params_json,

        -- provenance
        schema_version,
        write_id

    from source

)

select * from renamed
{{ cluster_by_run() }}
