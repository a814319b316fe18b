"""The benchmarks measure what they say: the shard writer's floor writes exactly the writer's
objects, and the dbt benchmark's stores are made of runs with distinct parameters.

The benchmark scripts are imported as modules (benchmarks/ is not a package); these tests run
them on small inputs only and assert no timing (docs/benchmarks.md holds the figures).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq

from exporter._writer import DEFAULT_ROW_GROUP_SIZE

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_fair_floor_writes_what_the_writer_writes(tmp_path: Path) -> None:
    bench = _load("bench_shard_write")
    # the benchmark's floor uses the writer's row group size unless told otherwise
    floor_default = inspect.signature(bench.via_floor).parameters["row_group_size"].default
    assert floor_default == DEFAULT_ROW_GROUP_SIZE
    points = bench.make_points(1_000)
    written = bench.via_exporter(tmp_path / "writer", points, len(points), row_group_size=300)
    (tmp_path / "floor").mkdir()
    floor = bench.via_floor(tmp_path / "floor", points, row_group_size=300)
    for uri, path in zip(written.uris, floor, strict=True):  # params, then outcomes
        got, want = pq.ParquetFile(path), pq.ParquetFile(uri)
        assert path.stem in uri
        assert got.schema_arrow.equals(want.schema_arrow, check_metadata=True), path.stem
        assert got.schema_arrow.metadata == want.schema_arrow.metadata
        groups = [got.metadata.row_group(i).num_rows for i in range(got.num_row_groups)]
        assert groups == [want.metadata.row_group(i).num_rows for i in range(want.num_row_groups)]
        assert groups == [300, 300, 300, 100]
        for meta in (got.metadata, want.metadata):
            chunks = [
                meta.row_group(g).column(c)
                for g in range(meta.num_row_groups)
                for c in range(meta.num_columns)
            ]
            assert {chunk.compression for chunk in chunks} == {"SNAPPY"}
        got_rows, want_rows = got.read(), want.read()
        # write_id: one random id per shard write, on every row, in both
        for table in (got_rows, want_rows):
            ids = table.column("write_id").unique().to_pylist()
            assert len(ids) == 1 and re.fullmatch("[0-9a-f]{32}", ids[0]), ids
        assert got_rows.drop_columns(["write_id"]).equals(want_rows.drop_columns(["write_id"]))
        assert got_rows.num_rows == len(points)


def test_the_dbt_benchmark_stores_hold_distinct_sweeps(tmp_path: Path) -> None:
    """Every run of a benchmark store is its own sweep: no params_json (and no metrics) shared
    between runs, dated at a steady rate up to the day, so both store sizes have the same runs
    in the build's window."""
    import duckdb

    bench = _load("bench_dbt")
    today = date(2026, 11, 23)
    plan = bench.build_store(tmp_path, runs=7, workers=1, points=20, today=today)
    assert [day for _, day, _ in plan] == [today - timedelta(days=1)] * 2 + [today] * 5
    glob = f"{tmp_path}/{{}}/*/*/*.parquet"
    with duckdb.connect() as con:
        ((rows, runs, texts, hashes),) = con.execute(
            "select count(*), count(distinct run_id), count(distinct params_json), "
            f"count(distinct param_hash) from read_parquet('{glob.format('effective_params')}')"
        ).fetchall()
        assert (rows, runs) == (7 * 20, 7)
        assert texts == hashes == rows  # no two points, of any two runs, share their params
        per_run = con.execute(
            "select run_id, list(distinct metrics['attack_rate'] order by 1) from "
            f"read_parquet('{glob.format('outcomes')}', hive_partitioning = true) "
            "where status = 'succeeded' group by run_id"
        ).fetchall()
    metric_sets = [tuple(values) for _, values in per_run]
    assert len(metric_sets) == 7 and len(set(metric_sets)) == 7  # metrics differ by run too
    # the build window (lookback days + today) holds the same runs at both benchmark sizes
    since = today - timedelta(days=bench.LOOKBACK_DAYS)
    in_window = [
        sum(day >= since for _, day, _ in bench.run_plan(runs, today)) for runs in (25, 1000)
    ]
    assert in_window == [(bench.LOOKBACK_DAYS + 1) * bench.RUNS_PER_DAY] * 2
