{#- Fails with every row of `model` whose `column_name` differs from `field` of the row of `to`
    with the same `keys` (null on one side only also counts as different). Rows without a
    matching row in `to` are left to `relationships_on_keys`. -#}
{% test equal_on_keys(model, column_name, to, field, keys) %}

select
    {%- for key in keys %}
    child.{{ key }},
    {%- endfor %}
    child.{{ column_name }} as child_value,
    parent.{{ field }} as parent_value
from {{ model }} as child
inner join {{ athena_run_analytics.run_window_relation(to) }} as parent
    on
        {% for key in keys -%}
        parent.{{ key }} = child.{{ key }}
        {% if not loop.last %}and {% endif -%}
        {%- endfor %}
where
    child.{{ column_name }} <> parent.{{ field }}
    or (child.{{ column_name }} is null and parent.{{ field }} is not null)
    or (child.{{ column_name }} is not null and parent.{{ field }} is null)

{% endtest %}
