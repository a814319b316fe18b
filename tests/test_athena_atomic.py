"""Athena marts that never hide data (issue 15), proved on the local Athena endpoint.

The marts are Iceberg tables built by the project's own incremental materialization
(macros/materializations/athena_incremental.sql): one MERGE commits an incremental build, a
full refresh is swapped in whole, every mart a failed build touched is restored (on-run-end),
OPTIMIZE and VACUUM keep the files few. Here, against the endpoint (S3 and Glue from moto, its
Iceberg tables committed all or nothing as Iceberg's are):

* a build made to fail at its 1st, 2nd, … statement (``LocalAthena.fail_at``; dbt runs with one
  thread, so the k-th statement is the same in every attempt) fails and leaves every mart with
  exactly the rows it had; the build that passes equals a local full build of the same
  exports. The same for ``--full-refresh``. ``make test`` walks every STRIDE-th statement
  (env ARA_ATHENA_FAULT_STRIDE, default 32); ``make test-athena-faults`` (in CI) every one.
* a reader querying the marts in a loop during a passing, a failing and a full-refresh build
  never sees fewer runs than before;
* after 20 incremental builds of one new run each (``make test-athena-faults``; 4 in
  ``make test``), no mart partition holds more than one data file and no delete file, the rows
  those of a local full build.

Every test works from the state it finds (the module's builds accumulate runs) and adds runs
of its own, so none depends on another or on the order.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _athena_endpoint import athena_query, comparable, local_mart
from _dbt_scenario import MARTS, REPO, Dbt, export_reference_sweep

from exporter.athena.local import ENV_FAIL, LocalAthena
from exporter.reference import reference_configs, run_sweep

pytestmark = [pytest.mark.dbt, pytest.mark.s3]

ARA = str(Path(sys.executable).with_name("ara"))
DBT_SCHEMA = "sweep_analytics_dbt"
RAW_DB = "sweep_analytics"
RAW_TABLES = ("run_context", "effective_params", "outcomes")
REGION = "ap-southeast-2"  # apart from the other endpoint modules' Glue
#: the run window: 2026-11-21 on (sir-baseline, 2026-11-20, is outside it)
AS_OF = "2026-11-23"
LOOKBACK_DAYS = 2
#: every STRIDE-th statement of a build is made to fail (1: every one, make test-athena-faults)
STRIDE = max(1, int(os.environ.get("ARA_ATHENA_FAULT_STRIDE", "32")))
#: incremental builds of one new run each before the files are counted (the issue's 20: make
#: test-athena-faults; fewer in make test, already more than OPTIMIZE's thresholds need to fail)
BUILDS = max(1, int(os.environ.get("ARA_ATHENA_COMPACTION_BUILDS", "4")))

Marts = dict[str, Any]


@dataclass
class Scene:
    endpoint: LocalAthena
    env: dict[str, str]
    root: str
    athena: Dbt
    local: Dbt
    runs: int = 0

    def add_run(self, day: int = 22) -> str:
        """A new run of the first reference config accepted on 2026-11-`day` (in the window),
        its raw partitions registered."""
        self.runs += 1
        name, config = reference_configs()[0]
        accepted = datetime(2026, 11, day, 6, 0, tzinfo=UTC) + timedelta(minutes=self.runs)
        run_id = f"{name}-atomic{self.runs:03d}-{accepted:%Y%m%d}"
        run_sweep(self.root, run_id, config, points_per_shard=4, workers=0, accepted_at=accepted)
        self.repair()
        return run_id

    def repair(self) -> None:
        """Registers the raw tables' new partitions (what `ara athena repair` sends)."""
        for table in RAW_TABLES:
            state, reason, _, _ = athena_query(self.endpoint, f"MSCK REPAIR TABLE {table}", RAW_DB)
            assert state == "SUCCEEDED", reason

    def build(
        self, *args: str, fail_at: int | None = None, fail_pattern: str | None = None
    ) -> tuple[int, int, str]:
        """(exit status, statements submitted, output) of `dbt build --target athena` on one
        thread, its `fail_at`-th statement (if any), or those `fail_pattern` matches, made to
        fail."""
        self.endpoint.submitted = 0
        self.endpoint.fail_at = fail_at
        self.endpoint.fail_pattern = fail_pattern
        try:
            proc = self.athena.run(
                "build", "--target", "athena", "--threads", "1", *args, check=False
            )
        finally:
            self.endpoint.fail_at = None
            self.endpoint.fail_pattern = None
        return proc.returncode, self.endpoint.submitted, proc.stdout[-4000:]

    def marts(self) -> Marts:
        out: Marts = {}
        for mart in MARTS:
            state, reason, columns, rows = athena_query(
                self.endpoint, f'SELECT * FROM "{DBT_SCHEMA}"."{mart}"'
            )
            assert state == "SUCCEEDED", f"{mart}: {reason}"
            out[mart] = comparable(columns, rows)
        return out

    def local_marts(self) -> Marts:
        self.local.run("build", "--target", "local", "--full-refresh")
        return {mart: comparable(*local_mart(self.local, mart)) for mart in MARTS}

    def run_count(self, mart: str) -> int:
        state, reason, _, rows = athena_query(
            self.endpoint, f'SELECT count(DISTINCT run_id) FROM "{DBT_SCHEMA}"."{mart}"'
        )
        assert state == "SUCCEEDED", reason
        return int(rows[0][0] or 0)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    with LocalAthena(region=REGION) as endpoint:
        for bucket in ("ara-local-results", f"ara-atomic-{uuid.uuid4().hex[:8]}"):
            endpoint.client("s3").create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        env = {
            **os.environ,
            **endpoint.env(bucket),
            "ARA_ATHENA_DATABASE": RAW_DB,
            "ARA_ATHENA_POLL_INTERVAL": "0.02",
            "ARA_ATHENA_NUM_RETRIES": "0",
        }
        env.pop(ENV_FAIL, None)
        boot = subprocess.run(
            [ARA, "athena", "bootstrap"], env=env, capture_output=True, text=True, cwd=REPO
        )
        assert boot.returncode == 0, boot.stderr
        root = env["ARA_ROOT"]
        with pytest.MonkeyPatch.context() as mp:
            for key, value in endpoint.env(bucket).items():
                mp.setenv(key, value)
            export_reference_sweep(root)
            dbt_env = {k: v for k, v in env.items() if k.startswith(("AWS_", "ARA_"))}
            window = {"run_window_as_of": AS_OF, "lookback_days": LOOKBACK_DAYS}
            scene = Scene(
                endpoint,
                env,
                root,
                Dbt(tmp_path_factory.mktemp("atomic_athena"), root, env=dbt_env, vars=window),
                Dbt(tmp_path_factory.mktemp("atomic_local"), root, env=dbt_env),
            )
            scene.repair()
            scene.athena.vars = {**window, "test_whole_store": False}
            status, _, out = scene.build()
            assert status == 0, out
            yield scene


