"""Incremental builds on the local target (real dbt-duckdb) end equal to a full refresh.

One warehouse, two DuckDB files: ``inc`` is only ever built incrementally (plain ``dbt build``),
``full`` is rebuilt with ``--full-refresh`` after each change to the raw objects; their marts
must hold the same rows. The raw objects are written with the exporter's own API
(``export_run_context`` and ``ShardWriter``), so every object is valid contract data. The steps
and the facts checked after them are tests/_incremental_scenario.py's, shared with the Athena
target's tests/test_athena_incremental.py.

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
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _incremental_scenario as scenario
import pytest
from _dbt_scenario import MARTS, Dbt
from _incremental_scenario import SINCE, STAGING, WINDOWED, Raw, Runs

pytestmark = pytest.mark.dbt


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
    raw: Raw
    runs: Runs
    inc: Dbt
    full: Dbt
    #: the SQL step 2's incremental and full builds compiled (kept: later tests build again)
    compiled_inc: Path | None = None
    compiled_full: Path | None = None

    @property
    def root(self) -> Path:
        return Path(self.raw.root)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Step 1 (tests/_incremental_scenario.py) and the first build."""
    base = tmp_path_factory.mktemp("dbt_incremental")
    raw = Raw(str(base / "raw"))
    runs = scenario.first_runs(raw)
    inc = Dbt(base / "inc", raw.root, vars=WINDOWED)
    full = Dbt(base / "full", raw.root, vars=WINDOWED)
    _build(inc)
    yield Store(raw, runs, inc, full)


@pytest.fixture(scope="module")
def new_work(store: Store) -> Store:
    """Step 2: new runs, gated runs, a late shard, retried shards, a retried failed point, a
    mixed pair, a rollback; an incremental build and a full refresh."""
    scenario.new_work(store.raw, store.runs)
    _build(store.inc)
    _build(store.full, "--full-refresh")
    for dbt, kept in ((store.inc, "compiled_inc"), (store.full, "compiled_full")):
        models = dbt.target_path / "compiled" / "athena_run_analytics" / "models"
        setattr(store, kept, shutil.copytree(models, dbt.workdir.parent / kept))
    return store


def test_incremental_build_equals_a_full_refresh(new_work: Store) -> None:
    _assert_equal_marts(new_work.inc, new_work.full)
    scenario.assert_new_work_facts(new_work.inc.query)


def test_incremental_build_reads_only_the_window(new_work: Store) -> None:
    """The staging models of the incremental build listed only the recent run_date folder's
    files; the data tests read the window only; a full refresh tests everything."""
    compiled, full = new_work.compiled_inc, new_work.compiled_full
    assert compiled is not None and full is not None
    staging = (compiled / "staging" / "sweep" / "stg_sweep__outcomes.sql").read_text()
    assert "run_id=new-run/" in staging and "run_id=recent-run/" in staging
    assert "run_id=edge-run/" in staging  # the window's first day is in it
    assert "run_id=old-run" not in staging
    assert "/*/*/*.parquet" not in staging
    tests = compiled / "staging" / "sweep" / "_sweep__models.yml"
    since = SINCE.isoformat()
    for name in ("outcomes_point_is_unique", "outcomes_point_has_params"):
        assert f"run_date >= date '{since}'" in (tests / f"{name}.sql").read_text(), name
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
    scenario.late_retry(store.raw, store.runs)
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
    scenario.assert_late_retry_facts(store.inc.query)


def test_a_window_of_schema_1_0_files_builds_like_a_full_refresh(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """1.0 objects (no write_id) among 1.1 ones: the full build reads both by name, and an
    incremental build whose window holds 1.0 objects only still has the column (null)."""
    base = tmp_path_factory.mktemp("dbt_incremental_1_0")
    raw = Raw(str(base / "raw"))
    scenario.schema_1_0_store(raw)
    dbt = Dbt(base / "dbt", raw.root, vars={"test_whole_store": True})
    _build(dbt, "--full-refresh")
    full = {model: _rows(dbt, model) for model in (*MARTS, *STAGING)}
    dbt.vars = WINDOWED
    _build(dbt)  # the window's outcomes and params objects are all 1.0
    for model, rows in full.items():
        assert _rows(dbt, model) == rows, model
    scenario.assert_schema_1_0_facts(dbt.query)
