{#- The stage's distinct run_dates (one small query on the stage table). -#}
{% macro stage_run_dates(stage) -%}
    {%- set found = run_query('select distinct cast(run_date as varchar) from ' ~ stage ~ ' order by 1') -%}
    {{- return(found.columns[0].values() | map('string') | list) -}}
{%- endmacro %}
