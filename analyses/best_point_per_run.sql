{#- The best succeeded point of each run for one metric (one row per run), with its effective
    parameters. An analysis: dbt compiles it but never builds it. Run it with

        .venv/bin/dbt show --select best_point_per_run
        .venv/bin/dbt show --select best_point_per_run --vars '{best_metric: attack_rate, best_goal: max}'

    Vars: best_metric (default peak_infected), best_goal (min or max; default min). Ties go to the
    lowest point_index. Same answer as `ara summary`'s "best point" line. -#}
{%- set metric = var('best_metric', 'peak_infected') -%}
{%- set goal = var('best_goal', 'min') -%}
{%- if goal not in ('min', 'max') -%}
    {{ exceptions.raise_compiler_error("var best_goal must be min or max, got '" ~ goal ~ "'") }}
{%- endif -%}

with

scored as (

    select
        run_id,
        point_index,
        {{ metric_value(metric) }} as metric_value,
        params_json
    from {{ ref('fct_point_outcomes') }}
    where outcome_status = 'succeeded'

),

ranked as (

    select
        *,
        row_number() over (
            partition by run_id
            order by metric_value {{ 'asc' if goal == 'min' else 'desc' }}, point_index
        ) as rank_in_run
    from scored
    where metric_value is not null

)

select
    run_id,
    point_index,
    '{{ metric }}' as metric_name,
    metric_value,
    params_json
from ranked
where rank_in_run = 1
order by run_id