def _walk(scene: Scene, *args: str) -> tuple[int, list[int]]:
    """Fails the build at statement 1, 1+STRIDE, … until a build passes (its last statement
    is behind); after each failure every mart must hold exactly its rows from before. Returns
    the passing build's statement count and the statements failed."""
    before = scene.marts()
    failed: list[int] = []
    k = 1
    while True:
        status, submitted, out = scene.build(*args, fail_at=k)
        if status == 0:
            assert submitted < k, f"statement {k} was failed, yet the build passed:\n{out}"
            return submitted, failed
        assert submitted >= k, out
        assert "INJECTED_FAILURE" in out or "failed on purpose" in out, out
        after = scene.marts()
        changed = [m for m in MARTS if after[m] != before[m]]
        assert not changed, f"build failed at statement {k}: {changed} changed\n{out}"
        failed.append(k)
        k += STRIDE


def test_an_incremental_build_failing_at_any_statement_changes_no_mart(scene: Scene) -> None:
    """With a late retry of an old run too (reprocess_run_ids): its comparisons with a run of
    the day after, outside the window, are recomputed by every build (fct_point_comparisons'
    stage holds that older partition) and must be replaced, never doubled."""
    new = scene.add_run()
    old = scene.add_run(day=19)
    window = dict(scene.athena.vars)
    scene.athena.vars = {**window, "reprocess_run_ids": [old]}
    try:
        count, failed = _walk(scene, "--selector", "skip_slow_tests")
        assert len(failed) >= max(1, (count - 1) // STRIDE), (count, failed)
        after = scene.marts()
        assert {new, old} <= {r[0] for r in after["dim_runs"][1]}
        assert after == scene.local_marts()
        # once more: the older partition is replaced again, not added to
        assert scene.build("--selector", "skip_slow_tests")[0] == 0
        assert scene.marts() == after
    finally:
        scene.athena.vars = window


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


def test_a_hive_mart_of_an_earlier_version_is_upgraded_by_a_full_refresh(scene: Scene) -> None:
    """dim_runs as the Hive table an earlier version built: an incremental build refuses it
    (its SQL covers the window only) and changes nothing; a full refresh swaps in the Iceberg
    mart with every run."""
    glue = scene.endpoint.client("glue")
    state, reason, _, _ = athena_query(
        scene.endpoint,
        "CREATE TABLE dim_runs_hive WITH (format = 'PARQUET', write_compression = 'SNAPPY', "
        "partitioned_by = ARRAY['run_date']) AS SELECT * FROM dim_runs",
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


def test_a_full_refresh_failing_at_any_statement_changes_no_mart(scene: Scene) -> None:
    new = scene.add_run(day=21)
    count, failed = _walk(scene, "--full-refresh")
    assert len(failed) >= max(1, (count - 1) // STRIDE), (count, failed)
    after = scene.marts()
    assert new in {r[0] for r in after["dim_runs"][1]}
    assert after == scene.local_marts()


def test_a_reader_never_sees_a_run_missing(scene: Scene) -> None:
    scene.add_run()
    before = {m: scene.run_count(m) for m in ("dim_runs", "fct_point_outcomes")}
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
        assert max(counts) == before[mart] + 1, (mart, before[mart], sorted(set(counts)))


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
