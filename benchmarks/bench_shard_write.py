"""Shard-writer benchmarks: the exporter against the plain floor, its memory, and 1M points.

One run prints every figure recorded in docs/benchmarks.md (``make bench``). Sections, each a
function, chosen with ``--sections`` (default: all):

* ``ratio``  — one shard of ``--points`` points (default 100k; 5 params, 3 metrics), written by
  ``ShardWriter`` and by the *plain floor* — ``json.dumps`` (sorted) + SHA-256 + Arrow tables
  from lists + ``pq.write_table`` of both objects, no checks — in interleaved rounds; the figure
  is the median of the per-round ratios (process CPU time, which other work on a shared machine
  disturbs less than wall time; wall time is printed too).
* ``memory`` — extra peak RSS of writing 100k and 1M points, each in a fresh subprocess: peak RSS
  (``ru_maxrss``) after writing minus peak RSS before (imports done, inputs generated on the fly
  so the caller holds nothing).
* ``export`` — wall time of exporting 1M points into one shard (the same subprocess as the
  memory figure at 1M).

    .venv/bin/python benchmarks/bench_shard_write.py [--sections ratio,memory,export]
        [--points N] [--repeat K]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from exporter import RunRef, ShardWriter
from exporter._contract import EFFECTIVE_PARAMS, OUTCOMES, SCHEMA_VERSION
from exporter._writer import PARQUET_COMPRESSION

T0 = datetime(2026, 11, 23, tzinfo=UTC)
Point = tuple[dict[str, Any], dict[str, float]]


def point(i: int) -> Point:
    """Point ``i``: 5 effective parameters, 3 metrics."""
    params = {
        "beta": 0.1 + (i % 97) / 100,
        "gamma": 0.05 + (i % 13) / 100,
        "population": 10_000,
        "model": "sir-euler",
        "seed": i,
    }
    metrics = {"peak_infected": i * 1.5, "peak_day": i % 160 * 0.25, "attack_rate": 0.5}
    return params, metrics


def make_points(n: int) -> list[Point]:
    return [point(i) for i in range(n)]


def via_exporter(root: Path, points: list[Point] | Iterator[Point], n: int) -> None:
    run = RunRef("bench", date(2026, 11, 23), point_count=n, points_per_shard=n)
    with ShardWriter(root, run, 0) as shard:
        for i, (params, metrics) in enumerate(points):
            t = T0 + timedelta(milliseconds=i)
            shard.add_point(i, params, started_at=t, finished_at=t, metrics=metrics)


def via_floor(root: Path, points: list[Point]) -> None:
    """The plain floor: serialise, hash, build both tables from lists, write_table. No checks."""
    n = len(points)
    texts = [json.dumps(p, sort_keys=True, separators=(",", ":")) for p, _ in points]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    common = {
        "schema_version": [SCHEMA_VERSION] * n,
        "shard_id": [0] * n,
        "point_index": list(range(n)),
        "param_hash": hashes,
        "write_id": [uuid.uuid4().hex] * n,
    }
    params = pa.Table.from_pydict(
        {**common, "param_count": [len(p) for p, _ in points], "params_json": texts},
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
    for name, table in (("params", params), ("outcomes", outcomes)):
        pq.write_table(table, root / f"{name}.parquet", compression=PARQUET_COMPRESSION)


def _timed(run: Callable[[Path], None]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``run`` in a fresh temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        cpu, wall = time.process_time(), time.perf_counter()
        run(Path(folder))
        return time.process_time() - cpu, time.perf_counter() - wall


def measure_ratio(n: int, repeat: int) -> dict[str, float]:
    """Exporter vs the plain floor, interleaved; median of the per-round ratios."""
    points = make_points(n)
    _timed(lambda root: via_exporter(root, points, n))  # warm-up, not counted
    ratios_cpu, ratios_wall, exporter_cpu, floor_cpu = [], [], [], []
    for k in range(repeat):
        e_cpu, e_wall = _timed(lambda root: via_exporter(root, points, n))
        f_cpu, f_wall = _timed(lambda root: via_floor(root, points))
        ratios_cpu.append(e_cpu / f_cpu)
        ratios_wall.append(e_wall / f_wall)
        exporter_cpu.append(e_cpu)
        floor_cpu.append(f_cpu)
        print(
            f"  round {k + 1}: exporter {e_cpu:.3f} CPU-s ({e_wall:.3f}s wall), "
            f"floor {f_cpu:.3f} CPU-s ({f_wall:.3f}s wall), ratio {e_cpu / f_cpu:.2f}"
        )
    e = statistics.median(exporter_cpu)
    result = {
        "ratio_cpu": statistics.median(ratios_cpu),
        "ratio_wall": statistics.median(ratios_wall),
        "exporter_s": e,
        "floor_s": statistics.median(floor_cpu),
        "points_per_s": n / e,
    }
    print(f"shard of {n:,} points (5 params, 3 metrics), {repeat} interleaved rounds:")
    print(f"  exporter (median):       {e:.3f} CPU-s  {n / e:,.0f} points/s")
    print(f"  plain floor (median):    {result['floor_s']:.3f} CPU-s")
    print(f"  ratio exporter/floor:    {result['ratio_cpu']:.2f}x  (median of per-round ratios)")
    print(f"  same, wall time:         {result['ratio_wall']:.2f}x")
    return result


def peak_rss_kib() -> int:
    """This process's peak RSS in KiB: ``VmHWM`` (Linux, reset by exec), else ``ru_maxrss``.

    ``ru_maxrss`` of a child started from a large parent starts at the parent's peak on Linux,
    which would hide the child's own growth.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child_write(n: int) -> None:
    """In a fresh process: write ``n`` points generated on the fly; print JSON figures."""
    with tempfile.TemporaryDirectory() as warm:  # imports and first-use costs
        via_exporter(Path(warm), iter([point(0)]), 1)
    before = peak_rss_kib()
    with tempfile.TemporaryDirectory() as folder:
        start, cpu = time.perf_counter(), time.process_time()
        via_exporter(Path(folder), (point(i) for i in range(n)), n)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = sum(p.stat().st_size for p in Path(folder).rglob("*.parquet"))
    after = peak_rss_kib()
    print(
        json.dumps(
            {
                "points": n,
                "extra_mib": (after - before) / 1024,
                "seconds": seconds,
                "cpu": cpu,
                "bytes": size,
            }
        )
    )


