{#- Whether two S3 table locations overlap (one is, or holds, the other): a work table whose
    location overlaps the mart's shares its files, so only its catalog entry may go. -#}
{% macro same_location(a, b) -%}
    {%- set a = (a or '').rstrip('/') ~ '/' -%}
    {%- set b = (b or '').rstrip('/') ~ '/' -%}
    {{- return(a != '/' and b != '/' and (a.startswith(b) or b.startswith(a))) -}}
{%- endmacro %}
