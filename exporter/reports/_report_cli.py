"""``ara report``: the command line of the report (exporter/reports/_report.py draws the
per-run page, _compare_report.py the comparison page of ``--compare``)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from .._console import HelpFormatter, begin, epilog
from ._compare import refuse_the_same_run
from ._compare_report import write_comparison_report
from ._report import DEFAULT_METRIC, DEFAULT_OUT, write_report
from ._summary import DEFAULT_GOAL, add_duckdb_argument

__all__ = ["add_report_command"]


def _axes(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise argparse.ArgumentTypeError(f"expected two parameter names X,Y, got {text!r}")
    return parts[0], parts[1]


def _cmd_report(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    goal = "max" if args.maximize else "min" if args.minimize else args.goal
    if args.compare:
        base, new = args.compare
        refuse_the_same_run(base, new, "--compare")
        path = write_comparison_report(
            args.duckdb, args.out, base, new, metric=args.metric, axes=args.axes
        )
    else:
        path = write_report(
            args.duckdb, args.out, metric=args.metric, maximize=goal == "max", axes=args.axes
        )
    begin(args)
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(f"report written in {seconds:.1f}s: {path}", file=sys.stderr)
    print(path)
    return 0


def add_report_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="draw every run's response surface into a static HTML page (local DuckDB target)",
        description="Read dim_runs and fct_point_outcomes from the DuckDB file that\n"
        "`dbt build --target local` wrote and draw, per run: a heatmap of one metric over\n"
        "the run's two grid parameters (failed points marked), the metric against each\n"
        "swept parameter, and the best point. Writes one PNG per image and index.html\n"
        "(the same images embedded) into --out and prints the page's path (docs/report.md).\n"
        "With --compare BASE NEW: one page comparing two runs instead, points matched by\n"
        "param_hash: both runs' surfaces and the change new - base (compare-BASE--NEW.html).",
        epilog=epilog(
            ".venv/bin/ara report",
            ".venv/bin/ara report --metric attack_rate --goal max",
            ".venv/bin/ara report --metric peak_day --axes beta,gamma --out /tmp/report",
            ".venv/bin/ara report --compare sir-baseline-20261128 sir-baseline-substeps-20261128",
        ),
        formatter_class=HelpFormatter,
    )
    add_duckdb_argument(p)
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument(
        "--metric", default=DEFAULT_METRIC, help=f"metric to draw (default {DEFAULT_METRIC})"
    )
    goal = p.add_mutually_exclusive_group()
    goal.add_argument(
        "--goal",
        choices=("min", "max"),
        default=DEFAULT_GOAL,
        help=f"best is the lowest (min) or highest (max) value, as in ara summary "
        f"(default {DEFAULT_GOAL})",
    )
    goal.add_argument("--maximize", action="store_true", help="the same as --goal max")
    goal.add_argument("--minimize", action="store_true", help="the same as --goal min")
    p.add_argument(
        "--axes",
        type=_axes,
        default=None,
        metavar="X,Y",
        help="the surface's two parameters (default: the two grid axes with the most values)",
    )
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("BASE", "NEW"),
        default=None,
        help="draw the change of --metric from run BASE to run NEW (points matched by "
        "param_hash) next to both runs' surfaces, on its own page; exits 1 when a run is "
        "not in the marts, 2 when BASE and NEW are the same run",
    )
    p.set_defaults(handler=_cmd_report)
