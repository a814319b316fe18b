"""Incremental builds on the local target (real dbt-duckdb) end equal to a full refresh.

One warehouse, two DuckDB files: ``inc`` is only ever built incrementally (plain ``dbt build``),
``full`` is rebuilt with ``--full-refresh`` after each change to the raw objects; their marts
must hold the same rows. The raw objects are written with the exporter's own API
(``export_run_context`` and ``ShardWriter``), so every object is valid contract data.

1. An old run (run_date 40 days ago, outside the default lookback of 3 days), a recent,
   partial run and a run on the window's first day; first build. "Today" is pinned (NOW, var
   run_window_as_of): no build here depends on the day the test runs.
2. New work: a new run, a run under each feature gate, the partial run's late shard, a retried
   shard with new content (new metrics; another retried shard with new params too), a failed
   point retried as succeeded, a shard left as a mixed pair (new params object, old outcomes:
   a worker killed between its two writes), and a run retried under the params gate with every
   point failing (its run_date's params objects and metric rows are all gone); incremental build.
3. A late retry of the old run (outside the lookback): a plain build leaves it stale, the
   documented way (var ``reprocess_run_ids``) brings it in, with the comparison of the old run
   and a run 20 days old (fct_point_comparisons keeps it in the later run's run_date, outside
   the window: it is recomputed too).

fct_point_comparisons compares the pairs of var ``comparison_pairs`` (COMPARED): the runs
share their parameters, so their points match by ``param_hash``.

Six ``dbt build`` invocations in all; two more for a window of 1.0 files (no ``write_id``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _dbt_scenario import MARTS, Dbt

from exporter import ExportSettings, RunContext, RunRef, ShardWriter, export_run_context
from exporter._contract import object_key

pytestmark = pytest.mark.dbt

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
#: "now" for every object and build of this module: the run window is as of NOW's date
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


def _accept(root: Path, run_id: str, accepted_at: datetime, settings: ExportSettings) -> RunRef:
    context = RunContext(
        run_id=run_id,
        accepted_at=accepted_at,
        request_source="test",
        code_version="incremental-test",
        points_per_shard=POINTS_PER_SHARD,
        point_count=POINTS_PER_SHARD * SHARDS,
        sweep_config={"grid": {"beta": [0.1, 0.2, 0.3]}, "name": run_id},
    )
    return export_run_context(str(root), context, settings=settings).run


def _shard(
    root: Path,
    run: RunRef,
    shard_id: int,
    *,
    attempt: int = 1,
    scale: float = 1.0,
    failed: frozenset[int] = frozenset(),
    settings: ExportSettings = ON,
    beta_shift: float = 0.0,
) -> None:
    with ShardWriter(str(root), run, shard_id, attempt=attempt, settings=settings) as writer:
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


def _run(
    root: Path,
    run_id: str,
    accepted_at: datetime,
    *,
    skip: set[int] | None = None,
    settings: ExportSettings = ON,
    failed: frozenset[int] = frozenset(),
) -> RunRef:
    run = _accept(root, run_id, accepted_at, settings)
    for shard in range(SHARDS):
        if shard not in (skip or set()):
            _shard(root, run, shard, settings=settings, failed=failed)
    return run


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return json.dumps({k: _normal(v) for k, v in value.items()}, sort_keys=True)
    return value


def _rows(dbt: Dbt, model: str) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(_normal(v) for v in row) for row in dbt.query(f"select * from {model}")),
        key=repr,
    )


def _assert_equal_marts(inc: Dbt, full: Dbt) -> None:
    for model in (*MARTS, *STAGING):
        got, want = _rows(inc, model), _rows(full, model)
        assert len(got) == len(want), model
        assert got == want, model


def _build(dbt: Dbt, *args: str) -> dict[str, str]:
    dbt.run("build", "--target", "local", *args)
    results = dbt.results()
    assert set(results.values()) <= {"success", "pass", "warn"}, results
    return results


@dataclass
class Store:
    root: Path
    inc: Dbt
    full: Dbt
    old: RunRef
    recent: RunRef
    pair: RunRef
    rollback: RunRef


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    base = tmp_path_factory.mktemp("dbt_incremental")
    root = base / "raw"
    old = _run(root, "old-run", NOW - timedelta(days=40))
    _run(root, "mid-run", NOW - timedelta(days=20))
    recent = _run(root, "recent-run", NOW - timedelta(hours=1), skip={2}, failed=frozenset({1, 5}))
    pair = _run(root, "pair-run", NOW - timedelta(hours=1))
    rollback = _run(root, "rollback-run", NOW - timedelta(days=2))  # alone on its run_date
    # on the window's first day (accepted 00:00:30 UTC that day): an incremental build reads it
    edge = datetime.combine(SINCE, datetime.min.time(), UTC) + timedelta(seconds=30)
    _run(root, "edge-run", edge)
    inc = Dbt(base / "inc", str(root), vars=WINDOWED)
    full = Dbt(base / "full", str(root), vars=WINDOWED)
    _build(inc)
    yield Store(root, inc, full, old, recent, pair, rollback)


@pytest.fixture(scope="module")
def new_work(store: Store) -> Store:
    """Step 2: new runs, gated runs, a late shard, a retried shard, a retried failed point."""
    root = store.root
    _run(root, "new-run", NOW)
    _run(root, "gated-no-context", NOW, settings=NO_CONTEXT)
    _run(root, "gated-no-params", NOW, settings=NO_PARAMS, skip={0})
    _shard(root, store.recent, 2)  # the late shard of the partial run
    # retried with new params (a new write_id on both objects): its failed point 5 succeeds
    _shard(root, store.recent, 1, attempt=2, scale=3.0, beta_shift=1.0)
    _shard(root, store.recent, 0, attempt=2, scale=2.0)  # new content; point 1 succeeds
    # a mixed pair: the retry's params object, the first attempt's outcomes (killed in between)
    outcomes = root / object_key("outcomes", store.pair.run_date, store.pair.run_id, 0)
    first_write = outcomes.read_bytes()
    _shard(root, store.pair, 0, attempt=2, scale=4.0)
    outcomes.write_bytes(first_write)
    # the rollback run is retried under the params gate and every point fails: its run_date
    # (no other run) loses every params object and every metric row
    for shard in range(SHARDS):
        points = frozenset(store.rollback.shard_points(shard))
        _shard(root, store.rollback, shard, attempt=2, settings=NO_PARAMS, failed=points)
    assert not list(root.glob(f"effective_params/run_date={store.rollback.run_date}/*/*.parquet"))
    _build(store.inc)
    _build(store.full, "--full-refresh")
    return store


def test_incremental_build_equals_a_full_refresh(new_work: Store) -> None:
    _assert_equal_marts(new_work.inc, new_work.full)
    status = dict(new_work.inc.query("select run_id, run_status from dim_runs"))
    assert status == {
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
    mixed = dict(new_work.inc.query("select run_id, mixed_write_shard_count from dim_runs"))
    assert mixed == {**dict.fromkeys(status, 0), "pair-run": 1}
    # the rollback run's params and metric rows are gone, as in the raw objects
    ((params, summaries, with_params),) = new_work.inc.query(
        "select (select count(*) from fct_point_params where run_id = 'rollback-run'), "
        "(select count(*) from fct_run_metric_summary where run_id = 'rollback-run'), "
        "(select count(*) filter (where has_params) from fct_point_outcomes "
        "where run_id = 'rollback-run')"
    )
    assert (params, summaries, with_params) == (0, 0, 0)
    # the retried shards replaced their rows, never duplicated them
    ((rows, points, attempts, failed),) = new_work.inc.query(
        "select count(*), count(distinct point_index), max(attempt), "
        "count(*) filter (where outcome_status = 'failed') "
        "from fct_point_outcomes where run_id = 'recent-run'"
    )
    assert (rows, points, attempts, failed) == (12, 12, 2, 0)
    ((peak,),) = new_work.inc.query(
        "select metric_peak_infected from fct_point_outcomes "
        "where run_id = 'recent-run' and point_index = 0"
    )
    assert peak == 2.0  # the retried shard's content, not the first attempt's
    ((beta,),) = new_work.inc.query(
        "select param_value_double from fct_point_params "
        "where run_id = 'recent-run' and point_index = 4 and param_name = 'beta'"
    )
    assert beta == pytest.approx(1.5)  # the retry's params (0.5 + 1.0), not the first write's


def test_incremental_build_reads_only_the_window(new_work: Store) -> None:
    """The staging models of the incremental build listed only the recent run_date folder's
    files; the data tests read the window only; a full refresh tests everything."""
    compiled = new_work.inc.target_path / "compiled" / "athena_run_analytics" / "models"
    staging = (compiled / "staging" / "sweep" / "stg_sweep__outcomes.sql").read_text()
    assert "run_id=new-run/" in staging and "run_id=recent-run/" in staging
    assert "run_id=edge-run/" in staging  # the window's first day is in it
    assert "run_id=old-run" not in staging
    assert "/*/*/*.parquet" not in staging
    tests = compiled / "staging" / "sweep" / "_sweep__models.yml"
    since = SINCE.isoformat()
    for name in ("outcomes_point_is_unique", "outcomes_point_has_params"):
        assert f"run_date >= date '{since}'" in (tests / f"{name}.sql").read_text(), name
    full = new_work.full.target_path / "compiled" / "athena_run_analytics" / "models"
    whole = full / "staging" / "sweep" / "_sweep__models.yml" / "outcomes_point_is_unique.sql"
    assert "run_date >=" not in whole.read_text()
    assert "/*/*/*.parquet" in (full / "staging" / "sweep" / "stg_sweep__outcomes.sql").read_text()


def _table_scans(operator: dict[str, Any], found: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(table, rows the scan emitted) of every table scan in a DuckDB EXPLAIN ANALYZE tree."""
    if operator.get("type") == "TABLE_SCAN":
        found.append(
            (operator["extra_info"]["Table"].split(".")[-1], operator["intermediate_rows"])
        )
    for child in operator.get("children", []):
        _table_scans(child, found)
    return found


