{#- One row per executed point: its outcome and metrics, the effective parameters it ran with
    and its run's context. Typed parameter / metric columns follow the project vars
    `point_param_columns` (name: type) and `point_metric_columns` (names). -#}
{%- set param_columns = var('point_param_columns', {}) -%}
{%- set metric_columns = var('point_metric_columns', []) -%}
{%- if param_columns is not mapping -%}{%- set param_columns = {} -%}{%- endif -%}
{%- if metric_columns is string -%}{%- set metric_columns = [] -%}{%- endif -%}
{%- for name in param_columns if name in ('hash', 'count', 'hash_matches') -%}
    {{ exceptions.raise_compiler_error(
        "point_param_columns: '" ~ name ~ "' would shadow the column param_" ~ name
        ~ "; read it with param_value('" ~ name ~ "') instead") }}
{%- endfor -%}
{#- Athena: Hive partitions run_date / run_id (the last columns of the select), so a one-run
    query scans one run's objects; the incremental strategy overwrites the window's partitions. -#}
{{ config(partitioned_by=(['run_date', 'run_id'] if target.type == 'athena' else none)) }}

with

points as (

    select * from {{ ref('int_outcomes_joined_to_params') }}
    {%- if is_incremental() %}
    where {{ run_window_filter('run_date') }}
    {%- endif %}

),

runs as (

    select * from {{ ref('stg_sweep__run_contexts') }}
    {%- if is_incremental() %}
    where {{ run_window_filter('run_date') }}
    {%- endif %}

),

final as (

    select
        -- keys (run_id and run_date, the partition columns, come last)
        points.shard_id,
        points.point_index,

        -- outcome
        points.outcome_status,
        points.error_message,
        points.attempt,
        points.started_at,
        points.finished_at,
        points.duration_ms,
        points.metrics,
        {%- for name in metric_columns %}
        {{ metric_value(name, 'points.metrics') }} as metric_{{ name }},
        {%- endfor %}

        -- effective parameters
        points.param_hash,
        points.has_params,
        points.param_hash_matches,
        points.param_count,
        points.params_json,
        {%- for name, type in param_columns.items() %}
        {{ param_value(name, type, 'points.params_json') }} as param_{{ name }},
        {%- endfor %}

        -- run context
        runs.request_source,
        runs.request_id,
        runs.requester,
        runs.code_version,
        runs.config_fingerprint,
        runs.accepted_at as run_accepted_at,

        -- partition (last, in partitioned_by order: Athena Hive tables need it)
        points.run_date,
        points.run_id

    from points
    left join runs
        on points.run_id = runs.run_id

)

select * from final
{{ cluster_by_run() }}
