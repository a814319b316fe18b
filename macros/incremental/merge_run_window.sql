{#- Athena (Iceberg marts): the one statement that commits an incremental build. The stage
    holds the run window as recomputed; every target row whose run_date is replaced (in the
    window, or among the stage's own run_dates: fct_point_comparisons recomputes the older
    partitions of a reprocessed run's pairs) is deleted (each matches the one `replaced` row of
    its run_date) and every stage row inserted, in one MERGE: one Iceberg commit, so a reader
    sees the whole old set or the whole new one, and a failure changes nothing. A run_date the
    raw objects no longer feed loses its rows, as a full refresh would. The predicate on the
    target's partition column in the ON clause lets Athena read only those partitions.
    `stage_dates`: the stage's distinct run_dates (YYYY-MM-DD). -#}
{% macro merge_run_window(target_relation, stage, columns, stage_dates) -%}
    {%- set names = columns | map(attribute='quoted') | list -%}
merge into {{ target_relation }} as target
using (
    select
        stage.*,
        cast(null as date) as ara_replaced_run_date
    from {{ stage }} as stage
    union all
    select
        stage.*,
        replaced.run_date as ara_replaced_run_date
    from (
        select distinct run_date from {{ target_relation }}
        where {{ athena_run_analytics.replaced_run_dates('run_date', stage_dates) }}
    ) as replaced
    left join {{ stage }} as stage on false
) as src
on (
    target.run_date = src.ara_replaced_run_date
    and {{ athena_run_analytics.replaced_run_dates('target.run_date', stage_dates) }}
)
when matched then delete
when not matched and src.ara_replaced_run_date is null
    then insert ({{ names | join(', ') }})
    values ({% for name in names %}src.{{ name }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
