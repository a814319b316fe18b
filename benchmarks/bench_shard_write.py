"""Throughput of one 100k-point shard: the exporter against raw ``pyarrow.parquet.write_table``.

Both sides write the same rows to the same kind of destination (a local folder, snappy). The
exporter's side includes everything a worker pays for: validating every point, canonical JSON,
SHA-256 param hashes, both objects (params and outcomes) and the atomic rename. The raw side gets
the finished columns for free and only encodes and writes them. Run it by hand and record the
figures in docs/benchmarks.md; compare the ratio, not the absolute numbers (machines are noisy).

    .venv/bin/python benchmarks/bench_shard_write.py [--points N] [--repeat K]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from exporter import RunRef, ShardWriter
from exporter._contract import EFFECTIVE_PARAMS, OUTCOMES
from exporter._writer import PARQUET_COMPRESSION
from exporter.reference import resolve_params

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def make_points(n: int) -> list[tuple[dict[str, Any], dict[str, float]]]:
    points = []
    for i in range(n):
        params = resolve_params({"beta": 0.1 + (i % 97) / 100, "gamma": 0.05 + (i % 13) / 100})
        metrics = {"peak_infected": i * 1.5, "peak_day": i % 160 * 0.25, "attack_rate": 0.5}
        points.append((params, metrics))
    return points


def via_exporter(root: Path, points: list[tuple[dict[str, Any], dict[str, float]]]) -> float:
    run = RunRef("bench", date(2026, 11, 23), point_count=len(points), points_per_shard=len(points))
    start = time.perf_counter()
    with ShardWriter(root, run, 0) as shard:
        for i, (params, metrics) in enumerate(points):
            t = T0 + timedelta(milliseconds=i)
            shard.add_point(i, params, started_at=t, finished_at=t, metrics=metrics)
    return time.perf_counter() - start


def raw_columns(points: list[tuple[dict[str, Any], dict[str, float]]]) -> tuple[pa.Table, pa.Table]:
    import json

    n = len(points)
    texts = [json.dumps(p, sort_keys=True, separators=(",", ":")) for p, _ in points]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    common = {
        "schema_version": ["1.0"] * n,
        "shard_id": [0] * n,
        "point_index": list(range(n)),
        "param_hash": hashes,
    }
    params = pa.Table.from_pydict(
        {
            **common,
            "param_count": [len(p) for p, _ in points],
            "params_json": texts,
        },
        schema=EFFECTIVE_PARAMS.arrow_schema(),
    )
    times = [T0 + timedelta(milliseconds=i) for i in range(n)]
    outcomes = pa.Table.from_pydict(
        {
            **common,
            "status": ["succeeded"] * n,
            "error_message": [None] * n,
            "attempt": [1] * n,
            "started_at": times,
            "finished_at": times,
            "duration_ms": [0.0] * n,
            "metrics": [list(m.items()) for _, m in points],
        },
        schema=OUTCOMES.arrow_schema(),
    )
    return params, outcomes


def via_pyarrow(root: Path, tables: tuple[pa.Table, pa.Table]) -> float:
    start = time.perf_counter()
    for name, table in zip(("params", "outcomes"), tables, strict=True):
        pq.write_table(table, root / f"{name}.parquet", compression=PARQUET_COMPRESSION)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    points = make_points(args.points)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as warm:  # first: the only run whose peak RSS we can see
        via_exporter(Path(warm), points)
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    tables = raw_columns(points)
    exporter_s: list[float] = []
    raw_s: list[float] = []
    build_s: list[float] = []
    for k in range(args.repeat):  # interleaved, so drift hits both sides alike
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            exporter_s.append(via_exporter(Path(a), points))
            raw_s.append(via_pyarrow(Path(b), tables))
            start = time.perf_counter()
            raw_columns(points)
            build_s.append(time.perf_counter() - start)
        print(
            f"  round {k + 1}: exporter {exporter_s[-1]:.3f}s, raw pyarrow {raw_s[-1]:.3f}s, "
            f"building the raw columns {build_s[-1]:.3f}s"
        )
    e, r = statistics.median(exporter_s), statistics.median(raw_s)
    built = statistics.median(build_s)
    print(f"points per shard:      {args.points:,}")
    print(f"exporter (median):     {e:.3f}s  {args.points / e:,.0f} points/s")
    print(f"raw write_table:       {r:.3f}s  {args.points / r:,.0f} points/s")
    print(f"ratio exporter/raw:    {e / r:.1f}x the time")
    print(f"raw incl. building:    {built + r:.3f}s  (json + SHA-256 + Arrow, no checks)")
    print(f"ratio exporter/that:   {e / (built + r):.1f}x the time")
    print(f"exporter peak RSS:     +{rss_growth:.0f} MiB over the points held by the caller")


if __name__ == "__main__":
    main()
