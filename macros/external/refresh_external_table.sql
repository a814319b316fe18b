{#- Partition registration: one run's partition, or a repair of the whole table. -#}
{% macro refresh_external_table(source_node, run_id=none, run_date=none) -%}
    {%- set external = source_node.external -%}
    {%- set table = source_node.schema ~ '.' ~ source_node.identifier -%}
    {%- if not external.partitions -%}
        {{ return([]) }}
    {%- elif run_id is not none -%}
        {%- set location = external.location.rstrip('/') ~ '/run_date=' ~ run_date ~ '/run_id=' ~ run_id ~ '/' -%}
        {{ return(["alter table " ~ table ~ " add if not exists partition (run_date = '" ~ run_date
            ~ "', run_id = '" ~ run_id ~ "') location '" ~ location ~ "'"]) }}
    {%- elif external.hive_compatible_partitions -%}
        {{ return(["msck repair table " ~ table]) }}
    {%- else -%}
        {{ return([]) }}
    {%- endif -%}
{%- endmacro %}
