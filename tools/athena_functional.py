"""Run dbt-athena's own functional test suite against the local Athena endpoint
(``make athena-functional``) and summarise what passes and why the rest fails.

The suite (``dbt-athena/tests/functional`` of dbt-labs/dbt-adapters) is extracted at run time
into a temporary folder, from a git directory (``--git-dir``, ``--ref``; a bare mirror is fine)
or taken from ``--suite`` (a ``tests/functional`` folder of a dbt-athena checkout, whose parent's
parent holds ``tests/__init__.py``). Nothing of it is copied into this repository.

The local endpoint (``local_athena.LocalAthena``: S3, Glue and Athena on 127.0.0.1) runs in this
process, with a staging bucket; pytest runs the suite in a subprocess with the ``DBT_TEST_ATHENA_*``
variables its conftest reads pointed at it (database ``awsdatacatalog``, work group ``primary``)
and the AWS settings of the endpoint (``AWS_ENDPOINT_URL``, test credentials). Arguments after
``--`` go to pytest (``-k EXPR``, ``-x``, ``-n 2``, a test id …).

The summary counts test cases from pytest's JUnit XML: collected (selected and run), passed,
failed (the test body), errored (setup or teardown), skipped — split into skipped by the suite's
own ``skip``/``skipif`` markers and skipped at run time by a ``pytest.skip()`` (a prerequisite
missing) — and xfailed/xpassed; *in scope* = collected minus skipped by their own markers.
Failures and errors are grouped by their Athena failure reason (``CODE: message``: the error
code and the message's first ~80 characters, numbers and test schema names blanked), else an
AWS API error (``An error occurred (Code) …``), else the first line of pytest's message.
The report is tools/athena_functional_report.py; a pytest plugin (tools/athena_functional_plugin.py)
records the node ids and the skip sources, and bounds each test phase to ``--test-timeout``
seconds. ``--keep`` keeps the JUnit report; ``--from-junit`` summarises one without running.

    .venv/bin/python tools/athena_functional.py [--ref stable] [--out summary.md] [-- -k hive]

Exit status: 0 the suite ran (whatever its tests' outcomes), 1 a runtime failure (the suite
cannot be extracted, the endpoint does not start, pytest writes no report, nothing selected),
2 a usage error (also pytest's own usage error on the pass-through arguments).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from athena_functional_report import (
    Case,
    FunctionalError,
    Group,
    Summary,
    group_failures,
    parse_junit,
    print_summary,
    reason_of,
    render_json,
    render_markdown,
)

__all__ = [
    "DEFAULT_GIT_DIR",
    "SUITE_PATH",
    "Case",
    "FunctionalError",
    "Group",
    "Summary",
    "extract_suite",
    "group_failures",
    "main",
    "parse_junit",
    "reason_of",
    "render_markdown",
]

TOOLS = Path(__file__).resolve().parent
#: where this project's machines keep a bare mirror of dbt-labs/dbt-adapters
DEFAULT_GIT_DIR = Path("/work/.mirror/dbt-labs+dbt-adapters/repo")
SUITE_PATH = "dbt-athena/tests/functional"
PLUGIN = "athena_functional_plugin"
ENV_TIMEOUT = "ARA_FUNCTIONAL_TEST_TIMEOUT"  # read by the plugin
BUCKET = "dbt-athena-functional"
# ---------------------------------------------------------------------------------------------
# the suite and the endpoint


def extract_suite(git_dir: Path, ref: str, dest: Path) -> Path:
    """``dbt-athena/tests`` of ``ref`` in ``git_dir`` under ``dest``: the functional folder."""
    if not git_dir.exists():
        raise FunctionalError(f"no git directory at {git_dir} (--git-dir, or --suite PATH)")
    tests = SUITE_PATH.rsplit("/", 1)[0]
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", ref, tests],
        capture_output=True,
    )
    if done.returncode != 0:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise FunctionalError(f"git archive {ref} {tests} in {git_dir}: {last}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(dest, filter="data")
    suite = dest / SUITE_PATH
    if not (suite / "conftest.py").is_file():
        raise FunctionalError(f"{SUITE_PATH}/conftest.py is not in {ref} of {git_dir}")
    return suite


def _git(*args: str) -> str | None:
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def endpoint_state() -> str:
    """This repository's commit, with the count of uncommitted changes under local_athena/
    (the endpoint's code as this process loads it)."""
    head = _git("-C", str(TOOLS.parent), "rev-parse", "--short", "HEAD")
    if head is None:
        return "unknown (not a git checkout)"
    changed = _git("-C", str(TOOLS.parent), "status", "--porcelain", "--", "local_athena") or ""
    n = len(changed.splitlines())
    return head + (f" + {n} uncommitted change(s) under local_athena/" if n else "")


@contextlib.contextmanager
def local_endpoint(region: str) -> Iterator[tuple[Any, str]]:
    """The local Athena endpoint, started in this process, with its staging bucket."""
    try:
        from local_athena import LocalAthena
    except ImportError as exc:
        raise FunctionalError(f"the local endpoint needs the local-athena extra: {exc}") from None
    server = LocalAthena(port=0, region=region)
    try:
        try:
            server.start()
        except OSError as exc:
            raise FunctionalError(f"the local endpoint cannot serve: {exc}") from None
        s3 = server.client("s3")
        if region == "us-east-1":
            s3.create_bucket(Bucket=BUCKET)
        else:
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region}
            )
        yield server, BUCKET
    finally:
        server.stop()


