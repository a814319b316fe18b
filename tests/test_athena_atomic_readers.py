"""Issue 15, the rest: a reader during builds, compaction over many builds, a build that
fails to compile, the upgrade of a Hive mart (tests/_athena_scene.py)."""

from __future__ import annotations

import threading

import pytest
from _athena_endpoint import athena_query, s3_keys
from _athena_scene import BUILDS, DBT_SCHEMA, MARTS, RAW_DB, Scene, scene

pytestmark = [pytest.mark.dbt, pytest.mark.s3, pytest.mark.athena_faults]
__all__ = ["scene"]  # the module-scoped fixture (each module its own endpoint)
#: this module's endpoint region: its own Glue catalog (not another module's)
ATHENA_REGION = "ca-central-1"


def test_a_build_that_fails_to_compile_changes_no_mart(scene: Scene) -> None:
    scene.add_run()
    before = scene.marts()
    window = dict(scene.athena.vars)
    scene.athena.vars = {**window, "run_window_as_of": "not-a-day"}
    try:
        status, _, out = scene.build("--selector", "skip_slow_tests")
    finally:
        scene.athena.vars = window
    assert status != 0 and "must be a day" in out, out
    assert scene.marts() == before


def test_a_build_whose_data_test_fails_changes_no_mart(scene: Scene) -> None:
    """A data test that fails (status ``fail``, not ``error``) after its mart's MERGE
    committed: a new run's outcomes shard copied under another object name, as
    tests/test_dbt_negative.py breaks a store, makes fct_point_outcomes' uniqueness test fail;
    on-run-end (macros/incremental/restore_failed_build.sql) puts every mart back."""
    run_id = scene.add_run()
    bucket, prefix = scene.root.removeprefix("s3://").split("/", 1)
    (source,) = [
        k
        for k in s3_keys(scene.endpoint, bucket, f"{prefix}/outcomes/")
        if f"/run_id={run_id}/" in k and k.endswith("/shard-00000.parquet")
    ]
    copy = source.replace("/shard-00000.parquet", "/shard-00098.parquet")
    before = scene.marts()
    s3 = scene.endpoint.client("s3")
    s3.copy_object(Bucket=bucket, Key=copy, CopySource={"Bucket": bucket, "Key": source})
    try:
        status, _, out = scene.build("--selector", "skip_slow_tests")
        results = scene.athena.results()
        assert status != 0, out
        # the mart was written, then its test failed; nothing ended in error
        assert results["fct_point_outcomes"] == "success", results
        assert results["fct_point_outcomes_point_is_unique"] == "fail", results
        assert "error" not in results.values(), results
        assert scene.marts() == before
    finally:
        s3.delete_object(Bucket=bucket, Key=copy)


def test_a_unit_test_that_fails_leaves_no_work_table(scene: Scene) -> None:
    """A unit test whose comparison statement fails leaves its ``__dbt_tmp`` input table
    behind (dbt's unit materialization drops it only after the comparison); the on-run-end
    drops it (macros/incremental/drop_failed_unit_test_tables.sql), so the next build's unit
    tests create it again and pass."""
    glue = scene.endpoint.client("glue")

    def work_tables() -> list[str]:
        tables = glue.get_tables(DatabaseName=DBT_SCHEMA)["TableList"]
        return [t["Name"] for t in tables if t["Name"].endswith("__dbt_tmp")]

    status, _, out = scene.build(
        "--select", "dim_runs", fail_pattern=r"^with dbt_internal_unit_test_actual"
    )
    assert status != 0 and "INJECTED_FAILURE" in out, out
    assert "drop_failed_unit_test_tables" in out, out
    assert not work_tables()
    status, _, out = scene.build("--select", "dim_runs")
    assert status == 0, out
    assert not work_tables()


