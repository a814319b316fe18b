{#- Athena: writes the Glue table parameter `key` = this invocation's id on `relation` (and a
    description), with the Glue API (dbt-athena's persist_docs_to_glue, which keeps the other
    parameters). The on-run-end hook reads it back (invocation_mark). -#}
{% macro mark_table(relation, key, description) -%}
    {%- do adapter.persist_docs_to_glue(relation, {
        'description': description,
        'unique_id': model.unique_id,
        'config': {'materialized': 'incremental', 'meta': {key: invocation_id}}}, true, false) -%}
{%- endmacro %}
