"""Shared by tests/test_dbt_incremental.py (local target) and tests/test_athena_incremental.py
(Athena target, on the local Athena endpoint): the incremental scenario's raw objects, step by
step, and the facts its marts must show after each step.

The raw objects are written with the exporter's own API (``export_run_context`` and
``ShardWriter``) into a root that is a local folder or an ``s3://`` url (:class:`Raw`); the
few objects a step rewrites by hand (a mixed pair, 1.0 files) go through the exporter's own
storage (``open_root``), so the same step runs on either root. Every date is pinned (NOW).

1. :func:`first_runs`: an old run (run_date 40 days before NOW, outside the default lookback
   of 3 days), a run 20 days old, a recent partial run, a run alone on its run_date (rollback)
   and a run on the window's first day.
2. :func:`new_work`: a new run, a run under each feature gate, the partial run's late shard,
   retried shards with new content (and new params), a failed point retried as succeeded, a
   mixed pair, the rollback run retried under the params gate with every point failing.
3. :func:`late_retry`: a retry of the old run, outside the lookback.

The facts (:func:`assert_new_work_facts`, :func:`assert_late_retry_facts`) take a ``query``
callable returning typed rows (ints, floats, strings, None), so each target checks the same
SQL (portable between DuckDB and Trino) on its own marts.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from exporter import ExportSettings, RunContext, RunRef, ShardWriter, export_run_context
from exporter._contract import object_key
from exporter._storage import Storage, open_root

STAGING = ("stg_sweep__outcomes", "stg_sweep__effective_params", "stg_sweep__run_contexts")
POINTS_PER_SHARD = 4
SHARDS = 3
ON = ExportSettings()
NO_CONTEXT = ExportSettings(run_context=False)
NO_PARAMS = ExportSettings(effective_params=False)
#: the run pairs fct_point_comparisons compares (var comparison_pairs), on both builds
COMPARED = {
    "comparison_pairs": [
        ["old-run", "recent-run"],
        ["old-run", "mid-run"],  # both outside the window: in mid-run's run_date
        ["recent-run", "new-run"],
        ["pair-run", "rollback-run"],
        ["gated-no-params", "gated-no-context"],
    ]
}
#: "now" for every object and build of the scenario: the run window is as of NOW's date
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
LOOKBACK_DAYS = 3  # the default
#: the window's first day: a run accepted that day is in the window
SINCE = NOW.date() - timedelta(days=LOOKBACK_DAYS)
#: the builds test the run window only, as an operator's plain `dbt build` does (a
#: --full-refresh build tests everything all the same)
WINDOWED = {
    "test_whole_store": False,
    "run_window_as_of": NOW.date().isoformat(),
    **COMPARED,
}
#: run_status of every run of the scenario after step 2
STATUS_AFTER_NEW_WORK = {
    "old-run": "complete",
    "mid-run": "complete",
    "recent-run": "complete",
    "new-run": "complete",
    "gated-no-context": "partial",
    "gated-no-params": "partial",
    "pair-run": "complete",
    "rollback-run": "failed",
    "edge-run": "complete",
}

#: rows of one SQL query on a target's marts, values typed (int, float, str, bool, None)
Query = Callable[[str], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Raw:
    """Where the scenario's raw objects go: a local folder or ``s3://bucket/prefix`` (then
    ``s3_client`` is the endpoint's S3 client; None takes boto3's from the environment)."""

    root: str
    s3_client: Any = None

    def storage(self) -> Storage:
        return open_root(self.root, s3_client=self.s3_client)


@dataclass(frozen=True)
class Runs:
    """The runs of step 1 that later steps write to again."""

    old: RunRef
    recent: RunRef
    pair: RunRef
    rollback: RunRef


def accept(raw: Raw, run_id: str, accepted_at: datetime, settings: ExportSettings) -> RunRef:
    context = RunContext(
        run_id=run_id,
        accepted_at=accepted_at,
        request_source="test",
        code_version="incremental-test",
        points_per_shard=POINTS_PER_SHARD,
        point_count=POINTS_PER_SHARD * SHARDS,
        sweep_config={"grid": {"beta": [0.1, 0.2, 0.3]}, "name": run_id},
    )
    return export_run_context(raw.root, context, settings=settings, s3_client=raw.s3_client).run


def shard(
    raw: Raw,
    run: RunRef,
    shard_id: int,
    *,
    attempt: int = 1,
    scale: float = 1.0,
    failed: frozenset[int] = frozenset(),
    settings: ExportSettings = ON,
    beta_shift: float = 0.0,
) -> None:
    with ShardWriter(
        raw.root, run, shard_id, attempt=attempt, settings=settings, s3_client=raw.s3_client
    ) as writer:
        for index in run.shard_points(shard_id):
            started = NOW - timedelta(minutes=10, seconds=index)
            beta = 0.1 * (index + 1) + beta_shift
            params = {"beta": beta, "population": 1000 + index, "model": "sir"}
            if index in failed:
                writer.add_point(
                    index, params, started_at=started, finished_at=NOW, error="diverged"
                )
            else:
                metrics = {"peak_infected": scale * (index + 1), "attack_rate": scale / (index + 2)}
                writer.add_point(
                    index, params, started_at=started, finished_at=NOW, metrics=metrics
                )


def run(
    raw: Raw,
    run_id: str,
    accepted_at: datetime,
    *,
    skip: set[int] | None = None,
    settings: ExportSettings = ON,
    failed: frozenset[int] = frozenset(),
) -> RunRef:
    ref = accept(raw, run_id, accepted_at, settings)
    for shard_id in range(SHARDS):
        if shard_id not in (skip or set()):
            shard(raw, ref, shard_id, settings=settings, failed=failed)
    return ref


def first_runs(raw: Raw) -> Runs:
    """Step 1: the runs of the first build."""
    old = run(raw, "old-run", NOW - timedelta(days=40))
    run(raw, "mid-run", NOW - timedelta(days=20))
    recent = run(raw, "recent-run", NOW - timedelta(hours=1), skip={2}, failed=frozenset({1, 5}))
    pair = run(raw, "pair-run", NOW - timedelta(hours=1))
    rollback = run(raw, "rollback-run", NOW - timedelta(days=2))  # alone on its run_date
    # on the window's first day (accepted 00:00:30 UTC that day): an incremental build reads it
    edge = datetime.combine(SINCE, datetime.min.time(), UTC) + timedelta(seconds=30)
    run(raw, "edge-run", edge)
    return Runs(old, recent, pair, rollback)


def new_work(raw: Raw, runs: Runs) -> None:
    """Step 2: new runs, gated runs, a late shard, retried shards, a retried failed point, a
    mixed pair, a rollback of every params object and metric row of one run_date."""
    run(raw, "new-run", NOW)
    run(raw, "gated-no-context", NOW, settings=NO_CONTEXT)
    run(raw, "gated-no-params", NOW, settings=NO_PARAMS, skip={0})
    shard(raw, runs.recent, 2)  # the late shard of the partial run
    # retried with new params (a new write_id on both objects): its failed point 5 succeeds
    shard(raw, runs.recent, 1, attempt=2, scale=3.0, beta_shift=1.0)
    shard(raw, runs.recent, 0, attempt=2, scale=2.0)  # new content; point 1 succeeds
    # a mixed pair: the retry's params object, the first attempt's outcomes (killed in between)
    storage = raw.storage()
    outcomes = object_key("outcomes", runs.pair.run_date, runs.pair.run_id, 0)
    first_write = storage.get(outcomes)
    assert first_write is not None, outcomes
    shard(raw, runs.pair, 0, attempt=2, scale=4.0)
    assert storage.get(outcomes) != first_write
    storage.put(outcomes, first_write)
    # the rollback run is retried under the params gate and every point fails: its run_date
    # (no other run) loses every params object and every metric row
    for shard_id in range(SHARDS):
        points = frozenset(runs.rollback.shard_points(shard_id))
        shard(raw, runs.rollback, shard_id, attempt=2, settings=NO_PARAMS, failed=points)
    params = storage.list(f"effective_params/run_date={runs.rollback.run_date}/")
    assert not [key for key in params if key.endswith(".parquet")], params


def late_retry(raw: Raw, runs: Runs) -> None:
    """Step 3: the old run's shard 1 retried (outside the lookback): point 4 fails, 5-7 have
    5x the metrics."""
    shard(raw, runs.old, 1, attempt=2, scale=5.0, failed=frozenset({4}))


def assert_new_work_facts(query: Query) -> None:
    """What the marts hold after step 2 (and a build of it)."""
    status: dict[str, str] = dict(query("select run_id, run_status from dim_runs"))
    assert status == STATUS_AFTER_NEW_WORK
    mixed: dict[str, int] = dict(query("select run_id, mixed_write_shard_count from dim_runs"))
    assert mixed == {**dict.fromkeys(status, 0), "pair-run": 1}
    # the rollback run's params and metric rows are gone, as in the raw objects
    ((params, summaries, with_params),) = query(
        "select (select count(*) from fct_point_params where run_id = 'rollback-run'), "
        "(select count(*) from fct_run_metric_summary where run_id = 'rollback-run'), "
        "(select count(*) filter (where has_params) from fct_point_outcomes "
        "where run_id = 'rollback-run')"
    )
    assert (params, summaries, with_params) == (0, 0, 0)
    # the retried shards replaced their rows, never duplicated them
    ((rows, points, attempts, failed),) = query(
        "select count(*), count(distinct point_index), max(attempt), "
        "count(*) filter (where outcome_status = 'failed') "
        "from fct_point_outcomes where run_id = 'recent-run'"
    )
    assert (rows, points, attempts, failed) == (12, 12, 2, 0)
    ((peak,),) = query(
        "select metric_peak_infected from fct_point_outcomes "
        "where run_id = 'recent-run' and point_index = 0"
    )
    assert peak == 2.0  # the retried shard's content, not the first attempt's
    ((beta,),) = query(
        "select param_value_double from fct_point_params "
        "where run_id = 'recent-run' and point_index = 4 and param_name = 'beta'"
    )
    assert beta == pytest.approx(1.5)  # the retry's params (0.5 + 1.0), not the first write's


def assert_late_retry_facts(query: Query) -> None:
    """What the marts hold once step 3 is built (var reprocess_run_ids)."""
    ((status, failed),) = query(
        "select run_status, failed_point_count from dim_runs where run_id = 'old-run'"
    )
    assert (status, failed) == ("complete", 1)
    # the comparison of old-run with mid-run (mid-run's run_date, outside the window) follows
    # the retry: point 4 failed in old-run now, points 5-7 have 5x the peak (30, 35, 40 vs 6, 7, 8)
    compared = query(
        "select base_point_index, status_change, metric_peak_infected_change "
        "from fct_point_comparisons where base_run_id = 'old-run' and new_run_id = 'mid-run' "
        "and base_point_index between 4 and 7 order by 1"
    )
    assert compared == [
        (4, "failed_to_succeeded", None),
        (5, "unchanged", -24.0),
        (6, "unchanged", -28.0),
        (7, "unchanged", -32.0),
    ]


def as_schema_1_0(storage: Storage, key: str) -> None:
    """Rewrite one object as a 1.0 exporter wrote it: no write_id column, schema_version 1.0."""
    body = storage.get(key)
    assert body is not None, key
    table = pq.read_table(io.BytesIO(body))
    table = table.drop_columns(["write_id"])
    index = table.schema.get_field_index("schema_version")
    table = table.set_column(
        index, table.schema.field(index), pa.array(["1.0"] * table.num_rows, pa.string())
    )
    metadata = {**(table.schema.metadata or {}), b"schema_version": b"1.0"}
    out = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), out)
    storage.put(key, out.getvalue())


def schema_1_0_store(raw: Raw) -> None:
    """The 1.0 scenario: a run in the window whose params and outcomes objects are all 1.0
    files (no write_id), a run of 1.1 objects outside the window."""
    legacy = run(raw, "legacy-run", NOW)  # in the window
    run(raw, "current-run", NOW - timedelta(days=40))  # 1.1 objects, outside the window
    storage = raw.storage()
    converted = [
        key
        for dataset in ("effective_params", "outcomes")
        for key in storage.list(f"{dataset}/run_date={legacy.run_date}/")
        if key.endswith(".parquet")
    ]
    assert len(converted) == 2 * SHARDS
    for key in converted:
        as_schema_1_0(storage, key)


def assert_schema_1_0_facts(query: Query) -> None:
    """The 1.0 scenario's build: the 1.0 rows have a null write_id, and no shard is taken for
    a mixed pair for lack of one."""
    by_run: dict[str, int] = dict(
        query("select run_id, count(write_id) from stg_sweep__outcomes group by run_id")
    )
    assert by_run == {"legacy-run": 0, "current-run": POINTS_PER_SHARD * SHARDS}
    mixed: dict[str, int] = dict(query("select run_id, mixed_write_shard_count from dim_runs"))
    assert mixed == {"legacy-run": 0, "current-run": 0}
