"""``ara report`` over real marts: a small sweep exported, ``dbt run`` on the local target, the
report rendered with matplotlib, its PNGs decoded with Pillow.

The expectations come from what was handed to the exporter (the grids and the simulation), never
from the report's own output.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _dbt_scenario import Dbt

from exporter.errors import InvalidFieldError, StorageError
from exporter.reference import SimulationError, plan_points, resolve_params, run_sweep, simulate
from exporter.reports import build_reports, write_report

pytestmark = pytest.mark.dbt
pytest.importorskip("matplotlib", reason="the `report` extra (matplotlib) is not installed")
Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) is missing")

ACCEPTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
#: run id -> sweep config. "grid" has an unstable beta column (beta 2.5 * dt 0.25 > 0.5);
#: "cube" sweeps three parameters, so the surface averages over the third.
RUNS = {
    "grid": {"grid": {"beta": [0.2, 0.4, 0.8, 1.5, 2.5], "gamma": [0.05, 0.1, 0.2, 0.3]}},
    "cube": {"grid": {"beta": [0.2, 0.4, 0.8], "gamma": [0.1, 0.2], "dt": [0.25, 0.5]}},
    # the same epidemics run for 160 and 320 days: each peaks at the same height twice, so the
    # highest peak_infected is a tie (points 8 and 10)
    "longer": {"grid": {"beta": [0.2, 0.4, 0.8], "gamma": [0.1, 0.2], "days": [160, 320]}},
}
RED = (214, 39, 40)  # the failed-point marker


@pytest.fixture(scope="module")
def duckdb_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("report")
    root = base / "raw"
    for run_id, config in RUNS.items():
        run_sweep(str(root), run_id, config, points_per_shard=8, workers=0, accepted_at=ACCEPTED)
    dbt = Dbt(base / "dbt", str(root))
    marts = ("+fct_point_outcomes", "+dim_runs", "+fct_run_metric_summary")  # ara summary reads all
    dbt.run("run", "--target", "local", "--select", *marts)
    yield dbt.duckdb_path


def _expected(run_id: str, metric: str) -> dict[int, float | None]:
    config = RUNS[run_id]
    values: dict[int, float | None] = {}
    for index, point in enumerate(plan_points(config)):
        try:
            values[index] = simulate(resolve_params(point, config.get("fixed")))[metric]
        except SimulationError:
            values[index] = None
    return values


def _png_stats(png: bytes) -> tuple[tuple[int, int], int, float, int]:
    """Size, distinct colours, grey-level variance and red-marker pixels of a PNG."""
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG"
        rgb = img.convert("RGB")
        pixels = list(rgb.get_flattened_data())
        grey = list(rgb.convert("L").get_flattened_data())
    mean = sum(grey) / len(grey)
    variance = sum((g - mean) ** 2 for g in grey) / len(grey)
    red = sum(1 for p in pixels if all(abs(a - b) <= 12 for a, b in zip(p, RED, strict=True)))
    return rgb.size, len(set(pixels)), variance, red


def test_report_writes_real_images_and_one_self_contained_page(
    duckdb_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    page = write_report(str(duckdb_path), str(out))
    assert page == out / "index.html"
    files = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert set(files) == {f"{r}-{kind}.png" for r in RUNS for kind in ("surface", "parameters")}
    for name, png in files.items():
        (width, height), colours, variance, _ = _png_stats(png)
        assert width >= 500 and height >= 300, name
        assert colours > 50, f"{name}: {colours} colours, not a real picture"
        assert variance > 100, f"{name}: grey-level variance {variance:.1f}"
    text = page.read_text()
    embedded = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', text)
    assert {alt: base64.b64decode(data) for alt, data in embedded} == files
    assert "<script" not in text  # static: nothing to run in a browser


def test_failed_points_are_marked_only_where_points_failed(duckdb_path: Path) -> None:
    reports = {r.run_id: r for r in build_reports(str(duckdb_path))}
    grid, cube = reports["grid"], reports["cube"]
    failed = sum(v is None for v in _expected("grid", "peak_infected").values())
    assert failed == 4  # the beta = 2.5 column
    assert grid.failed == failed and sum(grid.errors.values()) == failed
    # four messages that differ only in their numbers (gamma*dt) are one entry
    assert len(grid.errors) == 1 and "unstable step" in next(iter(grid.errors))
    *_, red_grid = _png_stats(grid.images["grid-surface.png"])
    *_, red_cube = _png_stats(cube.images["cube-surface.png"])
    assert cube.failed == 0 and red_cube == 0
    assert red_grid > 4 * 30  # a visible x in each failed cell (and the legend)


def test_surface_is_drawn_over_the_swept_grid_not_a_derived_parameter(duckdb_path: Path) -> None:
    reports = {r.run_id: r for r in build_reports(str(duckdb_path))}
    # r0 = beta / gamma and steps = days / dt vary too, but do not form a grid with the others
    assert reports["grid"].axes == ("beta", "gamma")
    assert set(reports["grid"].swept) == {"beta", "gamma", "r0"}
    assert reports["cube"].axes == ("beta", "dt")  # the two grid axes with the most values
    assert set(reports["cube"].swept) == {"beta", "gamma", "dt", "r0", "steps"}


@pytest.mark.parametrize("maximize", [True, False])
def test_best_point_is_the_simulations_best(duckdb_path: Path, maximize: bool) -> None:
    metric = "attack_rate"
    for report in build_reports(str(duckdb_path), metric=metric, maximize=maximize):
        values = {i: v for i, v in _expected(report.run_id, metric).items() if v is not None}
        pick = max if maximize else min
        want = pick(values.values())
        assert report.best is not None
        assert report.best.value == pytest.approx(want, rel=1e-12)
        assert values[report.best.index] == pytest.approx(want, rel=1e-12)


def test_the_default_best_point_is_the_one_ara_summary_names(
    duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from exporter.cli import main

    values = _expected("grid", "peak_infected")
    lowest = min(v for v in values.values() if v is not None)
    want = min(i for i, v in values.items() if v == lowest)  # ties: the lowest point_index
    assert max(v for v in values.values() if v is not None) > lowest  # min and max differ
    report = {r.run_id: r for r in build_reports(str(duckdb_path))}["grid"]
    assert report.best is not None and report.best.index == want
    assert report.best_ties == sum(v == lowest for v in values.values())
    assert main(["summary", "--duckdb", str(duckdb_path)]) == 0
    summary = capsys.readouterr().out
    assert f"at point {want} (" in summary.split("grid\n")[1].split("\n\n")[0]


def test_a_tie_for_the_highest_value_names_the_point_ara_summary_names(
    duckdb_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--goal max with two points at the highest value: both commands name the lower
    point_index (the documented rule for ties, the same as for --goal min)."""
    from exporter.cli import main

    values = _expected("longer", "peak_infected")
    highest = max(v for v in values.values() if v is not None)
    tied = sorted(i for i, v in values.items() if v == highest)
    assert len(tied) == 2  # a real tie in the simulation, not in the report's rounding
    report = {r.run_id: r for r in build_reports(str(duckdb_path), maximize=True)}["longer"]
    assert report.best is not None and report.best.index == tied[0]
    assert report.best_ties == 2
    assert main(["summary", "--duckdb", str(duckdb_path), "--goal", "max"]) == 0
    summary = capsys.readouterr().out
    assert f"at point {tied[0]} (" in summary.split("longer\n")[1].split("\n\n")[0]


