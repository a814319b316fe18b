{#- `relation` as data tests should read it: only the rows of the run window when tests are
    scoped (see data_tests_scoped_to_window), else the relation itself. Only for the project's
    models (every one has run_date); anything else is returned as it is. -#}
{% macro run_window_relation(relation) -%}
    {%- if execute and athena_run_analytics.data_tests_scoped_to_window()
            and athena_run_analytics.is_project_model(relation) -%}
        {{- return('(select * from ' ~ relation ~ ' where ' ~ athena_run_analytics.run_window_filter('run_date') ~ ')') -}}
    {%- endif -%}
    {{- return(relation) -}}
{%- endmacro %}