def suite_env(
    endpoint_env: dict[str, str], bucket: str, args: argparse.Namespace
) -> dict[str, str]:
    """The pytest subprocess's environment: the endpoint's AWS settings, the suite's
    ``DBT_TEST_ATHENA_*`` settings, nothing of a developer's own AWS or dbt-athena test setup."""
    drop = ("DBT_TEST_ATHENA_", "AWS_", "ARA_ATHENA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(endpoint_env)
    path = os.pathsep.join(p for p in (str(TOOLS), env.get("PYTHONPATH", "")) if p)
    env.update(
        {
            "DBT_TEST_ATHENA_S3_STAGING_DIR": f"s3://{bucket}/staging/",
            "DBT_TEST_ATHENA_S3_TMP_TABLE_DIR": f"s3://{bucket}/tmp-tables/",
            "DBT_TEST_ATHENA_REGION_NAME": args.region,
            "DBT_TEST_ATHENA_DATABASE": "awsdatacatalog",
            "DBT_TEST_ATHENA_SCHEMA": "dbt_functional",
            "DBT_TEST_ATHENA_WORK_GROUP": "primary",
            "DBT_TEST_ATHENA_THREADS": str(args.threads),
            "DBT_TEST_ATHENA_POLL_INTERVAL": f"{args.poll_interval:g}",
            "DBT_TEST_ATHENA_NUM_RETRIES": str(args.num_retries),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONPATH": path,
            ENV_TIMEOUT: f"{args.test_timeout:g}",
        }
    )
    return env


def pytest_command(suite: Path, junit: Path, extra: Sequence[str]) -> list[str]:
    """pytest on the suite, with an empty ini of ours (not the package's: its addopts run
    ``-n auto``), one line per test as progress, no tracebacks (the JUnit report has them)."""
    root = suite.parent.parent  # the folder holding tests/ (the suite imports tests.functional…)
    ini = root / "pytest-ara.ini"
    ini.write_text("[pytest]\n")
    return [
        sys.executable,
        "-m",
        "pytest",
        str(suite),
        "-c",
        str(ini),
        "--rootdir",
        str(root),
        "-p",
        "no:cacheprovider",
        "-p",
        PLUGIN,
        "--junitxml",
        str(junit),
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_logging=all",
        "-v",
        "--tb=no",
        "-rN",
        "--disable-warnings",
        *extra,
    ]


# ---------------------------------------------------------------------------------------------
# command line


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="athena_functional.py",
        description="Run dbt-athena's functional test suite against the local Athena endpoint "
        "and summarise it: counts, and failures grouped by their Athena failure reason.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  .venv/bin/python tools/athena_functional.py --out /tmp/functional.md\n"
        "  .venv/bin/python tools/athena_functional.py -- -k 'hive and not snapshot' -x\n"
        "  make athena-functional ARGS='--out summary.json -- -n 2'\n\n"
        "exit status:\n  0  the suite ran (whatever its tests' outcomes)\n"
        "  1  runtime failure: no suite, no endpoint, no JUnit report, nothing selected\n"
        "  2  usage error",
    )
    p.add_argument(
        "--git-dir",
        type=Path,
        default=DEFAULT_GIT_DIR,
        help=f"a git directory of dbt-labs/dbt-adapters (default {DEFAULT_GIT_DIR})",
    )
    p.add_argument("--ref", default="stable", help="the ref to extract (default stable)")
    p.add_argument(
        "--suite",
        type=Path,
        help="use this dbt-athena tests/functional folder instead of extracting one",
    )
    p.add_argument(
        "--out",
        type=Path,
        action="append",
        help="write the summary here, repeatable: JSON for a .json name, else Markdown",
    )
    p.add_argument("--region", default="us-east-1", help="the endpoint's region (us-east-1)")
    p.add_argument("--threads", type=int, default=1, help="dbt threads (default 1)")
    p.add_argument(
        "--poll-interval",
        type=_positive(float),
        default=0.2,
        help="dbt-athena's poll interval in seconds (default 0.2)",
    )
    p.add_argument(
        "--num-retries", type=_positive(int), default=0, help="dbt-athena's retries (default 0)"
    )
    p.add_argument(
        "--test-timeout",
        type=_positive(float),
        default=300.0,
        help="bound each test's setup, call and teardown to this many seconds (0: none; 300)",
    )
    p.add_argument("--keep", action="store_true", help="keep the work folder (suite, JUnit report)")
    p.add_argument(
        "--from-junit",
        type=Path,
        metavar="XML",
        help="summarise the JUnit report of an earlier run (kept with --keep) without running",
    )
    p.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest")
    return p


