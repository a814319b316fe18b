"""``ara report``: a picture of every sweep, read from the dbt marts on the local DuckDB target.

Per run: a response surface of one metric over the two swept parameters that form the densest
grid (a heatmap, failed points marked), small multiples of the metric against every swept
parameter (works for any number of them), and the best point. Written as PNGs plus one static
HTML page with the same images embedded (base64), so the page is a single file that opens
offline. matplotlib's Agg backend renders without a display or a browser, and with the PNG
metadata stripped the same marts give the same bytes (docs/report.md).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._console import number, plural
from ..errors import ConfigError, InvalidFieldError, StorageError
from ._summary import DEFAULT_GOAL, open_marts

__all__ = [
    "Point",
    "RunReport",
    "best_point",
    "build_reports",
    "choose_axes",
    "grid_axes",
    "swept_params",
    "write_report",
]

DEFAULT_OUT = "./warehouse/report"
DEFAULT_METRIC = "peak_infected"  # with DEFAULT_GOAL: the best point ara summary names
REPORT_FILE = "index.html"
_NUMBERS = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

_RUNS = """
select run_id, run_status, planned_point_count, observed_point_count, failed_point_count
from dim_runs
order by run_date, run_id
"""
_POINTS = """
select run_id, point_index, outcome_status, error_message, params_json, metrics
from fct_point_outcomes
order by run_id, point_index
"""


@dataclass(frozen=True)
class Point:
    index: int
    succeeded: bool
    error: str | None
    params: Mapping[str, Any]
    value: float | None  # the chosen metric; None when failed or absent


@dataclass(frozen=True)
class RunReport:
    """What the page says about one run; ``images`` maps a PNG file name to its bytes."""

    run_id: str
    status: str
    planned: int | None
    observed: int
    failed: int
    swept: tuple[str, ...]
    axes: tuple[str, ...]
    best: Point | None
    #: error message -> failed points; messages that differ only in their numbers are one entry,
    #: keyed by the first such message (e.g. "unstable step: beta*dt=0.625, gamma*dt=0.010 > 0.5")
    errors: dict[str, int] = field(default_factory=dict)
    #: how many succeeded points share the best value (the star is the first of them)
    best_ties: int = 0
    images: dict[str, bytes] = field(default_factory=dict)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def swept_params(points: Sequence[Point]) -> list[str]:
    """Numeric parameters that take more than one value in the run, by name."""
    values: dict[str, set[float]] = {}
    other: set[str] = set()
    for point in points:
        for name, raw in point.params.items():
            number = _number(raw)
            if number is None:
                other.add(name)
            else:
                values.setdefault(name, set()).add(number)
    return sorted(n for n, v in values.items() if len(v) > 1 and n not in other)


def grid_axes(points: Sequence[Point], swept: Sequence[str]) -> tuple[str, ...]:
    """The parameters the sweep varied independently: the smallest set of swept parameters
    that tells every point apart and whose value combinations the points fill at least half
    of (a full grid fills all). A derived parameter (r0 = beta / gamma, steps = days / dt)
    either leaves points undistinguished or spreads them over a sparse grid, so it is left out.
    Empty when no such set of up to four parameters exists (e.g. a random design).
    """
    vectors = {tuple(sorted((k, repr(v)) for k, v in p.params.items())) for p in points}
    distinct = {n: len({repr(p.params.get(n)) for p in points}) for n in swept}
    for size in range(1, min(4, len(swept)) + 1):
        found: list[tuple[int, tuple[str, ...]]] = []
        for names in itertools.combinations(swept, size):
            cells = {tuple(repr(p.params.get(n)) for n in names) for p in points}
            product = math.prod(distinct[n] for n in names)
            if len(cells) == len(vectors) and product <= 2 * len(cells):
                found.append((product, names))
        if found:
            return min(found)[1]
    return ()


def choose_axes(points: Sequence[Point], swept: Sequence[str]) -> tuple[str, ...]:
    """The surface's two parameters, x first (the one with more values).

    The two grid axes (:func:`grid_axes`) with the most values; without a grid, the pair of
    swept parameters whose value combinations are the most numerous while filling at least
    half of their cells.
    """
    if len(swept) < 2:
        return tuple(swept)
    distinct = {n: len({repr(p.params.get(n)) for p in points}) for n in swept}
    axes = grid_axes(points, swept)
    if len(axes) >= 2:
        x, y = sorted(axes, key=lambda n: (-distinct[n], n))[:2]
        return (x, y)
    best: tuple[tuple[bool, int, int], tuple[str, str]] | None = None
    for a, b in itertools.combinations(swept, 2):
        cells = {(repr(p.params.get(a)), repr(p.params.get(b))) for p in points}
        size = distinct[a] * distinct[b]
        score = (2 * len(cells) >= size, len(cells), -size)
        if best is None or score > best[0]:
            best = (score, (a, b) if distinct[a] >= distinct[b] else (b, a))
    assert best is not None
    return best[1]


def best_point(points: Sequence[Point], maximize: bool) -> Point | None:
    scored = [p for p in points if p.value is not None]
    if not scored:
        return None
    key = (lambda p: (p.value, -p.index)) if maximize else (lambda p: (-(p.value or 0.0), -p.index))
    return max(scored, key=key)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _label(value: Any) -> str:
    """A parameter or metric value in ``ara summary``'s one number format (``8,899``, ``0.04``)."""
    return str(value) if _number(value) is None else number(value)


