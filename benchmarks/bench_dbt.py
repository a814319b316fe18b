"""dbt on the local target: does the cost follow the new work, not the store?

Prints, from one run of this script (record the figures in docs/benchmarks.md, section "dbt"):

1. the incremental ``dbt build`` after one new run arrives, with 25 and with 1,000 runs already
   in the store, in interleaved rounds: wall and CPU seconds (CPU of the dbt subprocess, user +
   sys, from ``getrusage(RUSAGE_CHILDREN)``), the CPU ratio (goal <= 1.2x) and the slowest
   nodes of each size (from dbt's run_results.json);
2. a one-run query at both store sizes, on the mart and on the staging table, and the ratio
   (goal <= 1.2x); and once, for comparison, on the raw Parquet through one read_parquet glob
   with union_by_name over the whole store (how the source was read before staging was
   incremental);
3. 1M points end to end: export (ShardWriter, 1,000 points per shard, in ``--workers`` processes
   as a sweep's workers run, default 2) plus the first ``dbt build`` (goal < 60 s).

The stores are realistic: every run is a sweep of its own, exported with the exporter's
ShardWriter — its own beta and gamma ranges, population, seeds, metrics that follow its
parameters, and a few failed points — so no two runs share a ``params_json``
(tests/test_benchmarks.py checks it). Runs are dated at a steady ``RUNS_PER_DAY`` (5) up to
today, so the build's window (``run_window_as_of`` = today, passed explicitly; lookback 3 days)
holds the same 20 runs at both store sizes, and only the store around it differs. The new run
is today's.

    .venv/bin/python benchmarks/bench_dbt.py [--repeat 3] [--sizes 25,1000] [--skip-1m]
        [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
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

REPO = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).with_name("dbt"))
POINTS_PER_RUN = 1_000
SHARDS_PER_RUN = 10
RUNS_PER_DAY = 5
LOOKBACK_DAYS = 3  # the project's default (dbt_project.yml var lookback_days)
TODAY = datetime.now(UTC).date()


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


# -- the sweeps -------------------------------------------------------------------------------


def sweep_spec(k: int) -> dict[str, Any]:
    """Sweep ``k``'s grid: its own beta / gamma ranges, population, seeds and step."""
    rng = random.Random(k)
    return {
        "beta_low": round(rng.uniform(0.1, 0.6), 4),
        "beta_step": round(rng.uniform(0.001, 0.02), 5),
        "gamma_low": round(rng.uniform(0.03, 0.2), 4),
        "gamma_step": round(rng.uniform(0.001, 0.01), 5),
        "population": rng.choice([5_000, 10_000, 50_000, 100_000, 1_000_000]) + k,
        "initial_infected": rng.choice([1, 5, 10, 50]),
        "dt": rng.choice([0.1, 0.25, 0.5]),
        "seed": 1_000_003 * (k + 1),
        "model": rng.choice(["sir-euler", "sir-rk4", "seir-euler"]),
    }