#: (node, table) scans that read a table whole on purpose: fct_point_comparisons finds each
#: run's pair among all runs of dim_runs (one row per run, not per point; a base run may be
#: older than the window)
WHOLE_BY_DESIGN = {("fct_point_comparisons", "dim_runs")}


def test_no_mart_or_data_test_reads_outside_the_window(new_work: Store, tmp_path: Path) -> None:
    """Every mart select and every data test of an incremental build, run on the incremental
    database: each scan of a project table emits that table's window rows at most, i.e. the
    run_date filter reached the scan (below the views' unpivots and joins, into the parents of
    relationship tests). The store holds rows outside the window in every table (old-run)."""
    plan = Dbt(tmp_path, str(new_work.root), env={"ARA_DUCKDB_PATH": str(new_work.inc.duckdb_path)})
    plan.vars = WINDOWED
    plan.run("compile", "--target", "local")
    compiled = plan.target_path / "compiled" / "athena_run_analytics" / "models"
    nodes = [
        path
        for path in sorted(compiled.rglob("*.sql"))
        # the staging models read Parquet (test_incremental_build_reads_only_the_window); the
        # intermediate models are view definitions, read through the marts and tests below
        if path.parent.name not in ("sweep", "intermediate")
        # fct_point_comparisons' base run may be older than the window: this one test reads
        # dim_runs (one row per run) whole, on purpose (meta parent_in_window: false)
        and not path.stem.startswith("relationships_fct_point_compar_")
    ]
    import duckdb

    checked: set[tuple[str, str]] = set()
    with duckdb.connect(str(new_work.inc.duckdb_path), read_only=True) as con:
        since = f"date '{SINCE.isoformat()}'"
        for path in nodes:
            ((_, plan_json),) = con.execute(
                "explain (analyze, format json) " + path.read_text()
            ).fetchall()
            scans: list[tuple[str, int]] = []
            for operator in json.loads(plan_json)["operator"]:
                _table_scans(operator, scans)
            for table, rows in scans:
                if (path.stem, table) in WHOLE_BY_DESIGN:
                    continue
                ((total, window),) = con.execute(
                    f"select count(*), count(*) filter (where run_date >= {since}) from {table}"
                ).fetchall()
                assert window < total, table  # rows outside the window exist
                assert rows <= window, (path.relative_to(compiled), table, rows, window)
                checked.add((path.stem, table))
    # the nodes the issue found reading the whole store are among those checked
    assert ("fct_point_params", "stg_sweep__effective_params") in checked
    assert any(
        node.startswith("accepted_values_int_effective") and table == "stg_sweep__effective_params"
        for node, table in checked
    )
    assert any(
        node.startswith("relationships_fct_point_outcomes") and table == "dim_runs"
        for node, table in checked
    )
    assert ("outcomes_run_has_context", "stg_sweep__run_contexts") in checked