@pytest.mark.parametrize(
    ("flags", "goal"),
    [([], "lowest"), (["--goal", "max"], "highest"), (["--maximize"], "highest"),
     (["--minimize"], "lowest")],
)  # fmt: skip
def test_cli_goal_flags(
    duckdb_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
    goal: str,
) -> None:  # fmt: skip
    from exporter.cli import main

    out = tmp_path / "goal"
    assert main(["report", "--duckdb", str(duckdb_path), "--out", str(out), *flags]) == 0
    page = (out / "index.html").read_text()
    assert f"best point = {goal} peak_infected" in page
    if goal == "highest":  # summary's number format: thousands separated, 4 significant digits
        top = max(v for v in _expected("grid", "peak_infected").values() if v is not None)
        assert f"<td><b>{top:,.0f}</b></td>" in page and top >= 1000
    assert f"{len(RUNS)} runs from" in (out / "index.html").read_text()
    capsys.readouterr()
    with pytest.raises(SystemExit) as usage:
        main(["report", "--duckdb", str(duckdb_path), "--goal", "max", "--minimize"])
    assert usage.value.code == 2


def test_rendering_is_deterministic(duckdb_path: Path) -> None:
    first = {r.run_id: r.images for r in build_reports(str(duckdb_path), metric="peak_day")}
    second = {r.run_id: r.images for r in build_reports(str(duckdb_path), metric="peak_day")}
    assert first == second


def test_cli_prints_the_page_path(
    duckdb_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from exporter.cli import main

    out = tmp_path / "cli-report"
    args = ["report", "--duckdb", str(duckdb_path), "--out", str(out), "--axes", "gamma,beta"]
    assert main([*args, "--metric", "attack_rate", "--minimize"]) == 0
    assert capsys.readouterr().out.strip() == str(out / "index.html")
    assert "over gamma x beta" in (out / "index.html").read_text()


def test_bad_input_is_a_typed_error_and_writes_nothing(duckdb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    with pytest.raises(InvalidFieldError) as bad_metric:
        write_report(str(duckdb_path), str(out), metric="no_such_metric")
    assert bad_metric.value.field == "--metric" and "peak_infected" in str(bad_metric.value)
    with pytest.raises(InvalidFieldError) as bad_axes:
        write_report(str(duckdb_path), str(out), axes=("beta", "population"))
    assert bad_axes.value.field == "--axes" and "population" in str(bad_axes.value)
    with pytest.raises(StorageError) as missing:
        write_report(str(tmp_path / "none.duckdb"), str(out))
    assert "dbt build" in str(missing.value)
    assert not out.exists()