def write_in_subprocess(n: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child-write", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure_memory(sizes: tuple[int, ...] = (100_000, 1_000_000)) -> dict[int, dict[str, float]]:
    """Extra peak RSS of one shard write per size, each in its own process."""
    runs = {n: write_in_subprocess(n) for n in sizes}
    print("extra peak RSS of one shard write (fresh process each; inputs generated on the fly):")
    for n, fig in runs.items():
        print(
            f"  {n:>9,} points: +{fig['extra_mib']:.0f} MiB  ({fig['seconds']:.2f}s, "
            f"{fig['bytes'] / n:.1f} bytes/point on disk)"
        )
    if len(sizes) == 2:
        small, large = (runs[n]["extra_mib"] for n in sizes)
        print(f"  ratio {sizes[1]:,} / {sizes[0]:,}: {large / max(small, 1.0):.2f}x")
    return runs


def measure_export(n: int = 1_000_000, figures: dict[str, float] | None = None) -> dict[str, float]:
    """Wall and CPU time of exporting ``n`` points into one shard (reuses a memory run)."""
    fig = figures or write_in_subprocess(n)
    print(
        f"export of {n:,} points into one shard: {fig['seconds']:.2f}s wall, "
        f"{fig['cpu']:.2f} CPU-s, {n / fig['cpu']:,.0f} points per CPU-s "
        "(fresh process; generating the points is included)"
    )
    return fig


SECTIONS = ("ratio", "memory", "export")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, from {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--points", type=int, default=100_000, help="points in the ratio shard")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds for the ratio")
    parser.add_argument("--child-write", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_write:
        _child_write(args.child_write)
        return
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    print(
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, "
        f"pyarrow {pa.__version__}"
    )
    memory: dict[int, dict[str, float]] = {}
    if "ratio" in chosen:
        measure_ratio(args.points, args.repeat)
    if "memory" in chosen:
        memory = measure_memory()
    if "export" in chosen:
        measure_export(figures=memory.get(1_000_000))


if __name__ == "__main__":
    main()