def test_a_late_retry_outside_the_lookback_needs_reprocess_run_ids(new_work: Store) -> None:
    store = new_work
    _shard(store.root, store.old, 1, attempt=2, scale=5.0, failed=frozenset({4}))
    before = _rows(store.inc, "fct_point_outcomes")
    _build(store.inc)  # plain build: the old run_date is outside the window
    assert _rows(store.inc, "fct_point_outcomes") == before
    store.inc.vars = {**WINDOWED, "reprocess_run_ids": ["old-run"]}
    try:
        _build(store.inc)
    finally:
        store.inc.vars = WINDOWED
    _build(store.full, "--full-refresh")
    assert _rows(store.full, "fct_point_outcomes") != before  # the plain build was stale
    _assert_equal_marts(store.inc, store.full)
    ((status, failed),) = store.inc.query(
        "select run_status, failed_point_count from dim_runs where run_id = 'old-run'"
    )
    assert (status, failed) == ("complete", 1)
    # the comparison of old-run with mid-run (mid-run's run_date, outside the window) follows
    # the retry: point 4 failed in old-run now, points 5-7 have 5x the peak (30, 35, 40 vs 6, 7, 8)
    compared = store.inc.query(
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


def _as_schema_1_0(path: Path) -> None:
    """Rewrite one object as a 1.0 exporter wrote it: no write_id column, schema_version 1.0."""
    table = pq.read_table(path)
    table = table.drop_columns(["write_id"])
    index = table.schema.get_field_index("schema_version")
    table = table.set_column(
        index, table.schema.field(index), pa.array(["1.0"] * table.num_rows, pa.string())
    )
    metadata = {**(table.schema.metadata or {}), b"schema_version": b"1.0"}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def test_a_window_of_schema_1_0_files_builds_like_a_full_refresh(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """1.0 objects (no write_id) among 1.1 ones: the full build reads both by name, and an
    incremental build whose window holds 1.0 objects only still has the column (null)."""
    base = tmp_path_factory.mktemp("dbt_incremental_1_0")
    root = base / "raw"
    legacy = _run(root, "legacy-run", NOW)  # in the window
    _run(root, "current-run", NOW - timedelta(days=40))  # 1.1 objects, outside the window
    converted = [
        path
        for dataset in ("effective_params", "outcomes")
        for path in root.glob(f"{dataset}/run_date={legacy.run_date}/*/*.parquet")
    ]
    assert len(converted) == 2 * SHARDS
    for path in converted:
        _as_schema_1_0(path)
    dbt = Dbt(base / "dbt", str(root), vars={"test_whole_store": True})
    _build(dbt, "--full-refresh")
    full = {model: _rows(dbt, model) for model in (*MARTS, *STAGING)}
    dbt.vars = WINDOWED
    _build(dbt)  # the window's outcomes and params objects are all 1.0
    for model, rows in full.items():
        assert _rows(dbt, model) == rows, model
    by_run = dict(
        dbt.query("select run_id, count(write_id) from stg_sweep__outcomes group by run_id")
    )
    assert by_run == {"legacy-run": 0, "current-run": POINTS_PER_SHARD * SHARDS}
    mixed = dict(dbt.query("select run_id, mixed_write_shard_count from dim_runs"))
    assert mixed == {"legacy-run": 0, "current-run": 0}
