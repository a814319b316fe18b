{#- Whether data tests look at the run window only: in a build without --full-refresh, unless
    var `test_whole_store` is true. -#}
{% macro data_tests_scoped_to_window() -%}
    {%- set whole = var('test_whole_store', false) | string | lower in ['true', '1', 'yes'] -%}
    {{ return(not flags.FULL_REFRESH and not whole) }}
{%- endmacro %}
