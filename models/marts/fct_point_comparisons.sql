{#- One row per compared pair of runs and effective-parameter point: the point of the base run
    and the point of the new run that ran with the same effective parameters (`param_hash`),
    side by side, with each metric's change and the status change; a point only one of the two
    runs has is a row too (docs/compare.md).

    Which pairs (not every pair of runs: that grows with the square of the runs):
      * automatic: each run with a run context and the run it re-runs, the latest run accepted
        before it with the same `config_fingerprint` (a re-run of a sweep after a code change);
      * var `comparison_pairs`: any other [base_run_id, new_run_id] pairs.
    `ara compare BASE NEW` compares any two runs ad hoc with the same definitions.

    A pair's rows live in the run_date partition of the later of its two runs, so a new or
    retried run in the run window recomputes every pair it belongs to. Athena: Hive partitions
    run_date, new_run_id (the last columns). -#}
{%- set metric_columns = var('point_metric_columns', []) -%}
{%- if metric_columns is string -%}{%- set metric_columns = [] -%}{%- endif -%}
{%- set chosen = comparison_pairs() -%}
{{ config(partitioned_by=(['run_date', 'new_run_id'] if target.type == 'athena' else none)) }}

with

runs as (

    select
        run_id,
        run_date,
        accepted_at,
        config_fingerprint
    from {{ ref('dim_runs') }}

),

family as (

    -- the run each run re-runs: the latest earlier-accepted run of its config fingerprint
    select
        run_id as new_run_id,
        lag(run_id) over (
            partition by config_fingerprint order by accepted_at, run_id
        ) as base_run_id
    from runs
    where config_fingerprint is not null

),

chosen as (

    {%- for base, new in chosen %}
    select
        '{{ base }}' as base_run_id,
        '{{ new }}' as new_run_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as varchar) as base_run_id,
        cast(null as varchar) as new_run_id
    where 1 = 0
    {%- endfor %}

),

named_pairs as (

    select
        base_run_id,
        new_run_id,
        'config_family' as pair_source
    from family
    where base_run_id is not null

    union all

    select
        base_run_id,
        new_run_id,
        'comparison_pairs' as pair_source
    from chosen

),

pairs as (

    -- both runs built; a pair both automatic and named is one pair (config_family)
    select
        named_pairs.base_run_id,
        named_pairs.new_run_id,
        min(named_pairs.pair_source) as pair_source,
        min(base_run.run_date) as base_run_date,
        min(new_run.run_date) as new_run_date,
        greatest(min(base_run.run_date), min(new_run.run_date)) as run_date
    from named_pairs
    inner join runs as base_run
        on named_pairs.base_run_id = base_run.run_id
    inner join runs as new_run
        on named_pairs.new_run_id = new_run.run_id
    group by named_pairs.base_run_id, named_pairs.new_run_id

),

{%- if is_incremental() %}

window_partitions as (

    -- the partitions of the pairs with a run in the window: a run named in
    -- reprocess_run_ids may be the earlier run of a pair whose partition is outside it
    select distinct run_date
    from pairs
    where
        {{ run_window_filter('base_run_date') }}
        or {{ run_window_filter('new_run_date') }}

),
{%- endif %}

pairs_in_scope as (

    -- every pair of each partition recomputed (the whole partition is replaced)
    select pairs.*
    from pairs
    {%- if is_incremental() %}
    where pairs.run_date in (select window_partitions.run_date from window_partitions)
    {%- endif %}

),

points as (

    select
        run_id,
        point_index,
        param_hash,
        outcome_status,
        metrics,
        params_json,
        -- the k-th point of a run with these parameters matches the other run's k-th
        row_number() over (
            partition by run_id, param_hash order by point_index
        ) as param_occurrence
    from {{ ref('fct_point_outcomes') }}
    where
        param_hash is not null
        and run_id in (
            select pairs_in_scope.base_run_id from pairs_in_scope
            union
            select pairs_in_scope.new_run_id from pairs_in_scope
        )

),

base_points as (

    select
        pairs_in_scope.base_run_id,
        pairs_in_scope.new_run_id,
        pairs_in_scope.pair_source,
        pairs_in_scope.run_date,
        points.param_hash,
        points.param_occurrence,
        points.point_index,
        points.outcome_status,
        points.metrics,
        points.params_json
    from pairs_in_scope
    inner join points
        on pairs_in_scope.base_run_id = points.run_id

),

new_points as (

    select
        pairs_in_scope.base_run_id,
        pairs_in_scope.new_run_id,
        pairs_in_scope.pair_source,
        pairs_in_scope.run_date,
        points.param_hash,
        points.param_occurrence,
        points.point_index,
        points.outcome_status,
        points.metrics,
        points.params_json
    from pairs_in_scope
    inner join points
        on pairs_in_scope.new_run_id = points.run_id

),

matched as (

    select
        coalesce(base_points.base_run_id, new_points.base_run_id) as base_run_id,
        coalesce(base_points.new_run_id, new_points.new_run_id) as new_run_id,
        coalesce(base_points.pair_source, new_points.pair_source) as pair_source,
        coalesce(base_points.run_date, new_points.run_date) as run_date,
        coalesce(base_points.param_hash, new_points.param_hash) as param_hash,
        coalesce(base_points.param_occurrence, new_points.param_occurrence) as param_occurrence,
        case
            when new_points.param_hash is null then 'only_in_base'
            when base_points.param_hash is null then 'only_in_new'
            else 'in_both'
        end as presence,
        base_points.point_index as base_point_index,
        new_points.point_index as new_point_index,
        base_points.outcome_status as base_outcome_status,
        new_points.outcome_status as new_outcome_status,
        coalesce(new_points.params_json, base_points.params_json) as params_json,
        base_points.metrics as base_metrics,
        new_points.metrics as new_metrics
    from base_points
    full outer join new_points
        on
            base_points.base_run_id = new_points.base_run_id
            and base_points.new_run_id = new_points.new_run_id
            and base_points.param_hash = new_points.param_hash
            and base_points.param_occurrence = new_points.param_occurrence

),

with_metrics as (

    select
        *,
        {%- for name in metric_columns %}
        {{ metric_value(name, 'base_metrics') }} as metric_{{ name }}_base,
        {{ metric_value(name, 'new_metrics') }} as metric_{{ name }}_new,
        {%- endfor %}
        case
            when presence != 'in_both' then null
            when base_outcome_status = new_outcome_status then 'unchanged'
            when new_outcome_status = 'failed' then 'succeeded_to_failed'
            else 'failed_to_succeeded'
        end as status_change
    from matched

),

final as (

    select
        -- keys (new_run_id and run_date, the partition columns, come last)
        base_run_id,
        param_hash,
        param_occurrence,

        -- the pair and the point in each run
        pair_source,
        presence,
        base_point_index,
        new_point_index,
        base_outcome_status,
        new_outcome_status,
        status_change,
        params_json,

        -- metrics in both runs, and their change (new - base)
        base_metrics,
        new_metrics,
        {%- for name in metric_columns %}
        metric_{{ name }}_base,
        metric_{{ name }}_new,
        {%- set base, new = 'metric_' ~ name ~ '_base', 'metric_' ~ name ~ '_new' %}
        {{ new }} - {{ base }} as metric_{{ name }}_change,
        case
            when {{ base }} != 0 then ({{ new }} - {{ base }}) / abs({{ base }})
        end as metric_{{ name }}_relative_change,
        {%- endfor %}

        -- partition (last, in partitioned_by order: Athena Hive tables need it)
        run_date,
        new_run_id

    from with_metrics

)

select * from final
