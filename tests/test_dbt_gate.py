"""The feature gate's rollback path on the local target: outcomes only, no run context and no
effective params at all (ARA_EXPORT_RUN_CONTEXT=false, ARA_EXPORT_EFFECTIVE_PARAMS=false), so two
of the three datasets have no file. `dbt build --target local` still passes.

The same warehouse also holds one outcomes file of a later 1.x schema (an extra trailing nullable
column, an additive change the contract allows) among files without it, placed first in the
glob's order; the source reads both by column name.

One export and one ``dbt build`` for the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _dbt_scenario import POINTS_PER_SHARD, Dbt

from exporter import ExportSettings
from exporter.reference import plan_points, reference_configs, run_sweep

pytestmark = pytest.mark.dbt

GATED = ExportSettings(run_context=False, effective_params=False)
#: run name -> (accepted_at, shards left out)
RUNS = {
    "sir-fine-step": (datetime(2026, 11, 21, 8, 0, tzinfo=UTC), set()),
    "sir-large-town": (datetime(2026, 11, 22, 7, 0, tzinfo=UTC), {0}),
}
EXTRA_COLUMN = "queue_wait_ms"

#: (run_id, point_index) of every outcome handed to the exporter
Built = tuple[Dbt, set[tuple[str, int]]]


def _add_trailing_column(path: Path) -> int:
    """Rewrite one outcomes file as a later 1.x writer would: one more nullable column, last."""
    table = pq.read_table(path)
    values = pa.array([float(i) for i in range(table.num_rows)], pa.float64())
    table = table.append_column(pa.field(EXTRA_COLUMN, pa.float64(), nullable=True), values)
    pq.write_table(table, path)
    return table.num_rows


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    base = tmp_path_factory.mktemp("dbt_gate")
    root = base / "raw"
    exported: set[tuple[str, int]] = set()
    for name, config in reference_configs():
        if name not in RUNS:
            continue
        accepted_at, skip = RUNS[name]
        run_id = f"{name}-{accepted_at:%Y%m%d}"
        run_sweep(
            str(root),
            run_id,
            config,
            points_per_shard=POINTS_PER_SHARD,
            workers=0,
            skip_shards=skip,
            settings=GATED,
            accepted_at=accepted_at,
        )
        for index in range(len(plan_points(config))):
            if index // POINTS_PER_SHARD not in skip:
                exported.add((run_id, index))
    files = sorted(root.glob("outcomes/*/*/*.parquet"))
    assert len(files) > 1
    _add_trailing_column(files[0])  # first in the glob's order: the others lack the column
    dbt = Dbt(base / "dbt", str(root))
    dbt.run("build", "--target", "local")
    yield dbt, exported


def test_build_passes_without_run_context_and_params_files(built: Built) -> None:
    dbt, _ = built
    root = Path(dbt.warehouse_root)
    assert not list(root.glob("run_context/**/*.parquet"))
    assert not list(root.glob("effective_params/**/*.parquet"))
    results = dbt.results()
    assert set(results.values()) <= {"success", "pass", "warn"}, results
    # a run without context is legitimate under the gate: a warning, not a failure
    assert results["outcomes_run_has_context"] == "warn"
    # a run without any params row is not checked against params
    assert results["outcomes_point_has_params"] == "pass"
    assert results["stg_sweep__run_contexts"] == results["stg_sweep__effective_params"]
    assert results["stg_sweep__effective_params"] == "success"


def test_the_empty_staging_models_keep_the_contract_columns(built: Built) -> None:
    dbt, _ = built
    for model, columns in {
        "stg_sweep__effective_params": {"params_json": "VARCHAR", "point_index": "BIGINT"},
        "stg_sweep__run_contexts": {"planned_point_count": "BIGINT", "accepted_at": "TIMESTAMP"},
    }.items():
        described = {r[0]: r[1] for r in dbt.query(f"describe {model}")}
        assert described.items() >= columns.items(), (model, described)
        assert dbt.query(f"select count(*) from {model}") == [(0,)]


def test_one_fact_row_per_outcome_with_null_params(built: Built) -> None:
    dbt, exported = built
    rows = dbt.query(
        "select run_id, point_index, has_params, params_json, param_beta, request_source "
        "from fct_point_outcomes"
    )
    assert len(rows) == len(exported)
    assert {(r[0], r[1]) for r in rows} == exported
    assert {r[2:] for r in rows} == {(False, None, None, None)}


def test_dim_runs_has_every_run_as_partial_without_context(built: Built) -> None:
    dbt, exported = built
    rows = dbt.query(
        "select run_id, has_run_context, planned_point_count, observed_point_count, run_status "
        "from dim_runs"
    )
    run_ids = {run_id for run_id, _ in exported}
    assert {r[0] for r in rows} == run_ids
    for run_id, has_context, planned, observed, status in rows:
        assert (has_context, planned, status) == (False, None, "partial"), run_id
        assert observed == sum(1 for r, _ in exported if r == run_id)


def test_a_file_with_an_extra_trailing_column_is_read_by_name(built: Built) -> None:
    """The staging model's compiled source reads the new column where it exists, null elsewhere."""
    import duckdb

    dbt, exported = built
    model = "compiled/athena_run_analytics/models/staging/sweep/stg_sweep__outcomes.sql"
    compiled = (dbt.target_path / model).read_text()
    source = re.search(r"from (read_parquet\(.*\))\s*$", compiled, re.M)
    assert source, compiled
    with duckdb.connect() as con:
        ((total, with_extra),) = con.sql(
            f"select count(*), count({EXTRA_COLUMN}) from {source.group(1)}"
        ).fetchall()
    first = sorted(Path(dbt.warehouse_root).glob("outcomes/*/*/*.parquet"))[0]
    assert total == len(exported)
    assert with_extra == pq.read_metadata(first).num_rows
