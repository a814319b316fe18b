"""``ara compare BASE NEW``: what changed between two runs, point by point (local DuckDB marts).

Points are matched by ``param_hash`` (the effective parameters), never by grid position: the
k-th point of BASE with some parameters matches the k-th point of NEW with the same ones, as in
the ``fct_point_comparisons`` mart (docs/compare.md). This command compares *any* two runs from
``fct_point_outcomes`` and ``dim_runs``; the mart holds the same rows for the pairs it carries.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._console import EXIT_OK, HelpFormatter, begin, echoed, epilog, number, plural
from ..errors import ConfigError, InvalidFieldError, StorageError
from ._summary import _METRIC_NAME, _first_line, _params_text, add_duckdb_argument, open_marts

__all__ = [
    "Comparison",
    "MetricChange",
    "RunNotFound",
    "add_compare_command",
    "compare_runs",
    "comparison_lines",
    "read_matched_points",
    "refuse_the_same_run",
]

_RUN = """
select run_id, run_status, config_fingerprint, code_version from dim_runs where run_id = ?
"""
# One row per matched or unmatched point of the two runs (the mart's definition).
_MATCHED = """
with points as (
    select run_id, point_index, param_hash, outcome_status, metrics, params_json,
           row_number() over (partition by run_id, param_hash order by point_index) as occurrence
    from fct_point_outcomes
    where run_id in ($base, $new) and param_hash is not null
),
base as (select * from points where run_id = $base),
new as (select * from points where run_id = $new)
select base.point_index, new.point_index, base.outcome_status, new.outcome_status,
       coalesce(new.params_json, base.params_json), base.metrics, new.metrics
from base full outer join new
    on base.param_hash = new.param_hash and base.occurrence = new.occurrence
