"""``ara report --compare BASE NEW``: one page with the change of a metric between two runs.

Three heatmaps side by side over the two swept parameters: the base run's surface, the new
run's surface (one colour scale for both) and the change ``new - base`` of every point matched
by ``param_hash`` (a diverging colour map centred on zero: red up, blue down). Points that failed
in one run only, and points only one run has, are marked on the change. Like ``ara report``: PNG
plus one self-contained HTML page, rendered before anything is written (docs/report.md).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InvalidFieldError
from ._compare import Comparison, MatchedPoint, compare_runs, comparison_lines
from ._report import _CSS, Point, _file_stem, _label, _png, choose_axes, swept_params

__all__ = ["comparison_png", "write_comparison_report"]


def _points(points: Sequence[MatchedPoint]) -> list[Point]:
    """The union of both runs' points, for choosing the axes."""
    return [
        Point(
            index=p.base_index if p.base_index is not None else (p.new_index or 0),
            succeeded=True,
            error=None,
            params=p.params,
            value=None,
        )
        for p in points
    ]


def _value(metrics: Any, status: str | None, metric: str) -> float | None:
    if status != "succeeded":
        return None
    value = metrics.get(metric)
    return None if value is None or not math.isfinite(value) else float(value)


def comparison_png(c: Comparison, x: str, y: str, metric: str) -> bytes:
    """Base surface, new surface and their change over (x, y), side by side.

    A cell holding several points (more than two swept parameters) shows their mean. On the
    change: a triangle where a point failed in one run only (up: it failed in the base run and
    succeeded in the new one; down: the reverse), a circle where a point is in one run only.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    placed = [p for p in c.points if x in p.params and y in p.params]
    xs = sorted({p.params[x] for p in placed}, key=float)
    ys = sorted({p.params[y] for p in placed}, key=float)
    col = {v: i for i, v in enumerate(xs)}
    row = {v: i for i, v in enumerate(ys)}
    shape = (len(ys), len(xs))
    sums = {k: np.zeros(shape) for k in ("base", "new", "change")}
    counts = {k: np.zeros(shape) for k in ("base", "new", "change")}
    failed = {k: np.zeros(shape, dtype=bool) for k in ("base", "new")}
    marks: dict[str, list[tuple[int, int]]] = {"up": [], "down": [], "only": []}
    for p in placed:
        r, k = row[p.params[y]], col[p.params[x]]
        old = _value(p.base_metrics, p.base_status, metric)
        new = _value(p.new_metrics, p.new_status, metric)
        for side, value, status in (("base", old, p.base_status), ("new", new, p.new_status)):
            if value is not None:
                sums[side][r, k] += value
                counts[side][r, k] += 1
            elif status == "failed":
                failed[side][r, k] = True
        if old is not None and new is not None:
            sums["change"][r, k] += new - old
            counts["change"][r, k] += 1
        if p.base_index is None or p.new_index is None:
            marks["only"].append((r, k))
        elif p.base_status == "failed" and p.new_status == "succeeded":
            marks["up"].append((r, k))
        elif p.base_status == "succeeded" and p.new_status == "failed":
            marks["down"].append((r, k))
    grids = {
        k: np.ma.masked_where(counts[k] == 0, sums[k] / np.maximum(counts[k], 1)) for k in sums
    }
    surfaces = [v for k in ("base", "new") for v in grids[k].compressed()]
    low, high = (min(surfaces), max(surfaces)) if surfaces else (0.0, 1.0)
    changes = grids["change"].compressed()
    reach = float(max(abs(changes.min()), abs(changes.max()))) if changes.size else 0.0
    reach = reach or 1.0  # all unchanged: a symmetric scale around 0 still
    width = min(22.0, max(13.0, 3 * (0.42 * len(xs) + 2.2)))
    fig, axes = plt.subplots(1, 3, figsize=(width, min(9.0, max(4.8, 0.4 * len(ys) + 2.6))))
    grey = "#dddddd"
    titles = {
        "base": f"base {c.base_run_id}",
        "new": f"new {c.new_run_id}",
        "change": "change (new - base)",
    }
    for ax, key in zip(axes, ("base", "new", "change"), strict=True):
        if key == "change":
            cmap = plt.get_cmap("RdBu_r").with_extremes(bad=grey)
            image = ax.imshow(
                grids[key],
                origin="lower",
                aspect="auto",
                cmap=cmap,
                norm=TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach),
            )
            fig.colorbar(image, ax=ax, label=f"{metric}: new - base")
        else:
            cmap = plt.get_cmap("viridis").with_extremes(bad=grey)
            image = ax.imshow(
                grids[key], origin="lower", aspect="auto", cmap=cmap, vmin=low, vmax=high
            )
            fig.colorbar(image, ax=ax, label=metric)
            fail_r, fail_c = np.nonzero(failed[key])
            if len(fail_r):
                ax.scatter(fail_c, fail_r, marker="x", s=50, c="#d62728", linewidths=2)
        xstep, ystep = max(1, math.ceil(len(xs) / 12)), max(1, math.ceil(len(ys) / 20))
        ax.set_xticks(
            range(0, len(xs), xstep), [_label(v) for v in xs[::xstep]], rotation=45, ha="right"
        )
        ax.set_yticks(range(0, len(ys), ystep), [_label(v) for v in ys[::ystep]])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(titles[key], fontsize=10)
    change_ax = axes[2]
    legend = {
        "up": ("^", "#2ca02c", "failed in base only"),
        "down": ("v", "#d62728", "failed in new only"),
        "only": ("o", "#7f7f7f", "in one run only"),
    }
    for key, cells in marks.items():
        if cells:
            marker, colour, label = legend[key]
            change_ax.scatter(
                [k for _, k in cells],
                [r for r, _ in cells],
                marker=marker,
                s=60,
                c=colour,
                edgecolors="black",
                linewidths=0.6,
                label=f"{label} ({len(cells)})",
            )
    if any(marks.values()):
        change_ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncol=1, frameon=False)
    fig.suptitle(f"{metric} over {x} x {y}: {c.new_run_id} vs {c.base_run_id}")
    fig.tight_layout()
    return _png(fig)


def _page(c: Comparison, metric: str, axes: Sequence[str], image: str | None, source: str) -> str:
    esc = html.escape
    summary = "\n".join(comparison_lines(c))
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Compare {esc(c.new_run_id)} with {esc(c.base_run_id)}: {esc(metric)}</title>"
        f"<style>{_CSS} pre{{background:#f6f6f6;padding:.8em;overflow-x:auto}}</style>"
        "</head><body>",
        f'<h1 id="comparison">Compare {esc(c.new_run_id)} with {esc(c.base_run_id)}</h1>',
        f'<p class="muted">From <code>{esc(source)}</code>. Points are matched by '
        "<code>param_hash</code> (the effective parameters, not the grid position). "
        f"Left and middle: {esc(metric)} in each run (grey: no succeeded point; red x: "
        "failed). Right: the change new - base (red: up, blue: down, white: unchanged); "
        "triangles mark a point that failed in one run only, circles a point only one run "
        "has.</p>",
        f"<pre>{esc(summary)}</pre>",
    ]
    if image is None:
        out.append(
            f"<p>No surface: the two runs do not sweep two numeric parameters "
            f"({esc(', '.join(axes) or 'none')}).</p>"
        )
    else:
        out.append(
            f'<img alt="change of {esc(metric)} over {esc(" x ".join(axes))}" '
            f'src="data:image/png;base64,{image}">'
        )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_comparison_report(
    duckdb_path: str,
    out_dir: str,
    base: str,
    new: str,
    *,
    metric: str,
    axes: tuple[str, str] | None = None,
) -> Path:
    """Render the comparison of ``new`` with ``base`` into ``out_dir``:
    ``compare-<base>--<new>.png`` and ``.html``. Returns the page's path."""
    import matplotlib

    matplotlib.use("Agg")
    comparison = compare_runs(duckdb_path, base, new, metric=metric)
    union = _points(comparison.points)
    swept = swept_params(union)
    if axes is not None:
        missing = [a for a in axes if a not in swept]
        if missing:
            raise InvalidFieldError(
                "--axes", ",".join(axes), f"the two runs do not sweep {', '.join(missing)}"
            )
        chosen: tuple[str, ...] = axes
    else:
        chosen = choose_axes(union, swept)
    png = comparison_png(comparison, chosen[0], chosen[1], metric) if len(chosen) == 2 else None
    image = None if png is None else base64.b64encode(png).decode("ascii")
    page = _page(comparison, metric, chosen, image, duckdb_path)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", out_dir, "exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compare-{_file_stem(base)}--{_file_stem(new)}"
    if png is not None:
        (out / f"{stem}.png").write_bytes(png)
    target = out / f"{stem}.html"
    target.write_text(page, encoding="utf-8")
    return target
