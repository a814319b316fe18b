{#- The formula, written once; `element` names the engine's 1-based list subscript function.
    The fraction is a double literal (0.95e0) on both engines, not a decimal. -#}
{% macro interpolated_percentile(expression, fraction, element) -%}
    {%- set literal = fraction | string -%}
    {%- set literal = literal if ('e' in literal or 'E' in literal) else literal ~ 'e0' -%}
    {%- set values = "array_sort(array_agg(" ~ expression ~ ") filter (where " ~ expression ~ " is not null))" -%}
    {%- set rank = "(cast(count(" ~ expression ~ ") - 1 as double) * " ~ literal ~ ")" -%}
    {%- set low = element ~ "(" ~ values ~ ", cast(floor(" ~ rank ~ ") as bigint) + 1)" -%}
    {%- set high = element ~ "(" ~ values ~ ", cast(ceiling(" ~ rank ~ ") as bigint) + 1)" -%}
    ({{ low }} + ({{ rank }} - floor({{ rank }})) * ({{ high }} - {{ low }}))
{%- endmacro %}
