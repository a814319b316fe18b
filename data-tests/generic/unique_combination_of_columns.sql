{#- Fails with one row per combination of `combination_of_columns` that occurs more than once
    (the dbt hub's dbt_utils is not reachable here, so the project carries its own). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
