{#- Athena (Iceberg marts), when a build of the mart starts and before it keeps its backup:
    VACUUM expires the snapshots older than vacuum_max_snapshot_age_seconds (keeping
    vacuum_min_snapshots_to_keep) and deletes the files no kept snapshot needs: the files
    earlier merges and OPTIMIZE replaced, and a failed build's orphans once they are that old.
    It runs before the backup exists, so it never removes a file the backup points at; the
    rows do not change. Repeated while Athena answers ICEBERG_VACUUM_MORE_RUNS_NEEDED. -#}
{% macro vacuum_mart(target_relation) -%}
    {%- do adapter.run_operation_with_potential_multiple_runs(
        'vacuum ' ~ target_relation.render_pure(), 'vacuum') -%}
{%- endmacro %}