order by coalesce(base.point_index, new.point_index), new.point_index
"""
TOP = 5


class RunNotFound(StorageError):
    """A run named on the command line is not in ``dim_runs`` (exit 1; its message is
    redacted like every error of the exporter)."""


@dataclass(frozen=True)
class MatchedPoint:
    """One point of either run; ``base_index`` / ``new_index`` is None where a run lacks it."""

    base_index: int | None
    new_index: int | None
    base_status: str | None
    new_status: str | None
    params: Mapping[str, Any]
    base_metrics: Mapping[str, float]
    new_metrics: Mapping[str, float]


@dataclass(frozen=True)
class MetricChange:
    """One metric of one point succeeded in both runs, whose value changed beyond the tolerance
    (a value missing in one run counts as changed)."""

    metric: str
    base_index: int
    new_index: int
    params: Mapping[str, Any]
    base: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        return None if self.base is None or self.new is None else self.new - self.base

    @property
    def relative(self) -> float | None:
        if self.base is None or self.new is None or self.base == 0:
            return None
        return (self.new - self.base) / abs(self.base)


@dataclass(frozen=True)
class Comparison:
    base_run_id: str
    new_run_id: str
    base_status: str
    new_status: str
    base_fingerprint: str | None
    new_fingerprint: str | None
    base_code_version: str | None
    new_code_version: str | None
    metric: str | None
    rtol: float
    matched: int
    only_in_base: int
    only_in_new: int
    failed_to_succeeded: int
    succeeded_to_failed: int
    succeeded_in_both: int
    #: points succeeded in both runs with at least one metric changed beyond the tolerance
    changed_points: int
    #: metric name -> points whose value of it changed (every compared metric, 0 included)
    changed_by_metric: dict[str, int] = field(default_factory=dict)
    #: the largest changes by absolute change: ``top`` of the metric, else one per metric
    largest: tuple[MetricChange, ...] = ()
    swept: tuple[str, ...] = ()
    #: the points by point index (the base run's; a point only the new run has, its own)
    points: tuple[MatchedPoint, ...] = ()


def _metrics(value: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in dict(value or {}).items() if v is not None}


def _run(con: Any, run_id: str, path: str) -> tuple[Any, ...]:
    row = con.execute(_RUN, [run_id]).fetchone()
    if row is None:
        known = [r[0] for r in con.execute("select run_id from dim_runs order by 1").fetchall()]
        listed = ", ".join(echoed(k) for k in known[:10]) + (
            f" and {len(known) - 10} more" if len(known) > 10 else ""
        )
        raise RunNotFound(  # the run id as typed, escaped and cut: it may be anything
            f"run {echoed(run_id)} is not in dim_runs of {echoed(path, limit=None)} "
            f"({'runs: ' + listed if known else 'no runs at all'}): check the run id, or build "
            "the marts after its export (`dbt build --target local`)"
        )
    return tuple(row)


def refuse_the_same_run(base: str, new: str, field: str) -> None:
    """A usage error (:class:`InvalidFieldError` naming ``field``) when ``base`` and ``new``
    name the same run: a run compared with itself says nothing."""
    if base == new:
        raise InvalidFieldError(
            field, new, "BASE and NEW are the same run: name two different runs to compare"
        )


def read_matched_points(
    duckdb_path: str, base: str, new: str
) -> tuple[tuple[Any, ...], tuple[Any, ...], list[MatchedPoint]]:
    """Both runs' ``dim_runs`` rows and their points matched by ``param_hash``.

    Raises :class:`RunNotFound` when a run is not in ``dim_runs``, :class:`StorageError` when
    the file is missing, locked or holds no marts. Shared with ``ara report --compare``.
    """
    import duckdb  # lazy: only the commands that read the marts need it

    with open_marts(duckdb_path) as con:
        try:
            base_run = _run(con, base, duckdb_path)
            new_run = _run(con, new, duckdb_path)
            rows = con.execute(_MATCHED, {"base": base, "new": new}).fetchall()
        except duckdb.CatalogException as exc:
            raise StorageError(
                f"{duckdb_path} has no dbt marts ({_first_line(exc)}): run "
                "`dbt build --target local` first"
            ) from None
        except duckdb.Error as exc:
            raise StorageError(
                f"{duckdb_path}: cannot read the marts: {_first_line(exc)}"
            ) from None
    points = []
    for base_index, new_index, base_status, new_status, params, old, now in rows:
        points.append(
            MatchedPoint(
                base_index=base_index,
                new_index=new_index,
                base_status=base_status,
                new_status=new_status,
                params=json.loads(params) if params else {},
                base_metrics=_metrics(old),
                new_metrics=_metrics(now),
            )
        )
    return base_run, new_run, points


def _changed(base: float | None, new: float | None, rtol: float) -> bool:
    if base is None or new is None:
        return base is not new
    if math.isnan(base) or math.isnan(new):
        return math.isnan(base) != math.isnan(new)
    return abs(new - base) > rtol * abs(base) if rtol > 0 else new != base


def _rank(change: MetricChange) -> tuple[float, int]:
    """Largest first: by the absolute change (in the metric's own unit; a value only one run
    has first), then by point."""
    size = math.inf if change.change is None else abs(change.change)
    return (-size, change.base_index)


def _largest(changes: Sequence[MetricChange], metric: str | None, top: int) -> list[MetricChange]:
    """The ``top`` largest changes of ``metric``; without one, the largest change of each
    metric (metrics have different units: their changes are not ranked against each other)."""
    if metric is not None:
        return sorted(changes, key=_rank)[:top]
    by_metric: dict[str, list[MetricChange]] = {}
    for change in changes:
        by_metric.setdefault(change.metric, []).append(change)
    return [min(found, key=_rank) for _, found in sorted(by_metric.items())]


def _swept(points: Sequence[MatchedPoint]) -> tuple[str, ...]:
    values: dict[str, set[str]] = {}
    for point in points:
        for name, value in point.params.items():
            values.setdefault(name, set()).add(repr(value))
    return tuple(sorted(n for n, v in values.items() if len(v) > 1))


def compare_runs(
    duckdb_path: str,
    base: str,
    new: str,
    *,
    metric: str | None = None,
    rtol: float = 0.0,
    top: int = TOP,
) -> Comparison:
    """Compare run ``new`` with run ``base`` (every metric, or only ``metric``).

    A metric of a point that succeeded in both runs changed when ``|new - base| > rtol *
    |base|`` (``rtol`` 0: any difference), or when only one run has it. Raises
    :class:`ConfigError` for a bad metric name or tolerance, :class:`InvalidFieldError` for a
    metric neither run has, :class:`RunNotFound` and :class:`StorageError` as
    :func:`read_matched_points`.
    """
    if metric is not None and not _METRIC_NAME.match(metric):
        raise ConfigError("--metric", metric, "must be 1-128 of A-Z a-z 0-9 _ . : -")
    if not math.isfinite(rtol) or rtol < 0:
        raise ConfigError("--rtol", rtol, "must be a number >= 0 (0: exact)")
    base_run, new_run, points = read_matched_points(duckdb_path, base, new)
    names = sorted({n for p in points for n in (*p.base_metrics, *p.new_metrics)})
    if metric is not None and names and metric not in names:
        raise InvalidFieldError(
            "--metric", metric, f"is not a metric of these runs: {', '.join(names)}"
        )
    compared = [metric] if metric is not None else names
    matched = [p for p in points if p.base_index is not None and p.new_index is not None]
    both_ok = [p for p in matched if p.base_status == p.new_status == "succeeded"]
    changes: list[MetricChange] = []
    changed_points = 0
    by_metric = dict.fromkeys(compared, 0)
    for point in both_ok:
        assert point.base_index is not None and point.new_index is not None
        any_changed = False
        for name in compared:
            old, now = point.base_metrics.get(name), point.new_metrics.get(name)
            if _changed(old, now, rtol):
                any_changed = True
                by_metric[name] += 1
                changes.append(
                    MetricChange(name, point.base_index, point.new_index, point.params, old, now)
                )
        changed_points += any_changed
    return Comparison(
        base_run_id=base,
        new_run_id=new,
        base_status=base_run[1],
        new_status=new_run[1],
        base_fingerprint=base_run[2],
        new_fingerprint=new_run[2],
        base_code_version=base_run[3],
        new_code_version=new_run[3],
        metric=metric,
        rtol=rtol,
        matched=len(matched),
        only_in_base=sum(p.new_index is None for p in points),
        only_in_new=sum(p.base_index is None for p in points),
        failed_to_succeeded=sum(
            p.base_status == "failed" and p.new_status == "succeeded" for p in matched
        ),
        succeeded_to_failed=sum(
            p.base_status == "succeeded" and p.new_status == "failed" for p in matched
        ),
        succeeded_in_both=len(both_ok),
        changed_points=changed_points,
        changed_by_metric=by_metric,
        largest=tuple(_largest(changes, metric, top)),
        swept=_swept(points),
        points=tuple(points),
    )


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value)


def _change_text(change: MetricChange) -> str:
    old = "absent" if change.base is None else number(change.base)
    now = "absent" if change.new is None else number(change.new)
    text = f"{change.metric} {old} -> {now}"
    if change.change is not None:
        relative = change.relative
        text += f" ({_signed(change.change)}"
        text += f", {_signed(relative * 100)}%)" if relative is not None else ")"
    return text


def _same(base: str | None, new: str | None, short: int | None = None) -> str:
    def shown(value: str | None) -> str:
        return "not set" if not value else value[:short] if short else value

    if base and base == new:
        return f"same ({shown(base)})"
    return f"differs: {shown(base)} -> {shown(new)}"


def comparison_lines(c: Comparison) -> list[str]:
    """``ara compare``'s output, one line per item."""
    tolerance = "exact" if c.rtol == 0 else f"beyond rtol {number(c.rtol)}"
    scope = f"metric {c.metric}" if c.metric else plural(len(c.changed_by_metric), "metric")
    status_changes = c.failed_to_succeeded + c.succeeded_to_failed
    lines = [
        f"compare {echoed(c.new_run_id, limit=None)} (new) with "
        f"{echoed(c.base_run_id, limit=None)} (base), points matched by param_hash",
        f"  runs                base {c.base_status}, new {c.new_status}",
        f"  points              {number(c.matched)} matched, {number(c.only_in_base)} only in "
        f"base, {number(c.only_in_new)} only in new",
        f"  status changes      {number(status_changes)}: {number(c.failed_to_succeeded)} "
        f"failed -> succeeded, {number(c.succeeded_to_failed)} succeeded -> failed",
        f"  changed             {number(c.changed_points)} of "
        f"{plural(c.succeeded_in_both, 'point')} succeeded in both ({tolerance}, {scope})",
    ]
    if c.metric is None:
        width = max((len(n) for n in c.changed_by_metric), default=0)
        for name, count in c.changed_by_metric.items():
            lines.append(f"    {name:<{width}}  {plural(count, 'point')} changed")
    if c.largest:
        lines.append("  largest changes" if c.metric else "  largest change of each metric")
        for change in c.largest:
            params = _params_text(dict(change.params), c.swept)
            where = f"point {change.base_index}" + (
                "" if change.new_index == change.base_index else f" / {change.new_index}"
            )
            lines.append(
                f"    {_change_text(change)} at {where}" + (f" ({params})" if params else "")
            )
    lines.append(f"  config fingerprint  {_same(c.base_fingerprint, c.new_fingerprint, short=12)}")
    lines.append(f"  code version        {_same(c.base_code_version, c.new_code_version)}")
    return lines


