{#- A work table of one Athena mart build, `<mart><suffix>` in the mart's schema
    (`__ara_stage`, `__ara_next`, `__ara_prev`: docs/incremental.md). `__ara_next` stores its
    files under the mart's own S3 folder, since once swapped in they are the mart's. -#}
{% macro build_relation(target_relation, suffix) -%}
    {{- return(api.Relation.create(
        database=target_relation.database,
        schema=target_relation.schema,
        identifier=target_relation.identifier ~ suffix,
        s3_path_table_part=(target_relation.identifier if suffix == '__ara_next' else none),
        type='table')) -}}
{%- endmacro %}
