{#- dbt's built-in `relationships` test with its parent (`to`) read through the run window too
    (macros/incremental/run_window_relation.sql): get_where_subquery scopes the child only, so
    the built-in test read the whole parent table in every incremental build. A run's rows share
    its run_date, so a child row in the window finds its parent in the window. Same columns and
    result as dbt's default__test_relationships (found first: root-project macros come before
    dbt's own in adapter.dispatch). A child whose parent row may sit on another run_date (the
    base run of fct_point_comparisons) sets `meta: {parent_in_window: false}` in the test's
    config: the parent is then read whole. -#}
{% macro default__test_relationships(model, column_name, to, field) %}

with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select {{ field }} as to_field
    {%- if (config.get('meta') or {}).get('parent_in_window', true) %}
    from {{ athena_run_analytics.run_window_relation(to) }} as parent_rows
    {%- else %}
    from {{ to }} as parent_rows
    {%- endif %}
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null

{% endmacro %}
