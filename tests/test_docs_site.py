"""The dbt docs site and the ``ara report`` page, looked at in a real headless browser.

A small sweep is exported, ``dbt run`` and ``dbt docs generate`` run on the local target, and
``target/`` is served over HTTP on 127.0.0.1 (a python http.server thread) to Debian's chromium
(``--headless --dump-dom`` / ``--screenshot``). The checks that need no browser (every column
described, source freshness, selectors) run everywhere; the browser checks skip where chromium
is not installed (``.ci/run`` installs it when apt-get is available).
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from _dbt_scenario import Dbt

from exporter.reference import run_sweep

pytestmark = pytest.mark.dbt

#: accepted 10 days ago: past the 7-day freshness warning, inside the 30-day error window
ACCEPTED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
GRID = {"grid": {"beta": [0.2, 0.4, 0.8, 2.5], "gamma": [0.1, 0.2, 0.3]}}
CHROMIUM = os.environ.get("ARA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.access(CHROMIUM, os.X_OK)
needs_chromium = pytest.mark.skipif(
    not HAVE_CHROMIUM,
    reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run does it as root)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dbt]:
    base = tmp_path_factory.mktemp("docs_site")
    root = base / "raw"
    run_sweep(str(root), "docs-grid", GRID, points_per_shard=6, workers=0, accepted_at=ACCEPTED)
    dbt = Dbt(base / "dbt", str(root))
    dbt.run("run", "--target", "local")
    dbt.run("docs", "generate", "--target", "local")
    yield dbt


def _json(dbt: Dbt, name: str) -> Any:
    return json.loads((dbt.target_path / name).read_text())


def test_every_column_of_every_model_is_described(site: Dbt) -> None:
    manifest, catalog = _json(site, "manifest.json"), _json(site, "catalog.json")
    models = {k for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert set(catalog["nodes"]) == models  # every model was built and catalogued
    undescribed = []
    for unique_id in sorted(models):
        documented = {
            name.lower(): col.get("description", "").strip()
            for name, col in manifest["nodes"][unique_id]["columns"].items()
        }
        for column in catalog["nodes"][unique_id]["columns"]:
            if not documented.get(column.lower()):
                undescribed.append(f"{unique_id.split('.')[-1]}.{column}")
    assert not undescribed, f"columns without a description: {undescribed}"
    marts = [m for m in models if ".fct_" in m or ".dim_" in m]
    assert len(marts) >= 4
    outcomes = catalog["nodes"]["model.athena_run_analytics.fct_point_outcomes"]["columns"]
    assert {"param_beta", "metric_peak_infected"} <= {c.lower() for c in outcomes}


def test_no_model_is_a_dead_end(site: Dbt) -> None:
    """Every staging and intermediate model feeds another model; marts feed exposures or
    are read directly."""
    manifest = _json(site, "manifest.json")
    children = manifest["child_map"]
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and "marts" not in node["fqn"]:
            fed = [c for c in children[unique_id] if c.startswith("model.")]
            assert fed, f"{node['name']} feeds no model"
    exposed = {dep for e in manifest["exposures"].values() for dep in e["depends_on"]["nodes"]}
    assert {"model.athena_run_analytics.dim_runs"} <= exposed
    assert {e["name"] for e in manifest["exposures"].values()} >= {"ara_summary", "ara_report"}
    overview = [d for d in manifest["docs"].values() if d["name"] == "__overview__"]
    assert any(d["package_name"] == "athena_run_analytics" for d in overview)


def test_source_freshness_warns_on_a_run_accepted_ten_days_ago(site: Dbt) -> None:
    proc = site.run("source", "freshness", "--target", "local", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]  # a warning does not fail the command
    results = {r["unique_id"]: r for r in _json(site, "sources.json")["results"]}
    result = results["source.athena_run_analytics.sweep.run_context"]
    assert result["status"] == "warn", result
    assert 9 * 86400 < result["max_loaded_at_time_ago_in_s"] < 11 * 86400


def test_selectors_select_what_they_say(site: Dbt) -> None:
    def names(selector: str, *extra: str) -> set[str]:
        proc = site.run(
            "ls", "--selector", selector, "--output", "name", "-q", *extra, "--target", "local"
        )
        return set(proc.stdout.split())

    marts = names("marts", "--resource-type", "model")
    assert marts == {
        "dim_runs",
        "fct_point_outcomes",
        "fct_point_params",
        "fct_run_metric_summary",
        "fct_point_comparisons",
    }
    fast = names("skip_slow_tests")
    assert "outcomes_point_has_params" not in fast  # a test on a staging view: slow
    assert {"unique_dim_runs_run_id", "stg_sweep__outcomes", "fct_point_params"} <= fast


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def served(site: Dbt) -> Iterator[str]:
    """The dbt workdir (target/ and the report) over HTTP on 127.0.0.1."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site.workdir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _chromium(tmp_path: Path, *args: str) -> str:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=15000",
        "--window-size=1400,900",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _visible_text(dom: str) -> str:
    """The DOM's text without scripts and styles (dbt docs inlines its templates in JS)."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    return re.sub(r"\s+", " ", text)


def _colour_pixels(png: Path, colour: tuple[int, int, int], tolerance: int = 20) -> int:
    from PIL import Image

    with Image.open(png) as img:
        pixels = img.convert("RGB").get_flattened_data()
    return sum(
        1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True))
    )


@needs_chromium
def test_overview_page_renders_in_chromium(served: str, tmp_path: Path) -> None:
    url = f"{served}/target/index.html#!/overview"
    text = _visible_text(_chromium(tmp_path, "--dump-dom", url))
    assert "athena-run-analytics: the parameter-sweep warehouse" in text
    assert "Which runs exist, are they complete" in text
    assert "inconsistent" in text and "fct_point_params" in text
    assert "Welcome!" not in text  # dbt's generic overview is replaced


@needs_chromium
def test_mart_page_shows_its_column_docs(served: str, tmp_path: Path) -> None:
    url = f"{served}/target/index.html#!/model/model.athena_run_analytics.fct_point_outcomes"
    text = _visible_text(_chromium(tmp_path, "--dump-dom", url))
    assert "one row per executed point" in text
    assert re.search(r"param_beta DOUBLE Generated \(var point_param_columns", text), text[:2000]
    assert re.search(r"metric_peak_infected DOUBLE Generated", text)
    assert re.search(r"error_message VARCHAR Why the point failed", text)


@needs_chromium
def test_lineage_graph_renders(served: str, tmp_path: Path) -> None:
    url = f"{served}/target/index.html#!/model/model.athena_run_analytics.fct_point_outcomes?g_v=1"
    dom = _chromium(tmp_path, "--dump-dom", url)
    container = re.search(r'id="cy".*?</div>', dom, flags=re.S)
    assert container, "no lineage graph container"
    sizes = re.findall(r'<canvas[^>]*data-id="layer2-node"[^>]*width="(\d+)" height="(\d+)"', dom)
    assert sizes and all(int(w) > 300 and int(h) > 100 for w, h in sizes), sizes
    shot = tmp_path / "lineage.png"
    _chromium(tmp_path, f"--screenshot={shot}", url)
    # dbt docs draws models teal, sources green and exposures orange: all three on the canvas
    assert _colour_pixels(shot, (0, 148, 179)) > 2000, "no model nodes drawn"
    assert _colour_pixels(shot, (92, 178, 39), 30) > 500, "no source nodes drawn"
    assert _colour_pixels(shot, (255, 105, 79), 30) > 300, "no exposure nodes drawn"


@needs_chromium
def test_report_page_renders_its_images(site: Dbt, served: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the `report` extra (matplotlib) is not installed")
    from exporter.reports import write_report

    write_report(str(site.duckdb_path), str(site.workdir / "report"))
    url = f"{served}/report/index.html"
    text = _visible_text(_chromium(tmp_path, "--dump-dom", url))
    assert "Sweep report: peak_infected" in text and "docs-grid" in text
    assert "failed points 3" in text  # the beta = 2.5 column of GRID
    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", url)
    from PIL import Image

    with Image.open(shot) as img:
        colours = len(set(img.convert("RGB").get_flattened_data()))
    assert colours > 200, f"the report page shows {colours} colours: are the images drawn?"
