"""dbt on the local target: does the cost follow the new work, not the store?

Prints, from one run of this script (record the figures in docs/benchmarks.md, section "dbt"):

1. the incremental ``dbt build`` after one new run arrives, with 10 and with 300 runs already in
   the store (each run 1,000 points in 10 shards), and their ratio (goal <= 1.5x);
2. a one-run query at both store sizes: on the mart and on the staging table (what dbt reads),
   and on the raw Parquet through a read_parquet glob with union_by_name over the whole store
   (how the source read every run before the incremental staging);
3. 1M points end to end: export (ShardWriter, 1,000 points per shard, in ``--workers`` processes
   as a sweep's workers run, default 2) plus the first ``dbt build`` (goal < 60 s).

The store is generated quickly: one run is exported with the exporter's own ShardWriter (valid
contract data) and its objects are copied under new run ids (the partition columns come from the
path, so a copy is a valid run). Old runs sit 10 per run_date on days before the lookback window
(var lookback_days, default 3); the new run is today's, so both stores have the same window and
only the store around it differs. Times are wall seconds; CPU is the dbt subprocesses' user+sys.

    .venv/bin/python benchmarks/bench_dbt.py [--repeat 3] [--sizes 10,300] [--skip-1m] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from exporter import RunContext, RunRef, ShardWriter, export_run_context
from exporter._contract import partition_path

REPO = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).with_name("dbt"))
POINTS_PER_RUN = 1_000
SHARDS_PER_RUN = 10
DATASETS = ("run_context", "effective_params", "outcomes")
TODAY = datetime.now(UTC).date()


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def _params(i: int) -> dict[str, Any]:
    return {
        "beta": 0.1 + (i % 97) / 100,
        "gamma": 0.05 + (i % 13) / 100,
        "population": 10_000 + i % 7,
        "model": "sir",
        "dt": 0.25,
    }


def write_shards(root: str, event: dict[str, Any], shards: list[int], accepted: datetime) -> int:
    """A worker: write these shards of the run with ShardWriter; returns the points written."""
    run = RunRef.from_dict(event)
    written = 0
    for shard in shards:
        with ShardWriter(root, run, shard) as writer:
            for i in run.shard_points(shard):
                t = accepted + timedelta(milliseconds=i)
                if i % 101 == 100:
                    writer.add_point(i, _params(i), started_at=t, finished_at=t, error="unstable")
                else:
                    metrics = {
                        "peak_infected": i * 1.5,
                        "peak_day": i % 160 * 0.25,
                        "attack_rate": 0.5,
                    }
                    writer.add_point(i, _params(i), started_at=t, finished_at=t, metrics=metrics)
                written += 1
    return written


def export_run(
    root: Path, run_id: str, run_date: date, points: int, points_per_shard: int, workers: int = 1
) -> float:
    """One run with the real exporter (run context, then every shard, in ``workers``
    processes as a sweep's workers would); returns seconds."""
    start = time.perf_counter()
    accepted = datetime.combine(run_date, datetime.min.time(), UTC) + timedelta(hours=9)
    context = RunContext(
        run_id=run_id,
        accepted_at=accepted,
        request_source="bench",
        code_version="bench",
        points_per_shard=points_per_shard,
        point_count=points,
        sweep_config={"grid": {"beta": "bench"}, "points": points},
    )
    event = export_run_context(str(root), context).run.to_dict()
    shards = list(range(context.shard_count))
    if workers <= 1:
        write_shards(str(root), event, shards, accepted)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = [shards[k::workers] for k in range(workers)]
            done = sum(
                pool.map(
                    write_shards,
                    [str(root)] * workers,
                    [event] * workers,
                    parts,
                    [accepted] * workers,
                )
            )
        assert done == points, (done, points)
    return time.perf_counter() - start


def copy_run(root: Path, template: tuple[str, date], run_id: str, run_date: date) -> None:
    """The template run's objects under a new run id and run_date (a valid run: the partition
    columns come from the path)."""
    name, day = template
    for dataset in DATASETS:
        source = root / partition_path(dataset, day, name)
        target = root / partition_path(dataset, run_date, run_id)
        target.mkdir(parents=True, exist_ok=True)
        for path in source.iterdir():
            shutil.copyfile(path, target / path.name)


def old_run_date(n: int) -> date:
    """Old runs: 10 per day, on days before the default lookback window (3 days)."""
    return TODAY - timedelta(days=5 + n // 10)


class Dbt:
    def __init__(self, workdir: Path, root: Path) -> None:
        self.workdir = workdir
        self.root = root
        (workdir / "profiles").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "profiles.example.yml", workdir / "profiles" / "profiles.yml")
        self.duckdb = workdir / "analytics.duckdb"

    def build(self, *args: str) -> tuple[float, float]:
        """``dbt build`` on the local target: (wall seconds, CPU seconds of the subprocess)."""
        env = {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "ARA_DUCKDB_PATH": str(self.duckdb),
        }
        cmd = [
            DBT,
            "build",
            "--target",
            "local",
            *args,
            "--project-dir",
            str(REPO),
            "--profiles-dir",
            str(self.workdir / "profiles"),
            "--target-path",
            str(self.workdir / "target"),
            "--log-path",
            str(self.workdir / "logs"),
            "--vars",
            json.dumps({"warehouse_root": str(self.root)}),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-4000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu


def query_ms(database: Path | None, sql: str, repeat: int) -> float:
    import duckdb

    times = []
    for _ in range(repeat):
        with duckdb.connect(
            str(database) if database else ":memory:", read_only=bool(database)
        ) as con:
            start = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def store_size(base: Path, runs: int, repeat: int) -> dict[str, Any]:
    root = base / f"store-{runs}" / "raw"
    template = ("template-run", old_run_date(0))
    export_run(root, template[0], template[1], POINTS_PER_RUN, POINTS_PER_RUN // SHARDS_PER_RUN)
    for n in range(1, runs):
        copy_run(root, template, f"old-run-{n:04d}", old_run_date(n))
    dbt = Dbt(base / f"store-{runs}" / "dbt", root)
    _progress(f"{runs} runs: first build (--full-refresh)")
    full_wall, _ = dbt.build("--full-refresh")
    copy_run(root, template, "new-run", TODAY)
    walls, cpus = [], []
    for k in range(repeat):
        _progress(f"{runs} runs: incremental build after one new run ({k + 1}/{repeat})")
        wall, cpu = dbt.build()
        walls.append(wall)
        cpus.append(cpu)
    one_run = "old-run-0001" if runs > 1 else "template-run"
    glob = f"{root}/outcomes/*/*/*.parquet"
    raw = (
        f"select count(*), avg(duration_ms) from read_parquet('{glob}', hive_partitioning = true, "
        "hive_types_autocast = false, hive_types = {'run_date': 'date', 'run_id': 'varchar'}, "
        f"union_by_name = true) where run_id = '{one_run}'"
    )
    return {
        "runs": runs,
        "full_wall": full_wall,
        "inc_wall": statistics.median(walls),
        "inc_cpu": statistics.median(cpus),
        "mart_ms": query_ms(
            dbt.duckdb,
            "select count(*), avg(metric_peak_infected) from fct_point_outcomes "
            f"where run_id = '{one_run}'",
            max(repeat, 5),
        ),
        "stg_ms": query_ms(
            dbt.duckdb,
            "select count(*), avg(duration_ms) from stg_sweep__outcomes "
            f"where run_id = '{one_run}'",
            max(repeat, 5),
        ),
        "raw_ms": query_ms(None, raw, max(repeat, 3)),
    }


def one_million(base: Path, workers: int) -> tuple[float, float]:
    root = base / "one-million" / "raw"
    _progress(f"1M points: export (1,000 shards of 1,000 points, {workers} worker processes)")
    export = export_run(root, "million-run", TODAY, 1_000_000, 1_000, workers)
    _progress("1M points: dbt build")
    build, _ = Dbt(base / "one-million" / "dbt", root).build()
    return export, build


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="incremental builds per store size")
    parser.add_argument("--sizes", default="10,300", help="store sizes in runs (default 10,300)")
    parser.add_argument("--skip-1m", action="store_true", help="leave out the 1M-point run")
    parser.add_argument(
        "--workers", type=int, default=2, help="exporter processes for the 1M run (default 2)"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if len(sizes) < 2 or min(sizes) < 1:
        parser.error("--sizes needs two or more store sizes >= 1")
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        base = Path(tmp)
        results = [store_size(base, runs, args.repeat) for runs in sizes]
        million = None if args.skip_1m else one_million(base, args.workers)
    small, large = results[0], results[-1]
    per_run = f"{POINTS_PER_RUN:,} points in {SHARDS_PER_RUN} shards per run"
    print(f"dbt local target (dbt-duckdb), {per_run}")
    print(f"incremental build after one new run, median of {args.repeat}:")
    for r in results:
        print(
            f"  {r['runs']:>4} runs in the store: {r['inc_wall']:6.2f}s wall"
            f"  {r['inc_cpu']:6.2f}s CPU"
            f"   (first build --full-refresh {r['full_wall']:6.2f}s)"
        )
    wall_ratio = large["inc_wall"] / small["inc_wall"]
    cpu_ratio = large["inc_cpu"] / small["inc_cpu"]
    print(
        f"  ratio {large['runs']} vs {small['runs']} runs: {wall_ratio:.2f}x wall"
        f"  {cpu_ratio:.2f}x CPU   (goal <= 1.5x)"
    )
    print("one-run query, median ms:")
    for r in results:
        print(
            f"  {r['runs']:>4} runs: mart {r['mart_ms']:7.2f} ms   staging {r['stg_ms']:7.2f} ms"
            f"   raw glob + union_by_name {r['raw_ms']:8.2f} ms"
        )
    if million:
        export, build = million
        print(
            f"1M points end to end ({args.workers} exporter processes):"
            f" export {export:.1f}s + dbt build {build:.1f}s"
            f" = {export + build:.1f}s   (goal < 60 s)"
        )


if __name__ == "__main__":
    main()
