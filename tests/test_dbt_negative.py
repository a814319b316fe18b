"""Broken exports (written behind the exporter's back) make `dbt test` fail on the right test.

One warehouse carries four defects, each in its own run, next to two runs the feature gate left
without a dataset (legitimate, so they must not fail anything). After `dbt run`, one
`dbt test --store-failures` shows exactly the expected tests failing (a copied shard fails the
staging and the mart uniqueness tests), exactly the run-context relationships warning, and each
failing or warning test's stored rows name only the runs that carry its defect or gate.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from _dbt_scenario import POINTS_PER_SHARD, Dbt, export_reference_sweep

from exporter import ExportSettings
from exporter.reference import reference_configs, run_sweep

pytestmark = pytest.mark.dbt

DUPLICATED = "sir-baseline-20261120"  # a shard's outcomes copied under another object name
NO_PARAMS = "sir-large-town-20261121"  # a shard's effective-params object deleted
BAD_HASH = "sir-fine-step-20261121"  # one outcome's param_hash rewritten
SHIFTED = "sir-shifted-20261122"  # a shard's points written again under another shard_id
PARAMS_GATED = "sir-no-params-20261122"  # exported with ARA_EXPORT_EFFECTIVE_PARAMS=false
CONTEXT_GATED = "sir-no-context-20261122"  # exported with ARA_EXPORT_RUN_CONTEXT=false

EXTRA_RUNS = {
    SHIFTED: ExportSettings(),
    PARAMS_GATED: ExportSettings(effective_params=False),
    CONTEXT_GATED: ExportSettings(run_context=False),
}

EXPECTED_FAILURES = {
    "outcomes_point_is_unique": {DUPLICATED},
    "outcomes_point_index_is_unique_in_run": {DUPLICATED, SHIFTED},
    "effective_params_point_index_is_unique_in_run": {SHIFTED},
    "outcomes_point_has_params": {NO_PARAMS},
    "outcomes_param_hash_matches_params": {BAD_HASH},
    "fct_point_outcomes_point_is_unique": {DUPLICATED},
    "fct_point_outcomes_point_index_is_unique_in_run": {DUPLICATED, SHIFTED},
    # the shifted run repeats its points under other shard ids; compared with the run whose
    # config it shares (fct_point_comparisons' automatic pair), it holds a point twice
    "fct_point_comparisons_new_point_is_unique_in_pair": {SHIFTED},
}
EXPECTED_WARNINGS = {
    "outcomes_run_has_context": {CONTEXT_GATED},
    "effective_params_run_has_context": {CONTEXT_GATED},
}


def _run_dir(root: Path, dataset: str, run_id: str) -> Path:
    (found,) = root.glob(f"{dataset}/run_date=*/run_id={run_id}")
    return found


def _export_extra_runs(root: Path) -> None:
    config = dict(reference_configs())["sir-fine-step"]
    for run_id, settings in EXTRA_RUNS.items():
        run_sweep(
            str(root),
            run_id,
            config,
            points_per_shard=POINTS_PER_SHARD,
            workers=0,
            settings=settings,
            accepted_at=datetime(2026, 11, 22, 6, tzinfo=UTC),
        )


def _rewrite_shard_id(source: Path, target: Path, shard_id: int) -> None:
    table = pq.read_table(source)
    index = table.schema.get_field_index("shard_id")
    ids = pa.array([shard_id] * table.num_rows, table.schema.field(index).type)
    pq.write_table(table.set_column(index, table.schema.field(index), ids), target)


def _break(root: Path) -> None:
    for dataset in ("effective_params", "outcomes"):
        shifted = _run_dir(root, dataset, SHIFTED)
        _rewrite_shard_id(shifted / "shard-00000.parquet", shifted / "shard-00099.parquet", 99)

    outcomes = _run_dir(root, "outcomes", DUPLICATED)
    shutil.copy(outcomes / "shard-00000.parquet", outcomes / "shard-00098.parquet")

    (_run_dir(root, "effective_params", NO_PARAMS) / "shard-00001.parquet").unlink()

    target = _run_dir(root, "outcomes", BAD_HASH) / "shard-00000.parquet"
    table = pq.read_table(target)
    hashes = table.column("param_hash").to_pylist()
    hashes[0] = "0" * 64
    index = table.schema.get_field_index("param_hash")
    table = table.set_column(index, table.schema.field(index), pa.array(hashes, pa.string()))
    assert pc.sum(pc.equal(table.column("param_hash"), "0" * 64)).as_py() == 1
    pq.write_table(table, target)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dbt]:
    base = tmp_path_factory.mktemp("dbt_negative")
    root = base / "raw"
    export_reference_sweep(str(root))
    _export_extra_runs(root)
    _break(root)
    dbt = Dbt(base / "dbt", str(root))
    dbt.run("run", "--target", "local")
    proc = dbt.run("test", "--target", "local", "--store-failures", check=False)
    assert proc.returncode == 1, proc.stdout[-4000:]
    yield dbt


def test_exactly_the_expected_tests_fail_or_warn(broken: Dbt) -> None:
    results = broken.results()
    failed = {name for name, status in results.items() if status in {"fail", "error"}}
    assert failed == set(EXPECTED_FAILURES), results
    warned = {name for name, status in results.items() if status == "warn"}
    assert warned == set(EXPECTED_WARNINGS), results


@pytest.mark.parametrize("test_name", sorted(EXPECTED_FAILURES.keys() | EXPECTED_WARNINGS.keys()))
def test_each_failure_points_at_the_broken_run(broken: Dbt, test_name: str) -> None:
    column = (
        "from_field"  # dbt's relationships
        if test_name in EXPECTED_WARNINGS
        else "new_run_id"
        if test_name.startswith("fct_point_comparisons")
        else "run_id"
    )
    rows = broken.query(f"select distinct {column} from main_dbt_test__audit.{test_name}")
    expected = {**EXPECTED_FAILURES, **EXPECTED_WARNINGS}[test_name]
    assert {run_id for (run_id,) in rows} == expected


def test_the_other_key_tests_still_pass(broken: Dbt) -> None:
    results = broken.results()
    for name in (
        "effective_params_point_is_unique",
        "unique_stg_sweep__run_contexts_run_id",
        "dim_runs_derives_status_from_planned_and_observed",
    ):
        assert results[name] == "pass", name


def test_dim_runs_never_calls_an_over_observed_run_complete(broken: Dbt) -> None:
    rows = broken.query(
        "select run_id, run_status, planned_shard_count, observed_shard_count, "
        "planned_point_count, observed_point_count from dim_runs"
    )
    got = {r[0]: r[1:] for r in rows}
    status, planned_s, observed_s, planned_p, observed_p = got[SHIFTED]
    assert (observed_s, observed_p) == (planned_s + 1, planned_p)
    assert status == "inconsistent"
    assert got[PARAMS_GATED][0] == "complete"
    assert got[CONTEXT_GATED][0] == "partial"
