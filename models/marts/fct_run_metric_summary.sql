{#- One row per run and metric: distribution of the metric over the run's succeeded points. -#}
with

metrics as (

    select * from {{ ref('int_outcome_metrics_unpivoted') }}
    where outcome_status = 'succeeded'

),

summarised as (

    select
        run_id,
        metric_name,
        min(run_date) as run_date,
        count(metric_value) as point_count,
        {{ mean('metric_value') }} as mean_value,
        min(metric_value) as min_value,
        max(metric_value) as max_value,
        {{ percentile('metric_value', 0.5) }} as p50_value,
        {{ percentile('metric_value', 0.95) }} as p95_value

    from metrics
    group by run_id, metric_name

)

select * from summarised