def run(args: argparse.Namespace) -> Summary:
    work = Path(tempfile.mkdtemp(prefix="athena-functional-"))
    try:
        if args.suite is not None:
            if not (args.suite / "conftest.py").is_file():
                raise FunctionalError(f"{args.suite} has no conftest.py (a tests/functional?)")
            target = work / SUITE_PATH
            shutil.copytree(args.suite.parent, target.parent)
            source = str(args.suite)
        else:
            extract_suite(args.git_dir, args.ref, work)
            commit = _git("--git-dir", str(args.git_dir), "rev-parse", "--short", args.ref)
            source = f"{SUITE_PATH} at {args.ref} ({commit}) of {args.git_dir}"
        suite = work / SUITE_PATH
        junit = work / "junit.xml"
        command = pytest_command(suite, junit, args.pytest_args)
        started = time.monotonic()
        state = endpoint_state()
        with local_endpoint(args.region) as (server, bucket):
            print(f"athena_functional: local endpoint on {server.endpoint}; suite {source}")
            print("athena_functional: " + " ".join(command[1:]), flush=True)
            env = suite_env(server.env(), bucket, args)
            done = subprocess.run(command, cwd=suite.parent.parent, env=env)
        if done.returncode == 4:
            raise UsageError("pytest refused the arguments after -- (its usage error above)")
        if not junit.is_file():
            raise FunctionalError(f"pytest (exit {done.returncode}) wrote no JUnit report")
        cases, collection_errors = parse_junit(junit)
        if not cases and not collection_errors:
            raise FunctionalError(f"no test selected (pytest exit {done.returncode})")
        summary = Summary(source, time.monotonic() - started, done.returncode, cases)
        summary.collection_errors = collection_errors
        summary.endpoint = state
        if args.keep:
            print(f"athena_functional: kept {work}")
        return summary
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


class UsageError(Exception):
    """Bad arguments found after parsing (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.threads < 1:
        parser().error("--threads must be at least 1")
    try:
        if args.from_junit is not None:
            cases, errors = parse_junit(args.from_junit)
            summary = Summary(f"JUnit report {args.from_junit}", 0.0, None, cases, errors)
        else:
            summary = run(args)
        for out in args.out or []:
            text = render_json(summary) if out.suffix == ".json" else render_markdown(summary)
            try:
                out.write_text(text)
            except OSError as exc:
                raise FunctionalError(f"cannot write {out}: {exc.strerror or exc}") from None
    except UsageError as exc:
        print(f"athena_functional: error: {exc}", file=sys.stderr)
        return 2
    except FunctionalError as exc:
        print(f"athena_functional: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("athena_functional: error: interrupted", file=sys.stderr)
        return 1
    try:
        print_summary(summary)
        for out in args.out or []:
            print(f"athena_functional: summary written to {out}")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
