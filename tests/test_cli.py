"""The command line as a user meets it: --help everywhere, progress, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exporter.cli import build_parser, main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args], capture_output=True, text=True, cwd=cwd
    )


def _commands(parser: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import argparse

    found = [prefix]
    for action in getattr(parser, "_actions", []):
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(build_parser()))
def test_every_command_has_help(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ara") and len(out.splitlines()) > 3


def test_python_dash_m_and_sweep_with_progress(tmp_path: Path) -> None:
    done = run("sweep", "--root", str(tmp_path / "wh"), "--runs", "1", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "sir-baseline-" in done.stdout and "144/144 points in 36/36 shards" in done.stdout
    assert "36/36 shards, 144/144 points" in done.stderr  # progress goes to stderr
    assert len(list((tmp_path / "wh" / "outcomes").rglob("*.parquet"))) == 36


def test_skip_shard_leaves_a_partial_run(tmp_path: Path) -> None:
    done = run(
        "sweep",
        "--root",
        str(tmp_path),
        "--runs",
        "1",
        "--workers",
        "0",
        "--quiet",
        "--skip-shard",
        "sir-baseline:2",
    )
    assert done.returncode == 0, done.stderr
    assert "140/144 points in 35/36 shards" in done.stdout
    assert not list(tmp_path.rglob("shard-00002.parquet"))


def test_errors_are_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = run("sweep", "--root", "gs://bucket/x", "--runs", "1")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("ara: error: root='gs://bucket/x'")
    assert "Traceback" not in bad.stderr
    debug = run("--debug", "sweep", "--root", "gs://bucket/x", "--runs", "1")
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_bad_option_value_is_a_usage_error() -> None:
    bad = run("sweep", "--skip-shard", "nonsense")
    assert bad.returncode == 2 and "expected RUN:SHARD" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "-1"], "expected a whole number >= 0"),
        (["--points-per-shard", "0"], "expected a whole number >= 1"),
    ],
)
def test_bad_numbers_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    bad = run("sweep", "--root", str(tmp_path), *args)
    assert bad.returncode == 2 and message in bad.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("skip", "message"),
    [
        (
            "sir-nosuch:1",
            "--skip-shard='sir-nosuch': is not one of this sweep's runs: "
            "sir-baseline, sir-fine-step, sir-large-town",
        ),
        ("sir-fine-step:9", "--skip-shard='sir-fine-step:9': sir-fine-step has shards 0..1"),
    ],
)
def test_skip_shard_typos_are_refused_before_any_run(
    tmp_path: Path, skip: str, message: str
) -> None:
    bad = run("sweep", "--root", str(tmp_path), "--skip-shard", skip)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == f"ara: error: {message}"
    assert list(tmp_path.iterdir()) == []  # the first run was not started either