def surface_png(
    run_id: str, points: Sequence[Point], x: str, y: str, metric: str, best: Point | None
) -> bytes:
    """Heatmap of the metric over the (x, y) grid; cells with a failed point carry a red x.

    Several points in one cell (more than two swept parameters) show their mean; the title
    says so.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    xs = sorted({p.params[x] for p in points if x in p.params}, key=float)
    ys = sorted({p.params[y] for p in points if y in p.params}, key=float)
    col = {v: i for i, v in enumerate(xs)}
    row = {v: i for i, v in enumerate(ys)}
    sums = np.zeros((len(ys), len(xs)))
    counts = np.zeros((len(ys), len(xs)))
    failed = np.zeros((len(ys), len(xs)), dtype=bool)
    stacked = False
    for p in points:
        if x not in p.params or y not in p.params:
            continue
        r, c = row[p.params[y]], col[p.params[x]]
        stacked = stacked or counts[r, c] > 0 or failed[r, c]
        if p.value is not None:
            sums[r, c] += p.value
            counts[r, c] += 1
        elif not p.succeeded:
            failed[r, c] = True
    grid = np.ma.masked_where(counts == 0, sums / np.maximum(counts, 1))
    width = min(14.0, max(6.0, 0.62 * len(xs) + 2.5))
    fig, ax = plt.subplots(figsize=(width, min(10.0, max(4.5, 0.45 * len(ys) + 2))))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    image = ax.imshow(grid, origin="lower", cmap=cmap, aspect="auto")
    fig.colorbar(image, ax=ax, label=metric + (" (mean per cell)" if stacked else ""))
    xstep, ystep = max(1, math.ceil(len(xs) / 20)), max(1, math.ceil(len(ys) / 20))
    ax.set_xticks(
        range(0, len(xs), xstep), [_label(v) for v in xs[::xstep]], rotation=45, ha="right"
    )
    ax.set_yticks(range(0, len(ys), ystep), [_label(v) for v in ys[::ystep]])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fail_r, fail_c = np.nonzero(failed)
    if len(fail_r):
        ax.scatter(fail_c, fail_r, marker="x", s=60, c="#d62728", linewidths=2, label="failed")
    if best is not None and x in best.params and y in best.params:
        ax.scatter(
            [col[best.params[x]]],
            [row[best.params[y]]],
            marker="*",
            s=320,
            c="#ff7f0e",
            edgecolors="black",
            label=f"best {_label(best.value)}",
        )
    if len(fail_r) or best is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2, frameon=False)
    ax.set_title(f"{run_id}: {metric} over {x} x {y}")
    fig.tight_layout()
    return _png(fig)


def multiples_png(
    run_id: str, points: Sequence[Point], swept: Sequence[str], metric: str, best: Point | None
) -> bytes:
    """One panel per swept parameter: the metric against it, failed points as red x at the
    bottom edge, the best point as a star. Any number of swept parameters fits."""
    import matplotlib.pyplot as plt

    names = list(swept) or ["point_index"]
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    values = [p.value for p in points if p.value is not None]
    low = min(values) if values else 0.0
    for ax, name in zip(axes.flat, names, strict=False):

        def at(p: Point, name: str = name) -> float:
            return float(p.index) if name == "point_index" else float(p.params[name])

        ok = [
            p for p in points if p.value is not None and (name == "point_index" or name in p.params)
        ]
        bad = [p for p in points if not p.succeeded and (name == "point_index" or name in p.params)]
        ax.scatter([at(p) for p in ok], [p.value for p in ok], s=14, alpha=0.7, c="#1f77b4")
        if bad:
            ax.scatter([at(p) for p in bad], [low] * len(bad), marker="x", s=40, c="#d62728")
        if best is not None and (name == "point_index" or name in best.params):
            ax.scatter([at(best)], [best.value], marker="*", s=220, c="#ff7f0e", edgecolors="black")
        ax.set_xlabel(name)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.suptitle(f"{run_id}: {metric} against each swept parameter (x = failed, * = best)")
    fig.tight_layout()
    return _png(fig)


def _file_stem(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


def _read(duckdb_path: str, metric: str) -> tuple[list[tuple[Any, ...]], dict[str, list[Point]]]:
    import duckdb  # lazy: only this command needs it

    with open_marts(duckdb_path) as con:  # missing, locked: StorageError, as in ara summary
        try:
            runs = con.execute(_RUNS).fetchall()
            rows = con.execute(_POINTS).fetchall()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(exc, duckdb.CatalogException):
                raise StorageError(
                    f"{duckdb_path} has no dbt marts ({first}): run "
                    "`dbt build --target local` first"
                ) from None
            raise StorageError(f"{duckdb_path}: cannot read the marts: {first}") from None
    points: dict[str, list[Point]] = {}
    names: set[str] = set()
    for run_id, index, status, error, params_json, metrics in rows:
        metrics = dict(metrics or {})
        names.update(metrics)
        raw = metrics.get(metric)
        points.setdefault(run_id, []).append(
            Point(
                index=int(index),
                succeeded=status == "succeeded",
                error=error,
                params=json.loads(params_json) if params_json else {},
                value=None if status != "succeeded" else _number(raw),
            )
        )
    if names and metric not in names:
        raise InvalidFieldError(
            "--metric", metric, f"is not a metric here: {', '.join(sorted(names))}"
        )
    return runs, points


def build_reports(
    duckdb_path: str,
    *,
    metric: str = DEFAULT_METRIC,
    maximize: bool = DEFAULT_GOAL == "max",
    axes: tuple[str, str] | None = None,
) -> list[RunReport]:
    """Read the marts and render every run's images (nothing is written)."""
    runs, points = _read(duckdb_path, metric)
    reports = []
    for run_id, status, planned, observed, failed in runs:
        run_points = points.get(run_id, [])
        swept = tuple(swept_params(run_points))
        if axes is not None:
            missing = [a for a in axes if a not in swept]
            if missing:
                raise InvalidFieldError(
                    "--axes", ",".join(axes), f"{run_id} does not sweep {', '.join(missing)}"
                )
            chosen: tuple[str, ...] = axes
        else:
            chosen = choose_axes(run_points, swept)
        best = best_point(run_points, maximize)
        errors: dict[str, int] = {}
        examples: dict[str, str] = {}  # message with its numbers blanked -> first message
        for p in run_points:
            if not p.succeeded:
                message = p.error or "(no message)"
                example = examples.setdefault(_NUMBERS.sub("#", message), message)
                errors[example] = errors.get(example, 0) + 1
        ties = 0 if best is None else sum(p.value == best.value for p in run_points)
        images: dict[str, bytes] = {}
        stem = _file_stem(run_id)
        if run_points:
            if len(chosen) == 2:
                images[f"{stem}-surface.png"] = surface_png(
                    run_id, run_points, chosen[0], chosen[1], metric, best
                )
            images[f"{stem}-parameters.png"] = multiples_png(
                run_id, run_points, swept, metric, best
            )
        reports.append(
            RunReport(
                run_id=run_id,
                status=status,
                planned=planned,
                observed=observed,
                failed=failed,
                swept=swept,
                axes=chosen,
                best=best,
                best_ties=ties,
                errors=errors,
                images=images,
            )
        )
    return reports


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{margin-bottom:.2em} h2{border-top:1px solid #ccc;padding-top:1em}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:left} img{max-width:100%;display:block;margin:.6em 0} .muted{color:#666}
"""


def render_html(reports: Sequence[RunReport], metric: str, maximize: bool, source: str) -> str:
    esc = html.escape
    goal = "highest" if maximize else "lowest"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Sweep report: {esc(metric)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Sweep report: {esc(metric)}</h1>",
        f'<p class="muted">{plural(len(reports), "run")} from <code>{esc(source)}</code>; '
        f"best point = {goal} {esc(metric)} among succeeded points. "
        "Grey cells: no succeeded point; red x: a failed point; star: the best point.</p>",
    ]
    for report in reports:
        planned = "?" if report.planned is None else str(report.planned)
        out.append(f'<h2 id="{esc(_file_stem(report.run_id))}">{esc(report.run_id)}</h2>')
        out.append(
            f"<p>status <b>{esc(report.status)}</b>; points with an outcome {report.observed} of "
            f"{planned} planned; failed points {report.failed}; swept parameters "
            f"{esc(', '.join(report.swept) or 'none')}"
            + (f"; surface over {esc(' x '.join(report.axes))}" if len(report.axes) == 2 else "")
            + ".</p>"
        )
        if report.best is None:
            out.append(f"<p>No succeeded point carries {esc(metric)}.</p>")
        else:
            best = report.best
            cells = "".join(
                f"<tr><th>{esc(k)}</th><td>{esc(_label(v))}</td></tr>"
                for k, v in sorted(best.params.items())
                if k in report.swept
            )
            out.append(
                f"<table><caption>best point (point_index {best.index}"
                + (
                    f"; the first of {report.best_ties} points with this value"
                    if report.best_ties > 1
                    else ""
                )
                + ")</caption>"
                f"<tr><th>{esc(metric)}</th><td><b>{esc(_label(best.value))}</b></td></tr>"
                f"{cells}</table>"
            )
        if report.errors:
            ranked = sorted(report.errors.items(), key=lambda item: (-item[1], item[0]))
            rows = "".join(
                f"<tr><td>{n}</td><td>{esc(e)}{' (and alike)' if n > 1 else ''}</td></tr>"
                for e, n in ranked[:5]
            )
            if len(ranked) > 5:
                more = sum(n for _, n in ranked[5:])
                rows += f"<tr><td>{more}</td><td>… {len(ranked) - 5} other messages</td></tr>"
            out.append(f"<table><tr><th>failed</th><th>error</th></tr>{rows}</table>")
        for name, png in report.images.items():
            data = base64.b64encode(png).decode("ascii")
            out.append(f'<img alt="{esc(name)}" src="data:image/png;base64,{data}">')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(
    duckdb_path: str,
    out_dir: str,
    *,
    metric: str = DEFAULT_METRIC,
    maximize: bool = DEFAULT_GOAL == "max",
    axes: tuple[str, str] | None = None,
) -> Path:
    """Render every run of the marts into ``out_dir``: one PNG per image and ``index.html``.

    Everything is rendered before the first file is written; only this report's own files
    are (over)written in ``out_dir``. Returns the HTML page's path.
    """
    import matplotlib

    matplotlib.use("Agg")  # static PNGs, no display, no browser JS
    reports = build_reports(duckdb_path, metric=metric, maximize=maximize, axes=axes)
    if not reports:
        raise StorageError(
            f"no runs found: dim_runs in {duckdb_path} is empty: nothing to report "
            "(`ara summary` says where dbt looked)"
        )
    page = render_html(reports, metric, maximize, duckdb_path)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", out_dir, "exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    for report in reports:
        for name, png in report.images.items():
            (out / name).write_bytes(png)
    target = out / REPORT_FILE
    target.write_text(page, encoding="utf-8")
    return target
