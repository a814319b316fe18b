{#- One row per run and metric: distribution of the metric over the run's succeeded points.
    Athena: Hive partitions by run_date (the last column). -#}
{{ config(partitioned_by=(['run_date'] if target.type == 'athena' else none)) }}
with

metrics as (

    select * from {{ ref('int_outcome_metrics_unpivoted') }}
    where
        outcome_status = 'succeeded'
        {%- if is_incremental() %}
        and {{ run_window_filter('run_date') }}
        {%- endif %}

),

summarised as (

    select
        run_id,
        metric_name,
        count(metric_value) as point_count,
        {{ mean('metric_value') }} as mean_value,
        min(metric_value) as min_value,
        max(metric_value) as max_value,
        {{ percentile('metric_value', 0.5) }} as p50_value,
        {{ percentile('metric_value', 0.95) }} as p95_value,
        -- partition (last): one run has one run_date
        min(run_date) as run_date

    from metrics
    group by run_id, metric_name

)

select * from summarised
