"""``ara summary``: a short per-run summary read from the dbt marts on the local DuckDB target."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["add_summary_command", "run_summary"]

ENV_DUCKDB_PATH = "ARA_DUCKDB_PATH"
DEFAULT_DUCKDB_PATH = "./warehouse/analytics.duckdb"

_RUNS = """
select run_id, run_status, observed_shard_count, planned_shard_count,
       observed_point_count, planned_point_count, failed_point_count
from dim_runs
order by run_date, run_id
"""
_METRICS = """
select run_id, metric_name, mean_value
from fct_run_metric_summary
order by run_id, metric_name
"""


def _fraction(observed: Any, planned: Any) -> str:
    return f"{observed}/{'?' if planned is None else planned}"


def run_summary(duckdb_path: str) -> list[str]:
    """The summary lines: one header, then one line per run of ``dim_runs``."""
    path = Path(duckdb_path)
    if not path.is_file():
        raise ConfigError(
            "--duckdb", duckdb_path, "no such file; run `dbt build --target local` first"
        )
    import duckdb  # lazy: only this command needs it

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            runs = con.sql(_RUNS).fetchall()
            metrics = con.sql(_METRICS).fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            "--duckdb", duckdb_path, f"cannot read the marts ({first}); run `dbt build` first"
        ) from None
    means: dict[str, list[str]] = {}
    for run_id, name, mean in metrics:
        means.setdefault(run_id, []).append(f"{name} {mean:.4g}")
    width = max([len("run"), *(len(r[0]) for r in runs)])
    header = f"{'run':<{width}}  {'status':<12}  {'shards':>7}  {'points':>7}  {'failed':>6}"
    lines = [f"{header}  metric means"]
    for run_id, status, obs_s, plan_s, obs_p, plan_p, failed in runs:
        lines.append(
            f"{run_id:<{width}}  {status:<12}  {_fraction(obs_s, plan_s):>7}  "
            f"{_fraction(obs_p, plan_p):>7}  {failed:>6}  {', '.join(means.get(run_id, [])) or '-'}"
        )
    return lines


def _cmd_summary(args: argparse.Namespace) -> int:
    for line in run_summary(args.duckdb):
        print(line)
    return 0


def add_summary_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "summary",
        help="print a per-run summary from the dbt marts (local DuckDB target)",
        description="Read dim_runs and fct_run_metric_summary from the DuckDB file that "
        "`dbt build --target local` wrote and print one line per run: status, observed/planned "
        "shards and points, failed points, metric means.",
    )
    p.add_argument(
        "--duckdb",
        default=os.environ.get(ENV_DUCKDB_PATH, DEFAULT_DUCKDB_PATH),
        help=f"the dbt DuckDB file (env {ENV_DUCKDB_PATH}; default {DEFAULT_DUCKDB_PATH})",
    )
    p.set_defaults(handler=_cmd_summary)