def _cmd_compare(args: argparse.Namespace) -> int:
    refuse_the_same_run(args.base, args.new, "NEW")
    comparison = compare_runs(args.duckdb, args.base, args.new, metric=args.metric, rtol=args.rtol)
    begin(args)
    for line in comparison_lines(comparison):
        print(line)
    return EXIT_OK


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 such as 1e-9, got {text!r}")
    return value


def add_compare_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two runs point by point, matched by their effective parameters",
        description="Read dim_runs and fct_point_outcomes from the DuckDB file that `dbt build "
        "--target local` wrote, match the points of run BASE and run NEW by param_hash (the "
        "effective parameters, not the grid position) and print: how many points matched and "
        "how many only one run has, the status changes (succeeded <-> failed), how many "
        "points that succeeded in both changed a metric beyond the tolerance (exact by "
        "default), the largest changes with their parameters, and whether the runs share "
        "config fingerprint and code version (docs/compare.md). Exits 1 when a run is not in "
        "the marts, 2 when BASE and NEW are the same run.",
        epilog=epilog(
            ".venv/bin/ara compare sir-baseline-20261128 sir-baseline-substeps-20261128",
            ".venv/bin/ara compare BASE NEW --metric attack_rate --rtol 1e-9",
            ".venv/bin/ara compare BASE NEW --duckdb ./warehouse/analytics.duckdb",
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument("base", metavar="BASE", help="the run compared against (run id)")
    p.add_argument("new", metavar="NEW", help="the run compared (run id)")
    add_duckdb_argument(p)
    p.add_argument(
        "--metric",
        default=None,
        help="compare this metric only (default: every metric of the two runs)",
    )
    p.add_argument(
        "--rtol",
        type=_tolerance,
        default=0.0,
        metavar="X",
        help="a metric changed when |new - base| > X * |base| (default 0: any difference)",
    )
    p.set_defaults(handler=_cmd_compare)
