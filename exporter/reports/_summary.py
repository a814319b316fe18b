"""``ara summary``: what each run did and its best point, read from the dbt marts (local DuckDB).

Reads ``dim_runs`` (status, planned and observed counts, context), ``fct_point_outcomes`` (the
best succeeded point of each run for one metric, and the parameters that vary in the run) and
``fct_run_metric_summary`` (the metric's range). No run in ``dim_runs`` is a failure (exit 1):
a typo in ``warehouse_root`` builds empty marts that pass every dbt test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._console import EXIT_FAILURE, EXIT_OK, HelpFormatter, begin, epilog, number, plural
from ..errors import ConfigError, StorageError

__all__ = [
    "DEFAULT_GOAL",
    "DEFAULT_METRIC",
    "NoRunsFound",
    "add_duckdb_argument",
    "add_summary_command",
    "open_marts",
    "run_summary",
]

ENV_DUCKDB_PATH = "ARA_DUCKDB_PATH"
DEFAULT_DUCKDB_PATH = "./warehouse/analytics.duckdb"
#: The reference sweep's natural target: the mildest epidemic. Any metric name works.
DEFAULT_METRIC = "peak_infected"
DEFAULT_GOAL = "min"
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

_RUNS = """
select run_id, run_status, has_run_context, planned_shard_count, observed_shard_count,
       planned_point_count, observed_point_count, succeeded_point_count, failed_point_count,
       config_fingerprint, code_version
from dim_runs
order by run_date, run_id
"""
# The best succeeded point of each run for metric ? (ties: the lowest point_index).
_BEST = """
select run_id, point_index, value, params_json from (
    select run_id, point_index, metrics[?] as value, params_json,
           row_number() over (
               partition by run_id order by metrics[?] {direction}, point_index
           ) as rank
    from fct_point_outcomes
    where outcome_status = 'succeeded' and metrics[?] is not null
) where rank = 1
"""
# Per run, the parameter names whose value differs between its points: the swept ones.
_VARYING = """
with entries as (
    select run_id, unnest(json_keys(params_json)) as name, params_json
    from fct_point_outcomes where params_json is not null
)
select run_id, name from entries
group by run_id, name
having count(distinct json_extract(params_json, '$."' || name || '"')) > 1
order by run_id, name
"""
_RANGE = """
select run_id, min_value, max_value from fct_run_metric_summary where metric_name = ?
"""


class NoRunsFound(Exception):
    """``dim_runs`` is empty: nothing was exported under the root dbt read."""


@dataclass(frozen=True)
class _Best:
    point_index: int
    value: float
    params: dict[str, Any]


def _status_line(status: str, row: Sequence[Any]) -> str:
    """The run's status and its point counts, stated plainly."""
    (_, _, has_context, plan_shards, obs_shards, plan_points, obs_points, ok, failed) = row[:9]
    if status == "inconsistent":
        return (
            f"inconsistent: {plural(obs_points, 'point')} in {plural(obs_shards, 'shard')} "
            f"exported, {number(plan_points)} points in {number(plan_shards)} shards planned "
            "(a broken export; see models/docs.md)"
        )
    if not has_context:
        return (
            f"{status}: {number(ok)} of {plural(obs_points, 'exported point')} succeeded, "
            f"{number(failed)} failed; the plan is unknown (no run context exported)"
        )
    text = (
        f"{status}: {number(ok)} of {plural(plan_points, 'point')} succeeded, "
        f"{number(failed)} failed"
    )
    missing = plan_points - obs_points
    if missing > 0:
        text += (
            f", {number(missing)} not run ({number(obs_shards)} of "
            f"{plural(plan_shards, 'shard')} arrived)"
        )
    return text


def _params_text(params: dict[str, Any], varying: Sequence[str]) -> str:
    names = [n for n in varying if n in params] or sorted(params)
    shown = []
    for name in names:
        value = params[name]
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        shown.append(f"{name} {number(value) if is_number else json.dumps(value)}")
    return ", ".join(shown)


def open_marts(path: str) -> Any:
    """A read-only connection to the dbt DuckDB file; :class:`StorageError` (exit 1) when it is
    missing, locked by another process or cannot be opened. Shared with ``ara report``."""
    import duckdb  # lazy: only the commands that read the marts need it

    if not Path(path).is_file():
        raise StorageError(
            f"no DuckDB file at {path}: run `dbt build --target local` first "
            f"(it writes {ENV_DUCKDB_PATH}, default {DEFAULT_DUCKDB_PATH})"
        )
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error as exc:
        text = _first_line(exc)
        if "lock" in text.lower():
            raise StorageError(
                f"{path} is locked by another process (a dbt build still running?): "
                f"wait for it to finish, then retry ({text})"
            ) from None
        raise StorageError(f"{path}: cannot open the DuckDB file: {text}") from None
    return con


