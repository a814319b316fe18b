{#- One row per (executed point, metric). Failed points have no metrics and no rows. -#}
with

entries as (

    {{ map_entries(
        ref('stg_sweep__outcomes'),
        'metrics',
        ['run_id', 'run_date', 'shard_id', 'point_index', 'outcome_status']
    ) }}

),

renamed as (

    select
        run_id,
        run_date,
        shard_id,
        point_index,
        outcome_status,
        entry_key as metric_name,
        entry_value as metric_value

    from entries

)

select * from renamed