def test_a_hive_mart_of_an_earlier_version_is_upgraded_by_a_full_refresh(scene: Scene) -> None:
    """dim_runs as the Hive table an earlier version built: an incremental build refuses it
    (its SQL covers the window only) and changes nothing; a full refresh swaps in the Iceberg
    mart with every run."""
    glue = scene.endpoint.client("glue")
    # a Hive table keeps milliseconds: the Iceberg mart's timestamp(6) columns are cast down
    # (Athena refuses a Hive CTAS of timestamp(6), tests/test_athena_types.py)
    iceberg = glue.get_table(DatabaseName=DBT_SCHEMA, Name="dim_runs")["Table"]
    select = ", ".join(
        f'CAST("{c["Name"]}" AS timestamp(3)) AS "{c["Name"]}"'
        if c["Type"] == "timestamp"
        else f'"{c["Name"]}"'
        for c in iceberg["StorageDescriptor"]["Columns"]
    )
    state, reason, _, _ = athena_query(
        scene.endpoint,
        "CREATE TABLE dim_runs_hive WITH (format = 'PARQUET', write_compression = 'SNAPPY', "
        f"partitioned_by = ARRAY['run_date']) AS SELECT {select} FROM dim_runs",
        DBT_SCHEMA,
    )
    assert state == "SUCCEEDED", reason
    hive = glue.get_table(DatabaseName=DBT_SCHEMA, Name="dim_runs_hive")["Table"]
    parts = glue.get_partitions(DatabaseName=DBT_SCHEMA, TableName="dim_runs_hive")["Partitions"]
    keep = {k: hive[k] for k in ("StorageDescriptor", "PartitionKeys", "TableType", "Parameters")}
    glue.delete_table(DatabaseName=DBT_SCHEMA, Name="dim_runs")  # the catalog entry only
    glue.create_table(DatabaseName=DBT_SCHEMA, TableInput={"Name": "dim_runs", **keep})
    glue.batch_create_partition(
        DatabaseName=DBT_SCHEMA,
        TableName="dim_runs",
        PartitionInputList=[
            {
                "Values": p["Values"],
                "StorageDescriptor": p["StorageDescriptor"],
                "Parameters": p.get("Parameters", {}),
            }
            for p in parts
        ],
    )
    glue.delete_table(DatabaseName=DBT_SCHEMA, Name="dim_runs_hive")
    scene.add_run()
    before = scene.marts()
    try:
        status, _, out = scene.build("--selector", "skip_slow_tests")
        assert status != 0 and "is a Hive table" in out and "--full-refresh" in out, out
        assert scene.marts() == before
        status, _, out = scene.build("--selector", "skip_slow_tests", "--full-refresh")
        assert status == 0, out
        table = glue.get_table(DatabaseName=DBT_SCHEMA, Name="dim_runs")["Table"]
        assert table["Parameters"]["table_type"].upper() == "ICEBERG"
        assert not [
            t["Name"]
            for t in glue.get_tables(DatabaseName=DBT_SCHEMA)["TableList"]
            if "__ara_" in t["Name"]
        ]
        assert scene.marts() == scene.local_marts()
    finally:  # the other tests of the module need an Iceberg dim_runs, whatever happened here
        table = glue.get_table(DatabaseName=DBT_SCHEMA, Name="dim_runs")["Table"]
        if table["Parameters"].get("table_type", "").upper() != "ICEBERG":
            glue.delete_table(DatabaseName=DBT_SCHEMA, Name="dim_runs")
            scene.build("--select", "dim_runs")


def test_a_reader_never_sees_a_run_missing(scene: Scene) -> None:
    """The builds bring the marts from the runs they hold to every registered run: this
    test's new one, and any an earlier test of the module added and left unbuilt."""
    scene.add_run()
    before = {m: scene.run_count(m) for m in ("dim_runs", "fct_point_outcomes")}
    state, reason, _, rows = athena_query(
        scene.endpoint, "SELECT count(DISTINCT run_id) FROM outcomes", RAW_DB
    )
    assert state == "SUCCEEDED", reason
    registered = int(rows[0][0])
    assert all(count < registered for count in before.values()), (before, registered)
    seen: dict[str, list[int]] = {m: [] for m in before}
    done = threading.Event()
    errors: list[str] = []

    def read() -> None:
        while not done.is_set():
            for mart in before:
                try:
                    seen[mart].append(scene.run_count(mart))
                except AssertionError as exc:  # a failed query is a finding too
                    errors.append(f"{mart}: {exc}")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # a failing build (late: its last mart's MERGE, after the other marts committed), a
        # passing one, a full refresh
        routine = ("--selector", "skip_slow_tests")
        status, _, out = scene.build(*routine, fail_pattern=r"^merge into \S+fct_point_comparisons")
        assert status != 0 and "INJECTED_FAILURE" in out, out
        assert scene.build(*routine)[0] == 0
        assert scene.build(*routine, "--full-refresh")[0] == 0
    finally:
        done.set()
        reader.join(timeout=60)
    assert not errors, errors[:3]
    for mart, counts in seen.items():
        assert len(counts) > 10, f"{mart}: only {len(counts)} reads during the builds"
        assert min(counts) >= before[mart], (mart, before[mart], min(counts))
        assert max(counts) == registered, (mart, registered, sorted(set(counts)))
        assert scene.run_count(mart) == registered, mart


def test_twenty_incremental_builds_leave_few_files_per_partition(scene: Scene) -> None:
    for n in range(BUILDS):
        scene.add_run(day=21 + n % 3)
        status, _, out = scene.build(
            "--select", "tag:marts", "--exclude", "resource_type:test", "resource_type:unit_test"
        )
        assert status == 0, out
    for mart in MARTS:
        # the files of the mart's current snapshot (Iceberg's $files table), by partition
        state, reason, _, rows = athena_query(
            scene.endpoint, f'SELECT content, partition FROM "{DBT_SCHEMA}"."{mart}$files"'
        )
        assert state == "SUCCEEDED", reason
        data: dict[str, int] = {}
        deletes = [part for content, part in rows if content != "0"]
        for content, part in rows:
            if content == "0":
                data[str(part)] = data.get(str(part), 0) + 1
        assert data, mart
        # one data file per partition (under Athena's 512 MB target size), no delete file
        assert max(data.values()) == 1, (mart, {p: n for p, n in data.items() if n > 1})
        assert not deletes, (mart, deletes[:3])
    assert scene.marts() == scene.local_marts()
