"""Broken exports (written behind the exporter's back) make `dbt test` fail on the right test.

One warehouse carries three defects, each in its own run. After `dbt run`, one
`dbt test --store-failures` shows exactly the expected tests failing (the duplicate fails the
staging and the mart uniqueness tests), and each failing test's stored rows name only the run that
carries its defect.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from _dbt_scenario import Dbt, export_reference_sweep

pytestmark = pytest.mark.dbt

DUPLICATED = "sir-baseline-20261120"  # a shard's outcomes copied under another object name
NO_PARAMS = "sir-large-town-20261121"  # a shard's effective-params object deleted
BAD_HASH = "sir-fine-step-20261121"  # one outcome's param_hash rewritten

EXPECTED_FAILURES = {
    "outcomes_point_is_unique": DUPLICATED,
    "outcomes_point_has_params": NO_PARAMS,
    "outcomes_param_hash_matches_params": BAD_HASH,
    "fct_point_outcomes_point_is_unique": DUPLICATED,
}


def _run_dir(root: Path, dataset: str, run_id: str) -> Path:
    (found,) = root.glob(f"{dataset}/run_date=*/run_id={run_id}")
    return found


def _break(root: Path) -> None:
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
    _break(root)
    dbt = Dbt(base / "dbt", str(root))
    dbt.run("run", "--target", "local")
    proc = dbt.run("test", "--target", "local", "--store-failures", check=False)
    assert proc.returncode == 1, proc.stdout[-4000:]
    yield dbt


def test_exactly_the_expected_tests_fail(broken: Dbt) -> None:
    results = broken.results()
    failed = {name for name, status in results.items() if status in {"fail", "error"}}
    assert failed == set(EXPECTED_FAILURES), results


@pytest.mark.parametrize("test_name", sorted(EXPECTED_FAILURES))
def test_each_failure_points_at_the_broken_run(broken: Dbt, test_name: str) -> None:
    rows = broken.query(f"select distinct run_id from main_dbt_test__audit.{test_name}")
    assert rows == [(EXPECTED_FAILURES[test_name],)]


def test_the_other_key_tests_still_pass(broken: Dbt) -> None:
    results = broken.results()
    for name in (
        "effective_params_point_is_unique",
        "effective_params_run_has_context",
        "outcomes_run_has_context",
        "unique_stg_sweep__run_contexts_run_id",
    ):
        assert results[name] == "pass", name
