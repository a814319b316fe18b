{#- Fails with every row of `model` whose `keys` (a column combination) have no row in `to`:
    the multi-column form of dbt's `relationships`. Rows with a null key are not checked.

    `only_where_parent_has` (a list of key columns, e.g. [run_id]) checks only the child rows
    whose values of those columns occur somewhere in `to`: a run with no parent row at all (a
    dataset the feature gate turned off for it) is left alone, while a run that has parent rows
    must have one for every child row. -#}
{% test relationships_on_keys(model, to, keys, only_where_parent_has=[]) %}

select child.*
from {{ model }} as child
where
    {% for key in keys -%}
    child.{{ key }} is not null
    {% if not loop.last %}and {% endif -%}
    {%- endfor %}
    and not exists (
        select 1
        from {{ athena_run_analytics.run_window_relation(to) }} as parent
        where
            {% for key in keys -%}
            parent.{{ key }} = child.{{ key }}
            {% if not loop.last %}and {% endif -%}
            {%- endfor %}
    )
    {%- if only_where_parent_has %}
    and exists (
        select 1
        from {{ athena_run_analytics.run_window_relation(to) }} as scope
        where
            {% for key in only_where_parent_has -%}
            scope.{{ key }} = child.{{ key }}
            {% if not loop.last %}and {% endif -%}
            {%- endfor %}
    )
    {%- endif %}

{% endtest %}
