"""``ara summary`` and ``ara report`` when there is nothing to read, or the DuckDB file cannot be
read: both exit 1 (a runtime problem, not a bad flag) with the same message.

The empty case is real: ``dbt build`` over a warehouse root with a typo (no file under it)
passes every test and builds empty marts; dbt must warn naming the files it looked for, and
``ara summary`` must say so and exit 1. The lock is a real second process holding DuckDB's lock.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from _dbt_scenario import Dbt

from exporter.cli import main


@pytest.mark.dbt
def test_empty_warehouse_warns_in_dbt_and_the_summary_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "warehuose"  # nothing was ever exported here
    dbt = Dbt(tmp_path / "dbt", str(typo))
    build = dbt.run("build", "--target", "local")
    assert "ERROR=0" in build.stdout
    for dataset in ("outcomes", "effective_params", "run_context"):
        assert (
            f"Warning: source sweep.{dataset} has no files: nothing matches "
            f"{typo}/{dataset}/*/*/*.parquet"
        ) in build.stdout
    assert main(["summary", "--duckdb", str(dbt.duckdb_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"ara: no runs found: dim_runs in {dbt.duckdb_path} is empty.")
    assert "warehouse_root" in captured.err and len(captured.err.splitlines()) == 1
    out = tmp_path / "report"
    assert main(["report", "--duckdb", str(dbt.duckdb_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ara: error: no runs found: dim_runs in {dbt.duckdb_path} is empty")
    assert not out.exists()


def _command(name: str, tmp_path: Path) -> list[str]:
    return [name, "--out", str(tmp_path / "report")] if name == "report" else [name]


@pytest.mark.parametrize("command", ["summary", "report"])
def test_a_missing_file_exits_1_and_says_to_run_dbt_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "analytics.duckdb"
    assert main([*_command(command, tmp_path), "--duckdb", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ara: error: no DuckDB file at {path}: run `dbt build --target local`")
    assert not path.exists() and not (tmp_path / "report").exists()


@pytest.mark.parametrize("command", ["summary", "report"])
def test_a_file_without_marts_says_to_run_dbt_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "analytics.duckdb"
    duckdb.connect(str(path)).close()
    assert main([*_command(command, tmp_path), "--duckdb", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ara: error: {path} has no dbt marts (")
    assert err.endswith("run `dbt build --target local` first")


@pytest.mark.parametrize("command", ["summary", "report"])
def test_a_locked_file_is_named_locked_not_unbuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "analytics.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert main([*_command(command, tmp_path), "--duckdb", str(path)]) == 1
    finally:
        holder.communicate("", timeout=30)
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ara: error: {path} is locked by another process")
    assert "dbt build first" not in err and f"PID {holder.pid}" in err
