{#- Fails with every row of `model` whose `keys` (a column combination) have no row in `to`:
    the multi-column form of dbt's `relationships`. Rows with a null key are not checked. -#}
{% test relationships_on_keys(model, to, keys) %}

select child.*
from {{ model }} as child
where
    {% for key in keys -%}
    child.{{ key }} is not null
    {% if not loop.last %}and {% endif -%}
    {%- endfor %}
    and not exists (
        select 1
        from {{ to }} as parent
        where
            {% for key in keys -%}
            parent.{{ key }} = child.{{ key }}
            {% if not loop.last %}and {% endif -%}
            {%- endfor %}
    )

{% endtest %}
