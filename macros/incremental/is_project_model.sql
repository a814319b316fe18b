{#- Whether `relation` is one of this project's models (by alias or name), as opposed to a source
    or another package's node. Reads the graph: call it only when `execute`. -#}
{% macro is_project_model(relation) -%}
    {%- set identifier = (relation.identifier if relation.identifier is defined else none) -%}
    {%- if identifier is none -%}{{ return(false) }}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
                and (node.alias or node.name) | lower == identifier | lower -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
