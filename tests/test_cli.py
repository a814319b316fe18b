"""The command line as a user meets it: --help everywhere, progress, one-line errors."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from exporter._console import argparse_message, echoed
from exporter.cli import build_parser, main
from exporter.reference._sweep import stderr_progress

ARA = [sys.executable, "-m", "exporter"]


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
    examples = out[out.index("\nexamples:\n") :]  # every --help shows how to call it
    assert "  .venv/bin/ara " in examples
    assert "exit status:" in out and "  2  usage error" in out and "  1  the command ran" in out


def test_python_dash_m_and_sweep_with_progress(tmp_path: Path) -> None:
    done = run(
        "sweep",
        "--root",
        str(tmp_path / "wh"),
        "--runs",
        "1",
        "--workers",
        "1",
        "--points-per-shard",
        "4",
    )
    assert done.returncode == 0, done.stderr
    assert "ara: warning: points_per_shard=4 splits 144 points into 36 shards" in done.stderr
    assert "sir-baseline-" in done.stdout and "144/144 points in 36/36 shards" in done.stdout
    assert "config fingerprint " in done.stdout
    assert done.stderr.splitlines()[0] == f"reference sweep: 1 run into {tmp_path / 'wh'}"
    assert "36/36 shards, 144/144 points" in done.stderr  # progress goes to stderr
    assert "\r" not in done.stderr and "feature gate" not in done.stderr  # not a terminal
    assert len(list((tmp_path / "wh" / "outcomes").rglob("*.parquet"))) == 36


@pytest.mark.parametrize("workers", ["0", "2"])
def test_progress_lines_are_the_same_in_either_worker_mode(tmp_path: Path, workers: str) -> None:
    done = run(
        "sweep",
        "--root",
        str(tmp_path),
        "--runs",
        "1",
        "--workers",
        workers,
        "--points-per-shard",
        "4",
    )
    assert done.returncode == 0, done.stderr
    progress = [line.strip() for line in done.stderr.splitlines()[1:] if "warning:" not in line]
    assert len(progress) == 36
    assert progress[-1].endswith(": 36/36 shards, 144/144 points")
    assert all(" shards, " in line and line.endswith(" points") for line in progress)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_updating_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    messages = [f"sir-x: {n}/4 shards, {5 * n}/20 points" for n in range(1, 5)]
    terminal, plain = FakeTerminal(), io.StringIO()
    for message in messages:
        stderr_progress(message, terminal)
        stderr_progress(message, plain)
    shown = terminal.getvalue()
    assert shown.count("\r") == 4 and shown.count("\n") == 1 and shown.endswith("\n")
    assert "sir-x [######------------------] 1/4 shards, 5/20 points" in shown
    assert shown.rstrip("\n").rsplit("\r", 1)[-1] == (
        "\x1b[K  sir-x [########################] 4/4 shards, 20/20 points"
    )
    assert plain.getvalue().splitlines() == [f"  {m}" for m in messages]


def test_sweep_on_a_pseudo_terminal_draws_a_bar(tmp_path: Path) -> None:
    """stderr is a real pty: the bar is redrawn in place (carriage returns), one line per run."""
    leader, follower = pty.openpty()
    with os.fdopen(leader, "rb", buffering=0) as reader:
        proc = subprocess.Popen(
            [*ARA, "sweep", "--root", str(tmp_path), "--runs", "1", "--workers", "0",
             "--points-per-shard", "4"],
            stdout=subprocess.PIPE, stderr=follower, text=True,
        )  # fmt: skip
        os.close(follower)
        out, _ = proc.communicate(timeout=120)
        chunks = []
        with contextlib.suppress(OSError):  # EIO once the child has closed the pty
            while chunk := reader.read(4096):
                chunks.append(chunk)
    seen = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert seen.count("\r\x1b[K") >= 36  # one redraw per shard (a pty may add \r to \n)
    assert "[########################] 36/36 shards, 144/144 points" in seen
    assert "144/144 points in 36/36 shards" in out


@pytest.mark.parametrize(
    ("variable", "fragment"),
    [
        ("ARA_EXPORT_RUN_CONTEXT", "feature gate: ARA_EXPORT_RUN_CONTEXT=false: no run context"),
        ("ARA_EXPORT_EFFECTIVE_PARAMS", "feature gate: ARA_EXPORT_EFFECTIVE_PARAMS=false: no eff"),
    ],
)
def test_an_active_feature_gate_is_said(tmp_path: Path, variable: str, fragment: str) -> None:
    env = {**os.environ, variable: "false"}
    done = subprocess.run(
        [*ARA, "sweep", "--root", str(tmp_path), "--runs", "1", "--workers", "0", "--quiet"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[1].startswith(fragment)
    dataset = "run_context" if variable == "ARA_EXPORT_RUN_CONTEXT" else "effective_params"
    assert not (tmp_path / dataset).exists()


def test_a_bad_gate_value_is_a_usage_error_before_anything_starts(tmp_path: Path) -> None:
    env = {**os.environ, "ARA_EXPORT_RUN_CONTEXT": "maybe"}
    bad = subprocess.run(
        [sys.executable, "-m", "exporter", "sweep", "--root", str(tmp_path), "--runs", "1"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "ara: error: ARA_EXPORT_RUN_CONTEXT='maybe': must be one of true/false, 1/0, yes/no, on/off"
    ]
    assert list(tmp_path.iterdir()) == []


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
        "--points-per-shard",
        "4",
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
    bad = run("sweep", "--root", str(tmp_path), "--points-per-shard", "4", "--skip-shard", skip)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == f"ara: error: {message}"
    assert list(tmp_path.iterdir()) == []  # the first run was not started either


def test_sweep_variant_reruns_the_baseline_grid_under_its_own_run_and_code_version(
    tmp_path: Path,
) -> None:
    """Same config (so the same fingerprint), another code version and run id; the change is
    in the code: the baseline's 12 unstable points (beta 2.5) succeed with 4 sub-steps."""
    import re

    import pyarrow.dataset as ds

    common = ["--root", str(tmp_path), "--workers", "0", "--quiet"]
    base = run("sweep", *common, "--runs", "1")
    variant = run("sweep", *common, "--variant", "substeps")
    assert base.returncode == 0 and variant.returncode == 0, variant.stderr
    found = re.fullmatch(
        r"(sir-baseline-substeps-\d{8}): 144/144 points in 1/1 shards, [0-9.]+s, "
        r"config fingerprint ([0-9a-f]{12}), code version reference-sir\+substeps4\n",
        variant.stdout,
    )
    assert found, variant.stdout
    assert f"config fingerprint {found[2]}\n" in base.stdout  # the baseline's fingerprint
    outcomes = ds.dataset(tmp_path / "outcomes", partitioning="hive").to_table().to_pylist()
    failed = {run_id: 0 for run_id in {r["run_id"] for r in outcomes}}
    for row in outcomes:
        failed[row["run_id"]] += row["status"] == "failed"
    assert sorted(failed.values()) == [0, 12]
    assert failed[found[1]] == 0
    both = run("sweep", *common, "--runs", "2", "--variant", "substeps")
    assert both.returncode == 2
    assert "--runs=2: cannot be combined with --variant" in both.stderr
    unknown = run("sweep", *common, "--variant", "nosuch")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


