"""Shard-writer benchmarks: the exporter against a fair floor, its memory, and 1M points.

One run prints every figure recorded in docs/benchmarks.md (``make bench``). Sections, each a
function, chosen with ``--sections`` (default: all):

* ``ratio``  — one shard of ``--points`` points (default 100k; 5 params, 3 metrics), written by
  ``ShardWriter`` and by the *fair floor* (:func:`via_floor`): the writer's exact two objects
  (same schema and metadata, one ``write_id``, snappy, 65,536-row groups through
  ``pq.ParquetWriter``) built the cheapest plain way — one JSON encoder built once, SHA-256, the
  metrics map from flat key/value lists and offsets — with no checks at all. Rounds are
  interleaved; the figure is the median of the per-round ratios (process CPU time, which other
  work on a shared machine disturbs less than wall time; wall time is printed too).
  tests/test_benchmarks.py checks that the floor writes what the writer writes.
* ``memory`` — extra peak RSS of writing 100k and 1M points, each in a fresh subprocess: peak RSS
  (``VmHWM``) after writing minus peak RSS before (imports done, inputs generated on the fly
  so the caller holds nothing).
* ``export`` — wall time of exporting 1M points into one shard (the same subprocess as the
  memory figure at 1M).

    .venv/bin/python benchmarks/bench_shard_write.py [--sections ratio,memory,export]
        [--points N] [--repeat K]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
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

from exporter import RunRef, ShardWriter, ShardWritten
from exporter._contract import EFFECTIVE_PARAMS, OUTCOMES, SCHEMA_VERSION
from exporter._writer import DEFAULT_ROW_GROUP_SIZE

METRICS_TYPE = OUTCOMES.arrow_schema().field("metrics").type

T0 = datetime(2026, 11, 23, tzinfo=UTC)
#: (effective params, metrics, started_at = finished_at): what a worker hands to the writer
Point = tuple[dict[str, Any], dict[str, float], datetime]


def point(i: int) -> Point:
    """Point ``i``: 5 effective parameters, 3 metrics, its timestamp."""
    params = {
        "beta": 0.1 + (i % 97) / 100,
        "gamma": 0.05 + (i % 13) / 100,
        "population": 10_000,
        "model": "sir-euler",
        "seed": i,
    }
    metrics = {"peak_infected": i * 1.5, "peak_day": i % 160 * 0.25, "attack_rate": 0.5}
    return params, metrics, T0 + timedelta(milliseconds=i)


def make_points(n: int) -> list[Point]:
    return [point(i) for i in range(n)]


def via_exporter(
    root: Path,
    points: list[Point] | Iterator[Point],
    n: int,
    row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
) -> ShardWritten:
    """One shard of ``n`` points through ``ShardWriter.add_point`` + ``close()``."""
    run = RunRef("bench", date(2026, 11, 23), point_count=n, points_per_shard=n)
    with ShardWriter(root, run, 0, row_group_size=row_group_size) as shard:
        for i, (params, metrics, t) in enumerate(points):
            shard.add_point(i, params, started_at=t, finished_at=t, metrics=metrics)
    assert shard.written is not None
    return shard.written


#: the writer's canonical JSON for plain data (sorted keys, no spaces, UTF-8 kept), built once
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def via_floor(
    root: Path, points: list[Point], row_group_size: int = DEFAULT_ROW_GROUP_SIZE
) -> list[Path]:
    """The fair floor: the writer's two objects (same schema and metadata, one write_id,
    snappy, row groups of ``row_group_size`` rows through pq.ParquetWriter), built the cheapest
    plain way and with no checks at all: no validation, no credential guard, no spool file and
    hand-over, no run-index read. Returns the two files (params, outcomes)."""
    write_id = uuid.uuid4().hex  # one per shard write, as the writer's
    paths = [root / "effective_params.parquet", root / "outcomes.parquet"]
    params_out = pq.ParquetWriter(paths[0], EFFECTIVE_PARAMS.arrow_schema(), compression="snappy")
    outcomes_out = pq.ParquetWriter(paths[1], OUTCOMES.arrow_schema(), compression="snappy")
    for first in range(0, len(points), row_group_size):
        chunk = points[first : first + row_group_size]
        n = len(chunk)
        texts = [_ENCODE(p) for p, _, _ in chunk]  # canonical JSON of the params
        common = {
            "schema_version": pa.repeat(SCHEMA_VERSION, n),  # constants: no per-row lists
            "shard_id": pa.repeat(0, n),
            "point_index": pa.array(range(first, first + n), pa.int64()),
            "param_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
            "write_id": pa.repeat(write_id, n),
        }
        params = {**common, "param_count": [len(p) for p, _, _ in chunk], "params_json": texts}
        # the metrics map from flat key / value lists and one offset per row
        keys = [k for _, m, _ in chunk for k in m]
        values = [v for _, m, _ in chunk for v in m.values()]
        offsets = pa.array(itertools.accumulate((len(m) for _, m, _ in chunk), initial=0))
        times = [t for _, _, t in chunk]  # started_at = finished_at in this benchmark
        outcomes = {
            **common,
            "status": pa.repeat("succeeded", n),
            "error_message": pa.nulls(n, pa.string()),
            "attempt": pa.repeat(1, n),
            "started_at": times,
            "finished_at": times,
            "duration_ms": [
                (f - s).total_seconds() * 1000.0 for s, f in zip(times, times, strict=True)
            ],
            "metrics": pa.MapArray.from_arrays(offsets, keys, values, type=METRICS_TYPE),
        }
        for out, columns in ((params_out, params), (outcomes_out, outcomes)):
            table = pa.Table.from_pydict(columns, schema=out.schema)
            out.write_table(table, row_group_size=n)
    params_out.close()
    outcomes_out.close()
    return paths


def _timed(run: Callable[[Path], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``run`` in a fresh temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        cpu, wall = time.process_time(), time.perf_counter()
        run(Path(folder))
        return time.process_time() - cpu, time.perf_counter() - wall


def measure_ratio(n: int, repeat: int) -> dict[str, float]:
    """Exporter vs the fair floor, interleaved; median of the per-round ratios."""
    points = make_points(n)

    def exporter(root: Path) -> object:
        return via_exporter(root, points, n)

    def floor(root: Path) -> object:
        return via_floor(root, points)

    _timed(exporter), _timed(floor)  # warm-up, not counted
    ratios_cpu, ratios_wall, exporter_cpu, floor_cpu = [], [], [], []
    for k in range(repeat):
        if k % 2:  # alternate which one goes first
            f_cpu, f_wall = _timed(floor)
            e_cpu, e_wall = _timed(exporter)
        else:
            e_cpu, e_wall = _timed(exporter)
            f_cpu, f_wall = _timed(floor)
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
    f = result["floor_s"]
    print(f"  fair floor (median):     {f:.3f} CPU-s  {n / f:,.0f} points/s")
    print(
        f"  ratio exporter/floor:    {result['ratio_cpu']:.2f}x  (median of per-round ratios;"
        " goal <= 1.2x)"
    )
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
