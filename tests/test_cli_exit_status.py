"""Exit status 1 for a failure once a command has started, 2 for a usage error (nothing started).

A FAILED Athena statement (which moto cannot produce) is in tests/test_athena_failures.py,
through ``botocore.stub.Stubber``. Here: an unreachable endpoint (a closed local port, a real
connection refused), missing credentials (a real botocore credential chain with nothing in it),
an unreachable S3 root, and the usage errors argparse and the settings refuse.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = "s3://results-bucket/sweeps"
OUTPUT = "s3://athena-query-results/ara/"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ara(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _isolated_aws(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No credentials anywhere botocore looks; an endpoint nothing listens on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


BOOTSTRAP = ["athena", "bootstrap", "--root", ROOT, "--output-location", OUTPUT]


def test_unreachable_athena_endpoint_exits_1(tmp_path: Path) -> None:
    env = _isolated_aws(tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    # Few, short retries so the test does not wait: the runner retries connection errors.
    code = (
        "import sys; from exporter.athena import _runner; from exporter.cli import main;"
        "_runner.AthenaRunner.__init__.__kwdefaults__.update("
        "max_api_attempts=2, backoff_base=0.01);"
        "sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *BOOTSTRAP, "--region", "eu-west-1"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("athena: 5 statements in workgroup primary (region eu-west-1)")
    assert lines[-1].startswith(
        "ara: error: create_database.sql: start_query_execution failed after 2 attempts: "
        "EndpointConnectionError"
    )


def test_missing_credentials_exit_1(tmp_path: Path) -> None:
    done = _run([*BOOTSTRAP, "--region", "eu-west-1"], _isolated_aws(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "ara: error: create_database.sql: start_query_execution failed after 1 attempt: "
        "NoCredentialsError: Unable to locate credentials"
    )


def test_unreachable_s3_root_exits_1(tmp_path: Path) -> None:
    env = _isolated_aws(tmp_path, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    done = _run(["sweep", "--root", "s3://bucket/p", "--runs", "1", "--workers", "0"], env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1].startswith("ara: error: s3://bucket/p/_run_index/")
    assert "Could not connect to the endpoint URL" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--statement-timeout", "-5"], "expected a number of seconds > 0, got '-5'"),
        (["--statement-timeout", "0"], "expected a number of seconds > 0, got '0'"),
        (["--statement-timeout", "nan"], "expected a number of seconds > 0, got 'nan'"),
        (["--poll-interval", "-1"], "expected a number of seconds >= 0, got '-1'"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_flags_exit_2_even_with_dry_run(args: list[str], message: str) -> None:
    bad = ara("athena", "bootstrap", "--root", ROOT, "--dry-run", *args)
    assert bad.returncode == 2
    assert bad.stdout == ""  # nothing rendered
    assert bad.stderr.startswith("usage: ara")  # the usage, then one line:
    errors = [line for line in bad.stderr.splitlines() if "error:" in line]
    assert errors == [bad.stderr.splitlines()[-1]] and errors[0].startswith("ara: error: ")
    assert message in errors[0]


def test_a_missing_setting_says_not_set_before_any_start_line(tmp_path: Path) -> None:
    env = _isolated_aws(tmp_path)
    env.pop("ARA_ATHENA_OUTPUT_LOCATION", None)
    env.pop("ARA_ROOT", None)
    no_root = _run(["athena", "bootstrap", "--dry-run"], env)
    assert no_root.returncode == 2
    assert no_root.stderr.strip().splitlines() == [
        "ara: error: root not set: set --root or ARA_ROOT to s3://bucket[/prefix]"
    ]
    no_output = _run(["athena", "repair", "--root", ROOT, "--region", "eu-west-1"], env)
    assert no_output.returncode == 2
    assert no_output.stderr.strip().splitlines() == [  # no "athena: …" start line before it
        "ara: error: output_location not set: set --output-location or "
        "ARA_ATHENA_OUTPUT_LOCATION (s3://bucket/prefix/ for Athena's query results)"
    ]


def test_dry_run_counts_statements_in_words() -> None:
    done = ara("athena", "add-partitions", "--root", ROOT, "--dry-run")
    assert done.returncode == 2  # --run-id and --run-date are required
    done = ara(
        "athena", "add-partitions", "--root", ROOT, "--dry-run",
        "--run-id", "r1", "--run-date", "2026-11-23",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "dry run: 3 statements rendered, nothing submitted"