def _read(path: str, metric: str, goal: str) -> tuple[list[Any], dict[str, _Best], Any, Any]:
    import duckdb  # lazy: only this command needs it

    direction = "asc" if goal == "min" else "desc"
    with open_marts(path) as con:
        try:
            runs = con.execute(_RUNS).fetchall()
            best_rows = con.execute(_BEST.format(direction=direction), [metric] * 3).fetchall()
            varying_rows = con.execute(_VARYING).fetchall()
            ranges = con.execute(_RANGE, [metric]).fetchall()
        except duckdb.CatalogException as exc:
            raise StorageError(
                f"{path} has no dbt marts ({_first_line(exc)}): run "
                "`dbt build --target local` first"
            ) from None
        except duckdb.Error as exc:
            raise StorageError(f"{path}: cannot read the marts: {_first_line(exc)}") from None
    best = {
        run_id: _Best(index, value, json.loads(params) if params else {})
        for run_id, index, value, params in best_rows
    }
    varying: dict[str, list[str]] = {}
    for run_id, name in varying_rows:
        varying.setdefault(run_id, []).append(name)
    return runs, best, varying, {run_id: (low, high) for run_id, low, high in ranges}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_summary(
    duckdb_path: str, *, metric: str = DEFAULT_METRIC, goal: str = DEFAULT_GOAL
) -> list[str]:
    """The summary: a heading, then a block per run of ``dim_runs``.

    Raises :class:`NoRunsFound` when ``dim_runs`` is empty, :class:`StorageError` when the file
    is missing, locked or holds no marts, :class:`ConfigError` for a bad metric name or goal.
    """
    if not _METRIC_NAME.match(metric):
        raise ConfigError("--metric", metric, "must be 1-128 of A-Z a-z 0-9 _ . : -")
    if goal not in ("min", "max"):
        raise ConfigError("--goal", goal, "must be min or max")
    runs, best, varying, ranges = _read(duckdb_path, metric, goal)
    if not runs:
        raise NoRunsFound(
            f"no runs found: dim_runs in {duckdb_path} is empty. dbt read no exported run "
            "under its warehouse root (the var warehouse_root, else env ARA_ROOT, else "
            "./warehouse): check it for a typo; dbt's warnings name the files it looked for"
        )
    word = "lowest" if goal == "min" else "highest"
    lines = [f"{plural(len(runs), 'run')} in {duckdb_path}; best point = {word} {metric}"]
    for row in runs:
        run_id, status = row[0], row[1]
        fingerprint, code_version = row[9], row[10]
        lines += ["", run_id, f"  status              {_status_line(status, row)}"]
        found = best.get(run_id)
        if found is None:
            lines.append(f"  best point          none: no succeeded point has metric {metric}")
        else:
            params = _params_text(found.params, varying.get(run_id, []))
            lines.append(
                f"  best point          {metric} {number(found.value)} at point "
                f"{found.point_index}" + (f" ({params})" if params else "")
            )
            low, high = ranges.get(run_id, (None, None))
            if low is not None:
                lines.append(f"  range               {number(low)} to {number(high)}")
        lines.append(
            f"  config fingerprint  {fingerprint[:12] if fingerprint else 'not set'}"
            f"   code version {code_version or 'not set'}"
        )
    return lines


def _cmd_summary(args: argparse.Namespace) -> int:
    try:
        lines = run_summary(args.duckdb, metric=args.metric, goal=args.goal)
    except NoRunsFound as exc:
        print(f"ara: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    begin(args)
    for line in lines:
        print(line)
    return EXIT_OK


def add_duckdb_argument(p: argparse.ArgumentParser) -> None:
    """``--duckdb``: the marts' DuckDB file, for every command that reads the marts."""
    p.add_argument(
        "--duckdb",
        default=os.environ.get(ENV_DUCKDB_PATH, DEFAULT_DUCKDB_PATH),
        help=f"the dbt DuckDB file (env {ENV_DUCKDB_PATH}; default {DEFAULT_DUCKDB_PATH})",
    )


def add_summary_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "summary",
        help="print what each run did and its best point, from the dbt marts (local DuckDB)",
        description="Read dim_runs, fct_point_outcomes and fct_run_metric_summary from the "
        "DuckDB file that `dbt build --target local` wrote and print, per run: its status with "
        "how many points succeeded and failed, its best point for one metric with the swept "
        "parameters, the metric's range, its config fingerprint and code version. Exits 1 "
        "when the marts hold no run.",
        epilog=epilog(
            ".venv/bin/ara summary",
            ".venv/bin/ara summary --duckdb ./warehouse/analytics.duckdb --metric attack_rate",
            ".venv/bin/ara summary --metric peak_day --goal max",
        ),
        formatter_class=HelpFormatter,
    )
    add_duckdb_argument(p)
    p.add_argument(
        "--metric",
        default=DEFAULT_METRIC,
        help=f"the metric that ranks points (default {DEFAULT_METRIC})",
    )
    p.add_argument(
        "--goal",
        choices=("min", "max"),
        default=DEFAULT_GOAL,
        help=f"best is the lowest (min) or highest (max) value (default {DEFAULT_GOAL})",
    )
    p.set_defaults(handler=_cmd_summary)