AKIA = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize("command", _commands(build_parser()), ids=" ".join)
def test_every_command_refuses_a_bad_flag_in_one_redacted_line(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """One parser class for every command: the usage, then one ``ara: error:`` line (not
    argparse's ``ara cleanup: error:``) with the value redacted and escaped, exit 2."""
    with pytest.raises(SystemExit) as info:
        main([*command, f"--no-such-flag=\x1b[31m{AKIA}"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and lines[0].startswith("usage: ara")  # the parser that refused
    assert [line for line in lines if "error:" in line] == [lines[-1]]
    assert lines[-1].startswith("ara: error: ")
    assert AKIA not in captured.err and "\x1b" not in captured.err
    assert "\\x1b[31m" in lines[-1] or "required" in lines[-1]  # a command needs its action


def test_echoed_values_are_redacted_escaped_and_cut() -> None:
    assert echoed("sir-baseline-20261123") == "sir-baseline-20261123"
    assert echoed("x" * 100_000) == "x" * 80 + "…(100,000 chars)"
    assert echoed("a\x1b[31mb\n\t\x9b\u202e") == "a\\x1b[31mb\\n\\t\\x9b\\u202e"
    assert echoed(f"id {AKIA}") == "id [REDACTED]"
    assert echoed("\x1b" * 100) == "\\x1b" * 20 + "…(100 chars)"  # an escape is never split
    assert echoed("y" * 500, limit=None) == "y" * 500
    assert echoed(None) == "None" and echoed(7) == "7"


def test_argparse_messages_are_cut_per_value_and_as_a_whole() -> None:
    long = "z" * 1000
    assert argparse_message(f"argument --x: invalid int value: '{long}'") == (
        f"argument --x: invalid int value: '{'z' * 80}…(1,000 chars)'"
    )
    assert argparse_message(f"unrecognized arguments: {AKIA} \x1b[2J") == (
        "unrecognized arguments: [REDACTED] \\x1b[2J"
    )
    many = argparse_message("unrecognized arguments: " + "a " * 1000)
    assert len(many) < 260 and many.endswith(" chars)")
