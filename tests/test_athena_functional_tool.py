"""tools/athena_functional.py, the runner of dbt-athena's functional suite on the local endpoint
(``make athena-functional``): its pytest plugin's skip classification and phase bound, the
JUnit summary and failure groups, the suite's extraction from git, the command line's exits.

The suite itself is not run here (it takes half an hour): a small suite written in each test
stands in, run by the same pytest command the tool runs. pytest's skip/skipif/xfail semantics:
https://docs.pytest.org/en/stable/how-to/skipping.html; JUnit XML: https://docs.pytest.org/en/stable/how-to/output.html#creating-junitxml-format-files
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import athena_functional as af  # noqa: E402

TOOL = REPO / "tools" / "athena_functional.py"

SUITE = """
import time

import pytest


@pytest.mark.skip(reason="not on this adapter")
def test_marked_skip():
    pass


@pytest.mark.skipif(True, reason="dbt-core lacks the feature")
def test_marked_skipif():
    pass


@pytest.fixture
def table_bucket():
    pytest.skip("pre-provisioned bucket not found")


def test_runtime_skip(table_bucket):
    pass


@pytest.mark.skipif(False, reason="never true")
def test_skipif_false_then_runtime_skip(table_bucket):
    pass


@pytest.mark.xfail(reason="known adapter gap")
def test_xfail():
    assert False


def test_passes():
    pass


def test_athena_failure():
    print("Database Error in model m (models/m.sql)")
    print("  NOT_SUPPORTED: function date_parse is not supported (line 12)")
    assert False, "dbt exit state did not match expected"


def test_athena_failure_same_group():
    print("  NOT_SUPPORTED: function date_parse is not supported (line 40)")
    assert False, "dbt exit state did not match expected"


def test_plain_failure():
    assert 1 == 2


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")


def test_fails_then_teardown_error(broken_teardown):
    assert False


@pytest.fixture
def missing_table():
    raise RuntimeError(
        "An error occurred (EntityNotFoundException) when calling the GetTable operation: "
        "Table test1766000000123_x not found"
    )


def test_setup_error(missing_table):
    pass


def test_hangs():
    time.sleep(30)


class TestSeedFails:
    @pytest.fixture(scope="class")
    def seeded(self):
        print(
            "  HIVE_BAD_DATA: s3://bucket/staging/test1766000000999_x/seed/"
            "5ea56292-3668-4103-a314-294a7ec898db/seed.csv is not a valid Parquet file"
        )
        raise AssertionError("dbt exit state did not match expected")

    def test_first(self, seeded):
        pass

    def test_second(self, seeded):  # pytest re-raises the cached error: no output here
        pass
