"""``ara athena bootstrap`` against a real moto server over HTTP (tests/conftest.py).

moto's Athena records every query string it is given and reports SUCCEEDED without running it,
so these tests read the submissions back through the Athena API (ListQueryExecutions and
GetQueryExecution in a workgroup created for the test) and check order and rendering. The
failure path, which moto cannot produce, is in tests/test_athena_failures.py.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter import _contract as contract
from exporter.athena import DEFAULT_MANIFEST, SQL_DIR, AthenaRunner, AthenaSettings, bootstrap
from exporter.cli import main

ROOT = "s3://results-bucket/sweeps/prod"
DATABASE = "ara_it_db"
OUTPUT = "s3://athena-query-results/ara/"


@pytest.fixture
def workgroup(moto: Any) -> str:
    """A fresh workgroup, so this test's submissions can be listed apart from the others'."""
    name = f"ara-{uuid.uuid4().hex[:12]}"
    moto.client("athena").create_work_group(Name=name)
    return name


def submitted(moto: Any, workgroup: str) -> list[dict[str, Any]]:
    """Every query submitted in ``workgroup``, read back from the Athena API, oldest first."""
    athena = moto.client("athena")
    ids: list[str] = []
    for page in athena.get_paginator("list_query_executions").paginate(WorkGroup=workgroup):
        ids.extend(page["QueryExecutionIds"])
    executions = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    return sorted(executions, key=lambda e: e["Status"]["SubmissionDateTime"])


def expected_sql(path: Path, values: dict[str, str]) -> str:
    """An independent rendering: drop comment lines, substitute, trim (what Athena must get)."""
    lines = [ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("--")]
    sql = "\n".join(ln.rstrip() for ln in lines).strip()
    for key, value in values.items():
        sql = sql.replace("${" + key + "}", value)
    return sql.rstrip(";").strip()


VALUES = {
    "database": DATABASE,
    "root": ROOT,
    "bucket": "results-bucket",
    "schema_version": contract.SCHEMA_VERSION,
}


def cli(*args: str) -> list[str]:
    return [
        "athena",
        "bootstrap",
        *args,
        "--root",
        ROOT,
        "--database",
        DATABASE,
        "--output-location",
        OUTPUT,
        "--poll-interval",
        "0",
    ]


def test_bootstrap_submits_every_statement_in_manifest_order(
    moto: Any, workgroup: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli("--workgroup", workgroup, "--region", moto.region)) == 0

    entries = yaml.safe_load(DEFAULT_MANIFEST.read_text())["statements"]
    runs = submitted(moto, workgroup)
    assert [e["Query"] for e in runs] == [expected_sql(SQL_DIR / e, VALUES) for e in entries]
    assert all(e["Status"]["State"] == "SUCCEEDED" for e in runs)
    assert all(e["ResultConfiguration"]["OutputLocation"].startswith(OUTPUT) for e in runs)
    queries = "\n".join(e["Query"] for e in runs)
    assert "${" not in queries
    for name in contract.DATASETS:
        assert f"CREATE EXTERNAL TABLE IF NOT EXISTS {DATABASE}.{name} (" in queries
        assert f"LOCATION '{ROOT}/{name}/'" in queries

    err = capsys.readouterr().err
    ids = [e["QueryExecutionId"] for e in runs]
    for index, (entry, query_id) in enumerate(zip(entries, ids, strict=True), 1):
        assert f"[{index}/{len(entries)}] {entry} … SUCCEEDED" in err
        assert query_id in err


def test_settings_come_from_the_environment(
    moto: Any, workgroup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARA_ROOT", "s3://env-bucket/from-env")
    monkeypatch.setenv("ARA_ATHENA_DATABASE", "env_db")
    monkeypatch.setenv("ARA_ATHENA_WORKGROUP", workgroup)
    monkeypatch.setenv("ARA_ATHENA_OUTPUT_LOCATION", OUTPUT)
    assert main(["athena", "bootstrap", "--poll-interval", "0"]) == 0
    runs = submitted(moto, workgroup)
    assert runs[0]["Query"] == "CREATE DATABASE IF NOT EXISTS env_db"
    assert any("LOCATION 's3://env-bucket/from-env/outcomes/'" in e["Query"] for e in runs)


def _copy_sql(tmp_path: Path) -> Path:
    for path in SQL_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize(
    "order",
    [
        ["create_table_outcomes.sql", "create_database.sql", "create_table_run_context.sql"],
        ["create_view_outcome_params.sql", "extra_grant.sql", "create_database.sql"],
    ],
    ids=["reordered-subset", "with-an-added-file"],
)
def test_editing_the_manifest_changes_what_runs(
    moto: Any, workgroup: str, tmp_path: Path, order: list[str]
) -> None:
    folder = _copy_sql(tmp_path)
    (folder / "extra_grant.sql").write_text(
        "-- an operator's own statement\nSHOW TABLES IN ${database}\n"
    )
    manifest = folder / "ops.yml"
    manifest.write_text(yaml.safe_dump({"statements": order}))
    settings = AthenaSettings(
        root=ROOT, database=DATABASE, workgroup=workgroup, output_location=OUTPUT
    )
    runner = AthenaRunner.for_settings(settings, client=moto.client("athena"), poll_interval=0)

    results = bootstrap(settings, manifest, runner=runner)

    runs = submitted(moto, workgroup)
    assert [e["Query"] for e in runs] == [expected_sql(folder / e, VALUES) for e in order]
    assert [r.entry for r in results] == order
    assert [r.query_execution_id for r in results] == [e["QueryExecutionId"] for e in runs]


def test_a_plain_text_manifest_works_too(moto: Any, workgroup: str, tmp_path: Path) -> None:
    folder = _copy_sql(tmp_path)
    (folder / "order.txt").write_text(
        "# one file per line\ncreate_database.sql\n\ncreate_table_outcomes.sql  # the big one\n"
    )
    argv = cli("--workgroup", workgroup, "--region", moto.region)
    assert main([*argv, "--manifest", str(folder / "order.txt")]) == 0
    assert [e["Query"].split("(")[0].strip() for e in submitted(moto, workgroup)] == [
        f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {DATABASE}.outcomes",
    ]


def test_dry_run_prints_the_statements_in_order_and_submits_nothing(
    moto: Any, workgroup: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli("--workgroup", workgroup, "--dry-run")]) == 0
    out = capsys.readouterr().out
    entries = yaml.safe_load(DEFAULT_MANIFEST.read_text())["statements"]
    positions = [out.index(f"-- [{i}/{len(entries)}] {e}") for i, e in enumerate(entries, 1)]
    assert positions == sorted(positions)
    for entry in entries:
        assert expected_sql(SQL_DIR / entry, VALUES) + ";" in out
    assert submitted(moto, workgroup) == []


def _manifest(tmp_path: Path, *files: tuple[str, str]) -> Path:
    for name, text in files:
        (tmp_path / name).write_text(text)
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(yaml.safe_dump({"statements": [name for name, _ in files]}))
    return manifest


GOOD = "CREATE DATABASE IF NOT EXISTS ${database}\n"


@pytest.mark.parametrize(
    ("setup", "extra_args", "expected"),
    [
        (
            lambda p: _manifest(p, ("a.sql", GOOD), ("b.sql", "SELECT '${nope}'\n")),
            [],
            ["b.sql", "unknown placeholder ${nope}"],
        ),
        (
            lambda p: _manifest(p, ("a.sql", GOOD), ("b.sql", "-- only a comment\n")),
            [],
            ["b.sql", "no SQL statement"],
        ),
        (
            lambda p: _manifest(p, ("a.sql", GOOD), ("b.sql", "SELECT 1; SELECT 2\n")),
            [],
            ["b.sql", "more than one statement"],
        ),
        (
            lambda p: _manifest(p, ("a.sql", GOOD)).with_name("missing.yml"),
            [],
            ["missing.yml", "no such file"],
        ),
        (
            lambda p: (p / "empty.yml").write_text("statements: []\n") and p / "empty.yml",
            [],
            ["empty.yml", "lists no SQL files"],
        ),
        (
            lambda p: (
                (p / "gone.yml").write_text("statements: [a.sql, gone.sql]\n")
                and (p / "a.sql").write_text(GOOD)
                and p / "gone.yml"
            ),
            [],
            ["gone.sql", "no such file"],
        ),
        (
            lambda p: (p / "typo.yml").write_text("statement: [a.sql]\n") and p / "typo.yml",
            [],
            ["typo.yml", "expected a 'statements:' list", "['statement']"],
        ),
        (
            lambda p: (
                (p / "dup.yml").write_text("statements: [a.sql, a.sql]\n")
                and (p / "a.sql").write_text(GOOD)
                and p / "dup.yml"
            ),
            [],
            ["'a.sql' is listed twice"],
        ),
        (lambda p: None, ["--database", "prod-db"], ["database='prod-db'"]),
        (lambda p: None, ["--database", "x; DROP TABLE y"], ["database="]),
        (lambda p: None, ["--root", "s3://Bad_Bucket/x"], ["bucket='Bad_Bucket'"]),
        (lambda p: None, ["--root", "s3://ok-bucket/a/../b"], ["prefix='a/../b'"]),
        (lambda p: None, ["--root", "s3://ok-bucket/it's"], ['prefix="it\'s"']),
        (lambda p: None, ["--root", "s3://ok-bucket/run_date=x"], ["prefix='run_date=x'"]),
        (lambda p: None, ["--root", "./warehouse"], ["root='./warehouse'", "s3://"]),
        (lambda p: None, ["--output-location", "/tmp/out"], ["output_location='/tmp/out'"]),
        (lambda p: None, ["--workgroup", "bad wg"], ["workgroup='bad wg'"]),
    ],
    ids=[
        "unknown-placeholder",
        "empty-file",
        "two-statements",
        "missing-manifest",
        "empty-manifest",
        "missing-file",
        "manifest-key-typo",
        "duplicate-entry",
        "database-dash",
        "database-injection",
        "bucket",
        "prefix-dotdot",
        "prefix-quote",
        "prefix-equals",
        "local-root",
        "output-location",
        "workgroup",
    ],
)
def test_bad_input_is_one_clear_error_before_anything_is_submitted(
    moto: Any,
    workgroup: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setup: Any,
    extra_args: list[str],
    expected: list[str],
) -> None:
    manifest = setup(tmp_path)
    argv = cli("--workgroup", workgroup, "--region", moto.region)
    if manifest is not None:
        argv += ["--manifest", str(manifest)]
    argv += extra_args  # a repeated option: argparse keeps the last one
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("ara: error: ")
    for fragment in expected:
        assert fragment in err
    assert submitted(moto, workgroup) == []


def test_missing_output_location_and_region_are_clear_errors(
    moto: Any, workgroup: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["athena", "bootstrap", "--root", ROOT, "--workgroup", workgroup]
    monkeypatch.delenv("ARA_ATHENA_OUTPUT_LOCATION", raising=False)
    assert main(base) == 2
    assert "output_location not set: set --output-location" in capsys.readouterr().err
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert main([*base, "--output-location", OUTPUT]) == 2
    assert "region not set: set --region" in capsys.readouterr().err
    assert submitted(moto, workgroup) == []


def test_every_athena_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["athena"],
        ["athena", "bootstrap"],
        ["athena", "add-partitions"],
        ["athena", "repair"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0
        assert "usage: ara athena" in capsys.readouterr().out


def test_repair_runs_msck_on_the_three_tables_in_order(moto: Any, workgroup: str) -> None:
    argv = cli("--workgroup", workgroup, "--region", moto.region)
    argv[1] = "repair"
    assert main(argv) == 0
    assert [e["Query"] for e in submitted(moto, workgroup)] == [
        f"MSCK REPAIR TABLE {DATABASE}.{name}" for name in contract.DATASETS
    ]


def test_manifest_from_the_environment(
    moto: Any, workgroup: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "only.sql").write_text("CREATE DATABASE IF NOT EXISTS ${database}\n")
    (tmp_path / "m.yml").write_text("statements:\n  - only.sql\n")
    monkeypatch.setenv("ARA_ATHENA_MANIFEST", str(tmp_path / "m.yml"))
    assert main(cli("--workgroup", workgroup, "--region", moto.region)) == 0
    assert [e["Query"] for e in submitted(moto, workgroup)] == [
        f"CREATE DATABASE IF NOT EXISTS {DATABASE}"
    ]


def _runbook_block(marker: str) -> str:
    text = (Path(__file__).resolve().parent.parent / "docs" / "runbook.md").read_text()
    blocks = [b for b in text.split("```sql\n")[1:] if marker in b.split("```")[0]]
    assert len(blocks) == 1, marker
    return blocks[0].split("```")[0]


def test_a_literal_placeholder_is_escaped_with_a_double_dollar(
    moto: Any, workgroup: str, tmp_path: Path
) -> None:
    """The runbook's partition projection statement, as a manifest file: $${run_date} reaches
    Athena as ${run_date}; ${database} and ${root} are still filled in."""
    manifest = _manifest(
        tmp_path,
        ("a.sql", GOOD),
        ("projection_outcomes_by_run.sql", _runbook_block("$${run_date}")),
    )
    settings = AthenaSettings(
        root=ROOT, database=DATABASE, workgroup=workgroup, output_location=OUTPUT
    )
    runner = AthenaRunner.for_settings(settings, client=moto.client("athena"), poll_interval=0)
    bootstrap(settings, manifest, runner=runner)
    query = submitted(moto, workgroup)[-1]["Query"]
    assert query.startswith(f"ALTER TABLE {DATABASE}.outcomes_by_run SET TBLPROPERTIES (")
    template = f"{ROOT}/outcomes/run_date=${{run_date}}/run_id=${{run_id}}/"
    assert f"'storage.location.template' = '{template}'" in query
    assert "$$" not in query and "${database}" not in query and "${root}" not in query


@pytest.mark.parametrize(
    ("sql", "rendered"),
    [
        ("SELECT '$${run_date}'", "SELECT '${run_date}'"),
        ("SELECT '$${database}', '${database}'", f"SELECT '${{database}}', '{DATABASE}'"),
        ("SELECT '$$${database}'", "SELECT '$${database}'"),
    ],
)
def test_render_sql_keeps_escaped_placeholders_literal(sql: str, rendered: str) -> None:
    from exporter.athena import render_sql

    values = {"database": DATABASE, "root": ROOT}
    assert render_sql(sql, values, entry="x.sql") == rendered


def test_a_bare_unknown_placeholder_names_the_escape() -> None:
    from exporter.athena import render_sql
    from exporter.errors import ManifestError

    with pytest.raises(
        ManifestError, match=r"unknown placeholder \$\{run_date\}.*\$\$\{run_date\}"
    ):
        render_sql("SELECT '${run_date}'", {"database": DATABASE}, entry="x.sql")
