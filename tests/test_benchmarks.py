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
