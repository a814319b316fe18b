{#- on-run-end, Athena: the work table of every unit test of the invocation that ended in
    `error` is dropped with its files.

    dbt's unit-test materialization (dbt-core, global_project materializations/tests/unit.sql)
    creates `<unit test>__dbt_tmp` by CTAS, runs the comparison, then drops the table; when the
    comparison's statement fails, the drop is never reached, and the next build's CTAS of that
    name fails with TABLE_ALREADY_EXISTS: one failed statement would fail every later build. The
    table is dbt's own work table, named for one of this project's unit tests, and this
    invocation wrote it. A unit test that ends in `fail` (rows differ) dropped its table itself.
    Nothing happens on other targets (DuckDB's is a temporary table). -#}
{% macro drop_failed_unit_test_tables(results) -%}
    {%- if not execute or target.type != 'athena' -%}{{ return('') }}{%- endif -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'unit_test' and result.status == 'error'
              and node.package_name == project_name -%}
            {#- a unit test's node has no database of its own: the target's catalog -#}
            {%- set work = api.Relation.create(database=target.database, schema=node.schema,
                                               identifier=node.name ~ '__dbt_tmp', type='table') -%}
            {%- if adapter.get_glue_table(work) -%}
                {%- do drop_relation_glue(work) -%}
                {%- do log('drop_failed_unit_test_tables: ' ~ work ~ ' dropped (unit test ' ~ node.name ~ ' failed)', info=True) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
{%- endmacro %}