def point_params(spec: dict[str, Any], i: int) -> dict[str, Any]:
    """Point ``i`` of a sweep: a 25 x 40 beta-gamma grid, one seed per point."""
    return {
        "beta": round(spec["beta_low"] + (i % 25) * spec["beta_step"], 6),
        "gamma": round(spec["gamma_low"] + (i // 25 % 40) * spec["gamma_step"], 6),
        "population": spec["population"],
        "initial_infected": spec["initial_infected"],
        "dt": spec["dt"],
        "seed": spec["seed"] + i,
        "model": spec["model"],
    }


def point_metrics(params: dict[str, Any]) -> dict[str, float]:
    """Metrics that follow the point's parameters (the SIR final-size relation, roughly)."""
    r0 = params["beta"] / params["gamma"]
    noise = random.Random(params["seed"]).uniform(0.97, 1.03)
    attack = 0.0 if r0 <= 1 else min(0.999, (1 - math.exp(-r0)) * noise)
    population = params["population"]
    return {
        "peak_infected": population * attack * 0.3,
        "peak_day": min(365.0, 40.0 / max(r0 - 1, 0.05)) * noise,
        "attack_rate": attack,
        "final_susceptible": population * (1 - attack),
    }


def write_shards(
    root: str, event: dict[str, Any], spec: dict[str, Any], shards: list[int], accepted: datetime
) -> int:
    """A worker: write these shards of the run with ShardWriter; returns the points written."""
    run = RunRef.from_dict(event)
    written = 0
    for shard in shards:
        with ShardWriter(root, run, shard) as writer:
            for i in run.shard_points(shard):
                params = point_params(spec, i)
                t = accepted + timedelta(seconds=i)
                done = t + timedelta(milliseconds=50 + i % 700)
                if i % 101 == 100:
                    writer.add_point(i, params, started_at=t, finished_at=done, error="unstable")
                else:
                    metrics = point_metrics(params)
                    writer.add_point(i, params, started_at=t, finished_at=done, metrics=metrics)
                written += 1
    return written


def accept_run(
    root: str, run_id: str, run_date: date, k: int, points: int, points_per_shard: int
) -> tuple[dict[str, Any], dict[str, Any], datetime, int]:
    """The orchestrator: accept run ``run_id`` (sweep ``k``); (event, spec, accepted, shards)."""
    spec = sweep_spec(k)
    accepted = datetime.combine(run_date, datetime.min.time(), UTC) + timedelta(
        hours=8, minutes=k % 600
    )
    context = RunContext(
        run_id=run_id,
        accepted_at=accepted,
        request_source="bench",
        code_version="bench",
        points_per_shard=points_per_shard,
        point_count=points,
        sweep_config={"grid": {"beta": "25 steps", "gamma": "40 steps"}, **spec},
    )
    event = export_run_context(root, context).run.to_dict()
    return event, spec, accepted, context.shard_count


def export_one_run(args: tuple[str, str, date, int, int, int]) -> int:
    """Accept and write one whole run (one process); returns its points."""
    root, run_id, run_date, k, points, points_per_shard = args
    event, spec, accepted, shards = accept_run(root, run_id, run_date, k, points, points_per_shard)
    return write_shards(root, event, spec, list(range(shards)), accepted)


def run_plan(runs: int, today: date = TODAY) -> list[tuple[str, date, int]]:
    """The store's runs: (run id, run_date, sweep number), RUNS_PER_DAY a day up to ``today``."""
    return [
        (f"sweep-{k:05d}", today - timedelta(days=(runs - 1 - k) // RUNS_PER_DAY), k)
        for k in range(runs)
    ]


def build_store(
    root: Path, runs: int, workers: int, points: int = POINTS_PER_RUN, today: date = TODAY
) -> list[tuple[str, date, int]]:
    """``runs`` distinct sweeps into ``root``, ``workers`` processes; returns the plan."""
    plan = run_plan(runs, today)
    jobs = [
        (str(root), run_id, day, k, points, points // SHARDS_PER_RUN) for run_id, day, k in plan
    ]
    if workers <= 1:
        done = sum(map(export_one_run, jobs))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = sum(pool.map(export_one_run, jobs, chunksize=8))
    assert done == runs * points, (done, runs * points)
    return plan


def export_run(
    root: Path, run_id: str, run_date: date, points: int, points_per_shard: int, workers: int
) -> float:
    """One run's shards written by ``workers`` processes (as a sweep's workers); seconds."""
    start = time.perf_counter()
    event, spec, accepted, shards = accept_run(
        str(root), run_id, run_date, 0, points, points_per_shard
    )
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = [list(range(shards))[w::workers] for w in range(workers)]
        done = sum(
            pool.map(
                write_shards,
                [str(root)] * workers,
                [event] * workers,
                [spec] * workers,
                parts,
                [accepted] * workers,
            )
        )
    assert done == points, (done, points)
    return time.perf_counter() - start


# -- dbt ----------------------------------------------------------------------------------------


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
        variables = {"warehouse_root": str(self.root), "run_window_as_of": TODAY.isoformat()}
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
            json.dumps(variables),
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

    def slowest(self, count: int = 6) -> list[tuple[str, float]]:
        """The last build's slowest nodes (name, seconds), from run_results.json."""
        data = json.loads((self.workdir / "target" / "run_results.json").read_text())
        timed = [(_node_name(r["unique_id"]), r["execution_time"]) for r in data["results"]]
        return sorted(timed, key=lambda item: -item[1])[:count]


def _node_name(unique_id: str) -> str:
    """A model's or test's name (a generic test's without its hash suffix), shortened."""
    parts = unique_id.split(".")
    name = parts[-1] if parts[0] == "unit_test" else parts[2]
    return name if len(name) <= 40 else name[:39] + "…"


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


def prepare_store(base: Path, runs: int, workers: int) -> dict[str, Any]:
    """Export the store, build it (--full-refresh), then add the new run (today's)."""
    root = base / f"store-{runs}" / "raw"
    _progress(f"{runs} runs: export ({runs * POINTS_PER_RUN:,} points, {workers} processes)")
    start = time.perf_counter()
    plan = build_store(root, runs, workers)
    export_s = time.perf_counter() - start
    dbt = Dbt(base / f"store-{runs}" / "dbt", root)
    _progress(f"{runs} runs: first build (--full-refresh)")
    full_wall, _ = dbt.build("--full-refresh")
    export_one_run((str(root), "new-run", TODAY, runs, POINTS_PER_RUN, 100))
    since = TODAY - timedelta(days=LOOKBACK_DAYS)
    return {
        "runs": runs,
        "dbt": dbt,
        "root": root,
        "export_s": export_s,
        "full_wall": full_wall,
        "in_window": sum(1 for _, day, _ in plan if day >= since) + 1,  # + the new run
        "walls": [],
        "cpus": [],
    }


ONE_RUN = "sweep-00001"  # outside the window at both sizes
MART_QUERY = (
    f"select count(*), avg(metric_peak_infected) from fct_point_outcomes where run_id = '{ONE_RUN}'"
)
STAGING_QUERY = (
    f"select count(*), avg(duration_ms) from stg_sweep__outcomes where run_id = '{ONE_RUN}'"
)


def one_run_queries(stores: list[dict[str, Any]], repeat: int) -> None:
    """The one-run query on the mart and on the staging table, each a fresh read-only
    connection, in interleaved rounds over the store sizes (median ms); the raw glob once."""
    times: dict[tuple[int, str], list[float]] = {}
    for k in range(repeat):
        for s in stores if k % 2 == 0 else stores[::-1]:
            for name, sql in (("mart_ms", MART_QUERY), ("stg_ms", STAGING_QUERY)):
                times.setdefault((s["runs"], name), []).append(query_ms(s["dbt"].duckdb, sql, 1))
    for s in stores:
        for name in ("mart_ms", "stg_ms"):
            s[name] = statistics.median(times[(s["runs"], name)])
        glob = f"{s['root']}/outcomes/*/*/*.parquet"
        s["raw_ms"] = query_ms(
            None,
            f"select count(*), avg(duration_ms) from read_parquet('{glob}', hive_partitioning = "
            "true, hive_types_autocast = false, hive_types = {'run_date': 'date', 'run_id': "
            f"'varchar'}}, union_by_name = true) where run_id = '{ONE_RUN}'",
            1,
        )


def one_million(base: Path, workers: int) -> tuple[float, float]:
    root = base / "one-million" / "raw"
    _progress(f"1M points: export (1,000 shards of 1,000 points, {workers} worker processes)")
    export = export_run(root, "million-run", TODAY, 1_000_000, 1_000, workers)
    _progress("1M points: dbt build")
    build, _ = Dbt(base / "one-million" / "dbt", root).build()
    return export, build


def report(stores: list[dict[str, Any]], repeat: int, ratios: list[float]) -> None:
    small, large = stores[0], stores[-1]
    print(
        f"dbt local target (dbt-duckdb), {POINTS_PER_RUN:,} points in {SHARDS_PER_RUN} shards "
        f"per run, every run its own sweep (distinct params), {RUNS_PER_DAY} runs a day up to "
        f"{TODAY}; window: run_window_as_of {TODAY}, lookback {LOOKBACK_DAYS} days"
    )
    print(f"incremental build after one new run, median of {repeat} interleaved rounds:")
    for s in stores:
        print(
            f"  {s['runs']:>5} runs in the store ({s['in_window']} in the window):"
            f" {statistics.median(s['walls']):6.2f}s wall {statistics.median(s['cpus']):6.2f}s"
            f" CPU   (export {s['export_s']:.1f}s, first build --full-refresh"
            f" {s['full_wall']:.1f}s)"
        )
    wall_ratio = statistics.median(large["walls"]) / statistics.median(small["walls"])
    print(
        f"  ratio {large['runs']} vs {small['runs']} runs: {statistics.median(ratios):.2f}x CPU"
        f" (median of per-round ratios: {', '.join(f'{r:.2f}' for r in ratios)})"
        f"  {wall_ratio:.2f}x wall   (goal <= 1.2x CPU)"
    )
    for s in stores:
        nodes = ", ".join(f"{name} {sec:.2f}s" for name, sec in s["slowest"])
        print(f"  slowest nodes at {s['runs']} runs (last round): {nodes}")
    print("one-run query (a run outside the window), median ms of 21 interleaved rounds:")
    for s in stores:
        print(
            f"  {s['runs']:>5} runs: mart {s['mart_ms']:7.2f} ms   staging {s['stg_ms']:7.2f} ms"
            f"   raw glob + union_by_name {s['raw_ms']:9.2f} ms (once)"
        )
    print(
        f"  ratio {large['runs']} vs {small['runs']} runs: mart"
        f" {large['mart_ms'] / small['mart_ms']:.2f}x   staging"
        f" {large['stg_ms'] / small['stg_ms']:.2f}x   (goal <= 1.2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="incremental builds per store size")
    parser.add_argument(
        "--sizes", default="25,1000", help="two store sizes in runs (default 25,1000)"
    )
    parser.add_argument("--skip-1m", action="store_true", help="leave out the 1M-point run")
    parser.add_argument("--workers", type=int, default=2, help="exporter processes (default 2)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be two comma-separated integers, got {args.sizes!r}")
    window = (LOOKBACK_DAYS + 1) * RUNS_PER_DAY
    if len(sizes) != 2 or min(sizes) < window:
        parser.error(f"--sizes needs two store sizes >= {window} (the runs of a full window)")
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        base = Path(tmp)
        stores = [prepare_store(base, runs, args.workers) for runs in sizes]
        ratios = []
        for k in range(args.repeat):
            order = stores if k % 2 == 0 else stores[::-1]  # alternate which size goes first
            for s in order:
                _progress(f"{s['runs']} runs: incremental build ({k + 1}/{args.repeat})")
                wall, cpu = s["dbt"].build()
                s["walls"].append(wall)
                s["cpus"].append(cpu)
                s["slowest"] = s["dbt"].slowest()
            ratios.append(stores[1]["cpus"][-1] / stores[0]["cpus"][-1])
        one_run_queries(stores, 21)
        million = None if args.skip_1m else one_million(base, args.workers)
    report(stores, args.repeat, ratios)
    if million:
        export, build = million
        print(
            f"1M points end to end ({args.workers} exporter processes):"
            f" export {export:.1f}s + dbt build {build:.1f}s"
            f" = {export + build:.1f}s   (goal < 60 s)"
        )


if __name__ == "__main__":
    main()