"""


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, af.Case]:
    """The small suite run as the tool runs dbt-athena's, each phase bounded to 2 s."""
    root = tmp_path_factory.mktemp("pkg")
    suite = root / "tests" / "functional"
    suite.mkdir(parents=True)
    (root / "tests" / "__init__.py").write_text("")
    (suite / "__init__.py").write_text("")
    (suite / "conftest.py").write_text("")
    (suite / "test_small.py").write_text(SUITE)
    junit = root / "junit.xml"
    env = {**os.environ, "PYTHONPATH": str(REPO / "tools"), af.ENV_TIMEOUT: "2"}
    done = subprocess.run(
        af.pytest_command(suite, junit, ["-p", "no:xdist"]),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # some tests failed
    cases, collection_errors = af.parse_junit(junit)
    assert collection_errors == []
    return {c.test_id.rsplit("::", 1)[1]: c for c in cases}


def test_one_case_per_test_with_its_outcome(summary: dict[str, af.Case]) -> None:
    outcomes = {name: c.outcome for name, c in summary.items()}
    assert outcomes == {
        "test_marked_skip": "skipped",
        "test_marked_skipif": "skipped",
        "test_runtime_skip": "skipped",
        "test_skipif_false_then_runtime_skip": "skipped",
        "test_xfail": "xfailed",
        "test_passes": "passed",
        "test_athena_failure": "failed",
        "test_athena_failure_same_group": "failed",
        "test_plain_failure": "failed",
        "test_fails_then_teardown_error": "failed",  # one case, not two (JUnit has two)
        "test_setup_error": "errored",
        "test_hangs": "failed",
        "test_first": "errored",
        "test_second": "errored",
    }
    assert summary["test_fails_then_teardown_error"].teardown_error
    assert all(c.test_id.startswith("tests/functional/test_small.py::") for c in summary.values())


def test_skips_by_the_suites_own_markers_are_told_from_runtime_skips(
    summary: dict[str, af.Case],
) -> None:
    sources = {n: c.skip_source for n, c in summary.items() if c.outcome == "skipped"}
    assert sources == {
        "test_marked_skip": "marker",
        "test_marked_skipif": "marker",
        "test_runtime_skip": "runtime",
        "test_skipif_false_then_runtime_skip": "runtime",  # its skipif was false
    }
    result = af.Summary("small", 1.0, 1, list(summary.values()))
    totals = result.totals()
    assert (totals["collected"], totals["skipped_by_marker"], totals["in_scope"]) == (14, 2, 12)
    assert (totals["passed"], totals["failed"], totals["errored"]) == (1, 5, 3)


def test_failures_grouped_by_athena_reason_then_aws_error_then_message(
    summary: dict[str, af.Case],
) -> None:
    groups = {g.key: g for g in af.group_failures(list(summary.values()))}
    athena = groups["NOT_SUPPORTED: function date_parse is not supported (line N)"]
    assert athena.count == 2  # the line numbers differ
    assert athena.sample.startswith("NOT_SUPPORTED: function date_parse is not supported (line")
    assert groups["EntityNotFoundException (GetTable): Table <schema> not found"].count == 1
    assert summary["test_plain_failure"].key == "assert N == N"
    hung = summary["test_hangs"]
    assert hung.key is not None and "PhaseTimeout" in hung.key and "ran over" in hung.key
    assert hung.seconds < 10  # bounded at 2 s, not the 30 s sleep
    seed = groups["HIVE_BAD_DATA: <location> is not a valid Parquet file"]
    assert seed.count == 2  # the class fixture's error, shared by its second test
    assert seed.examples == [summary[n].test_id for n in ("test_first", "test_second")]


def test_markdown_and_json_carry_the_totals_and_groups(summary: dict[str, af.Case]) -> None:
    result = af.Summary("small", 60.0, 1, list(summary.values()))
    text = af.render_markdown(result)
    assert "| 14 | 1 | 5 | 3 | 4 (2 / 2) | 1 | 0 | 12 |" in text
    assert "- **2**: `NOT_SUPPORTED: function date_parse is not supported (line N)`" in text
    data = af.render_json(result)
    assert '"in_scope": 12' in data and '"skipped_by_marker": 2' in data


def test_extracts_the_suite_from_a_git_dir(tmp_path: Path) -> None:
    repo = tmp_path / "adapters"
    functional = repo / "dbt-athena" / "tests" / "functional"
    functional.mkdir(parents=True)
    (functional / "conftest.py").write_text("# the suite's conftest\n")
    (repo / "dbt-athena" / "tests" / "__init__.py").write_text("")
    (repo / "other.txt").write_text("not extracted\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "stable"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "suite"], check=True)
    out = tmp_path / "out"
    suite = af.extract_suite(repo / ".git", "stable", out)
    assert suite == out / "dbt-athena" / "tests" / "functional"
    assert (suite / "conftest.py").read_text() == "# the suite's conftest\n"
    assert not (out / "other.txt").exists()
    with pytest.raises(af.FunctionalError, match="git archive no-such-ref"):
        af.extract_suite(repo / ".git", "no-such-ref", tmp_path / "out2")


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)


def test_command_line_exits(tmp_path: Path) -> None:
    shown = _tool("--help")
    assert shown.returncode == 0 and "--git-dir" in shown.stdout and "in scope" not in shown.stderr
    usage = _tool("--threads", "0")
    assert usage.returncode == 2 and "--threads" in usage.stderr
    bad = _tool("--poll-interval", "-1")
    assert bad.returncode == 2
    missing = _tool("--git-dir", str(tmp_path / "none"))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0, missing.stderr  # one line
    assert missing.stderr.startswith("athena_functional: error: no git directory at ")
    no_suite = _tool("--suite", str(tmp_path))
    assert no_suite.returncode == 1 and "has no conftest.py" in no_suite.stderr
