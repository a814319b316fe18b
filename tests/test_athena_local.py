"""The whole Athena path, executed offline against the local Athena endpoint
(local_athena).

One endpoint for the module (S3 and Glue from moto, the Athena query API executed by the
project's Trino-faithful DuckDB engine) and one sequence, recorded stage by stage:

1. ``ara athena bootstrap`` runs every manifest statement; the reference sweep (fixed dates) is
   exported into the endpoint's S3; ``ara athena add-partitions`` registers one run and
   ``ara athena repair`` the rest; ``dbt run-operation stage_external_sources`` re-stages them.
2. ``dbt build --target athena``: the first build (every mart created by CTAS);
3. ``ara sweep --root s3://…`` exports a new run, add-partitions registers it, a second build
   (incremental: the project's Iceberg MERGE of the run window);
4. a build with ``reprocess_run_ids`` naming a run outside the window;
5. a ``--full-refresh`` build; then ``dbt docs generate --target athena``.

After each build every mart, read through the endpoint's Athena API, equals the local
target's (dbt-duckdb over the same S3 exports): same rows, column types and values (doubles as
Athena's text, which round-trips). The run window is pinned by run_window_vars(WINDOW_SINCE).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from _athena_endpoint import (
    RAW_TABLES,
    athena_query,
    comparable,
    create_results_bucket,
    local_mart,
    s3_keys,
    scratch_database,
)
from _dbt_scenario import REPO, Dbt, export_reference_sweep
from athena_emulation import sql_blocks

from local_athena import ENV_FAIL, Execution, LocalAthena
from local_athena.engine import render_value

pytestmark = [pytest.mark.dbt, pytest.mark.s3]

ARA = str(Path(sys.executable).with_name("ara"))
MARTS = ("fct_point_outcomes", "dim_runs", "fct_run_metric_summary", "fct_point_params")
DBT_SCHEMA = "sweep_analytics_dbt"
RAW_DB = "sweep_analytics"
#: the run window of the incremental builds: sir-fine-step and sir-large-town (2026-11-21) and
#: the new run (today) are in it, sir-baseline (2026-11-20) is not
WINDOW_SINCE = date(2026, 11, 21)
OLD_RUN = "sir-baseline-20261120"
REGION = "eu-west-1"  # not the conftest moto server's region: its Glue stays apart


def run_window_vars(since: date) -> dict[str, Any]:
    """The dbt vars that pin the incremental builds' run window to ``run_date >= since``: the
    one place to change. The new run of the sequence comes from `ara sweep` (today's date, which
    the window always holds), so the reference date is today: var run_window_as_of where the
    project has it (ignored where not: dbt then takes the build's date, the same day) and
    lookback_days back from it to ``since``."""
    today = datetime.now(UTC).date()
    return {"run_window_as_of": today.isoformat(), "lookback_days": (today - since).days}


@dataclass
class Stage:
    """What one build left: each mart through the endpoint and locally, Glue, raw objects."""

    athena: dict[str, tuple[list[tuple[str, str]], list[tuple[str | None, ...]]]]
    local: dict[str, tuple[list[tuple[str, str]], list[tuple[str | None, ...]]]]
    tables: dict[str, dict[str, Any]]
    partitions: dict[str, list[dict[str, Any]]]
    objects: dict[str, list[str]]  # mart -> keys under its location
    files: dict[str, dict[str, set[str]]]  # mart -> run_date -> data files read
    raw_keys: set[str]
    results: dict[str, str]


@dataclass
class Path_:
    endpoint: LocalAthena
    env: dict[str, str]
    bucket: str
    bootstrap: subprocess.CompletedProcess[str]
    add_partitions: subprocess.CompletedProcess[str]
    repair: subprocess.CompletedProcess[str]
    staged: subprocess.CompletedProcess[str]
    sweep: subprocess.CompletedProcess[str]
    new_run: tuple[str, str]
    raw_before: set[str]
    stages: dict[str, Stage] = field(default_factory=dict)
    docs: Path | None = None
    runs_before_new: set[str] = field(default_factory=set)
    local: Dbt | None = None  # its last build: every export, as the final athena marts
    #: stage -> the statements its dbt build sent the endpoint
    statements: dict[str, list[Execution]] = field(default_factory=dict)


def _cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [ARA, *args], env=env, capture_output=True, text=True, timeout=300, cwd=REPO
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"ara {' '.join(args)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def _stage(path: Path_, athena_dbt: Dbt, local_dbt: Dbt) -> Stage:
    glue = path.endpoint.client("glue")
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=DBT_SCHEMA)["TableList"]}
    partitions: dict[str, list[dict[str, Any]]] = {}
    objects: dict[str, list[str]] = {}
    files: dict[str, dict[str, set[str]]] = {}
    athena: dict[str, Any] = {}
    local: dict[str, Any] = {}
    for mart in MARTS:
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName=DBT_SCHEMA, TableName=mart
        )
        partitions[mart] = [p for page in pages for p in page["Partitions"]]
        location = tables[mart]["StorageDescriptor"]["Location"].rstrip("/") + "/"
        objects[mart] = s3_keys(path.endpoint, path.bucket, location.split("/", 3)[3])
        # the data files of the mart's current snapshot, by run_date (Iceberg's $files table)
        state, reason, _, paths = athena_query(
            path.endpoint,
            f'SELECT partition, file_path FROM "{DBT_SCHEMA}"."{mart}$files" WHERE content = 0',
        )
        assert state == "SUCCEEDED", reason
        files[mart] = {}
        for part, file in paths:
            day = re.search(r"run_date=(\d{4}-\d{2}-\d{2})", str(part))
            assert day, part
            files[mart].setdefault(day.group(1), set()).add(str(file))
        state, reason, columns, rows = athena_query(
            path.endpoint, f'SELECT * FROM "{DBT_SCHEMA}"."{mart}"'
        )
        assert state == "SUCCEEDED", reason
        athena[mart] = (columns, rows)
        local[mart] = local_mart(local_dbt, mart)
    return Stage(
        athena=athena,
        local=local,
        tables=tables,
        partitions=partitions,
        objects=objects,
        files=files,
        raw_keys=set(s3_keys(path.endpoint, path.bucket, "exports/")),
        results=athena_dbt.results(),
    )


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalAthena]:
    with LocalAthena(region=REGION) as server:
        create_results_bucket(server)
        yield server


@pytest.fixture(scope="module")
def athena_path(endpoint: LocalAthena, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path_]:
    bucket = f"ara-local-{uuid.uuid4().hex[:10]}"
    endpoint.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    import os

    env = {**os.environ, **endpoint.env(bucket), "ARA_ATHENA_DATABASE": RAW_DB}
    env.pop(ENV_FAIL, None)
    root = env["ARA_ROOT"]
    bootstrap = _cli(env, "athena", "bootstrap")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in endpoint.env(bucket).items():
            mp.setenv(key, value)
        runs = export_reference_sweep(root)
    first = sorted(runs)[0]
    add = _cli(
        env,
        "athena",
        "add-partitions",
        "--run-id",
        first,
        "--run-date",
        re.search(r"(\d{4})(\d{2})(\d{2})$", first).expand(r"\1-\2-\3"),
    )  # type: ignore[union-attr]
    repair = _cli(env, "athena", "repair")
    athena_dbt = Dbt(
        tmp_path_factory.mktemp("athena_local_dbt"),
        root,
        env={k: v for k, v in env.items() if k.startswith(("AWS_", "ARA_"))},
        vars={**run_window_vars(WINDOW_SINCE), "test_whole_store": False},
    )
    local_dbt = Dbt(
        tmp_path_factory.mktemp("athena_local_local"),
        root,
        env={k: v for k, v in env.items() if k.startswith(("AWS_", "ARA_"))},
    )
    staged = athena_dbt.run("run-operation", "stage_external_sources", "--target", "athena")
    raw_before = set(s3_keys(endpoint, bucket, "exports/"))
    path = Path_(
        endpoint,
        env,
        bucket,
        bootstrap,
        add,
        repair,
        staged,
        subprocess.CompletedProcess([], 0),
        ("", ""),
        raw_before,
    )

    def build(stage: str, *extra: str, local: bool = False, **vars_: Any) -> None:
        """A dbt build on the endpoint; with ``local``, a full local build of the same exports
        (the reference every incremental athena build must equal). A build with other vars
        runs in its own workdir, so the others keep dbt's partial parse."""
        dbt = athena_dbt
        if vars_:
            dbt = Dbt(athena_dbt.workdir / stage, root, env=athena_dbt.env)
        dbt.vars = {**run_window_vars(WINDOW_SINCE), "test_whole_store": False, **vars_}
        started = time.monotonic()
        # the incremental builds as routine builds run (selectors.yml skip_slow_tests: no data
        # tests on the staging and intermediate views); the first and the full-refresh build
        # run every test
        unit = ("--selector", "skip_slow_tests") if stage in ("new_run", "reprocess") else ()
        with ThreadPoolExecutor(1) as pool:  # the local build runs meanwhile
            reference = (
                pool.submit(local_dbt.run, "build", "--target", "local", "--full-refresh")
                if local
                else None
            )
            sent = len(path.endpoint.history())
            dbt.run("build", "--target", "athena", *unit, *extra)
            path.statements[stage] = path.endpoint.history()[sent:]
            if reference is not None:
                reference.result()
        timings[f"builds {stage}"] = time.monotonic() - started
        path.stages[stage] = _stage(path, dbt, local_dbt)

    timings: dict[str, float] = {}
    build("first", local=True)
    path.runs_before_new = {r[0] for r in path.stages["first"].athena["dim_runs"][1]}
    path.sweep = _cli(
        env,
        "sweep",
        "--root",
        root,
        "--runs",
        "1",
        "--points-per-shard",
        "4",
        "--workers",
        "0",
        "--quiet",
    )
    m = re.search(r"^(sir-baseline-(\d{4})(\d{2})(\d{2})):", path.sweep.stdout, re.M)
    assert m, path.sweep.stdout
    path.new_run = (m.group(1), f"{m.group(2)}-{m.group(3)}-{m.group(4)}")
    _cli(
        env, "athena", "add-partitions", "--run-id", path.new_run[0], "--run-date", path.new_run[1]
    )
    path.raw_before = set(s3_keys(endpoint, bucket, "exports/"))
    build("new_run", local=True)
    build("reprocess", reprocess_run_ids=[OLD_RUN])
    build("full_refresh", "--full-refresh")
    athena_dbt.run("docs", "generate", "--target", "athena")
    path.docs = athena_dbt.target_path / "catalog.json"
    path.local = local_dbt
    print("\n".join(f"{k}: {v:.1f}s" for k, v in timings.items()))
    yield path


STAGES = ("first", "new_run", "reprocess", "full_refresh")


def test_bootstrap_ran_every_manifest_statement(athena_path: Path_) -> None:
    err = athena_path.bootstrap.stderr
    assert "done: 5/5 statements SUCCEEDED" in err, err
    glue = athena_path.endpoint.client("glue")
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=RAW_DB)["TableList"]}
    assert set(tables) >= {"run_context", "effective_params", "outcomes", "outcome_params"}
    outcomes = tables["outcomes"]
    assert outcomes["TableType"] == "EXTERNAL_TABLE"
    assert [k["Name"] for k in outcomes["PartitionKeys"]] == ["run_date", "run_id"]
    sd = outcomes["StorageDescriptor"]
    assert sd["Location"] == athena_path.env["ARA_ROOT"] + "/outcomes/"
    assert sd["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert {"Name": "metrics", "Type": "map<string,double>"} in sd["Columns"]
    view = tables["outcome_params"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert view["ViewOriginalText"].startswith("/* Presto View: ")


def test_partitions_registered_by_add_partitions_and_repair(athena_path: Path_) -> None:
    assert "1/1" not in athena_path.add_partitions.stderr
    assert "done: 3/3 statements SUCCEEDED" in athena_path.add_partitions.stderr
    assert "done: 3/3 statements SUCCEEDED" in athena_path.repair.stderr
    glue = athena_path.endpoint.client("glue")
    for table in ("run_context", "effective_params", "outcomes"):
        parts = glue.get_partitions(DatabaseName=RAW_DB, TableName=table)["Partitions"]
        values = sorted(tuple(p["Values"]) for p in parts)
        assert len(values) == len(set(values))
        assert (athena_path.new_run[1], athena_path.new_run[0]) in values, table
        assert ("2026-11-20", OLD_RUN) in values, table
        for p in parts:
            loc = p["StorageDescriptor"]["Location"]
            assert loc.startswith(
                f"{athena_path.env['ARA_ROOT']}/{table}/run_date={p['Values'][0]}/"
            )
    assert "msck repair table" in athena_path.staged.stdout.lower()


@pytest.mark.parametrize("stage", STAGES)
def test_every_mart_equals_the_local_target(athena_path: Path_, stage: str) -> None:
    built = athena_path.stages[stage]
    assert set(built.results.values()) <= {"success", "pass"}, built.results
    passed = [name for name, status in built.results.items() if status == "pass"]
    assert "unique_dim_runs_run_id" in passed and len(passed) >= (
        40 if stage in ("first", "full_refresh") else 15
    ), (stage, len(passed))
    for mart in MARTS:
        a_columns, a_rows = built.athena[mart]
        l_columns, l_rows = built.local[mart]
        assert a_columns == l_columns, mart
        assert len(a_rows) == len(l_rows) > 0, mart
        assert comparable(a_columns, a_rows) == comparable(l_columns, l_rows), mart


def test_the_builds_see_every_run(athena_path: Path_) -> None:
    runs = {
        stage: {r[0] for r in athena_path.stages[stage].athena["dim_runs"][1]} for stage in STAGES
    }
    new = athena_path.new_run[0]
    assert new not in runs["first"] and OLD_RUN in runs["first"]
    for stage in STAGES[1:]:
        assert runs[stage] == runs["first"] | {new}, stage


def test_glue_after_the_builds(athena_path: Path_) -> None:
    data_dir = athena_path.env["ARA_ATHENA_DATA_DIR"]
    for stage in STAGES:
        built = athena_path.stages[stage]
        for mart in MARTS:
            table = built.tables[mart]
            sd = table["StorageDescriptor"]
            # an Iceberg table: its metadata pointer in Glue, no Glue partitions
            assert table["Parameters"]["table_type"].upper() == "ICEBERG", (stage, mart)
            assert table["Parameters"]["metadata_location"].startswith(sd["Location"]), table
            assert sd["Location"].startswith(data_dir + DBT_SCHEMA + "/" + mart + "/"), sd
            assert not table.get("PartitionKeys") and not built.partitions[mart], (stage, mart)
            # persist_docs: the model's and its columns' descriptions
            assert "one row per" in table.get("Description", "").lower() or table["Parameters"].get(
                "comment"
            ), (stage, mart)
            assert all(c.get("Comment") for c in sd["Columns"]), (stage, mart)
        for name in ("stg_sweep__outcomes", "int_outcomes_joined_to_params"):
            assert built.tables[name]["TableType"] == "VIRTUAL_VIEW"
        # a passing build leaves no work table: no stage, next or backup (its on-run-end
        # removes the backups, so no second catalog entry points at a mart's files)
        leftovers = [n for n in built.tables if n.endswith("__dbt_tmp") or "__ara_" in n]
        assert not leftovers, (stage, leftovers)


def test_the_window_replaces_its_partitions(athena_path: Path_) -> None:
    """A window partition's files are new after an incremental build, one outside it keeps
    its files; a reprocessed run_date is rewritten too."""

    def files(stage: str) -> dict[str, set[str]]:
        return athena_path.stages[stage].files["fct_point_outcomes"]

    before, after, reprocess = files("first"), files("new_run"), files("reprocess")
    inside = [d for d in before if d >= "2026-11-21"]
    outside = [d for d in before if d == "2026-11-20"]
    assert inside and outside
    for day in inside:
        assert after[day] and not after[day] & before[day], day  # rewritten
    for day in outside:
        assert after[day] == before[day], day  # outside the window: untouched
        assert reprocess[day] and not reprocess[day] & before[day], day


def _node(sql: str) -> str:
    """The dbt node a statement belongs to (dbt's query comment): model.dim_runs, test.<name>."""
    m = re.search(r'"node_id": "([^"]+)"', sql)
    if not m:
        return ""
    kind, _, name = m.group(1).split(".")[:3]
    return f"{kind}.{name}"


def _outside(
    statements: list[Execution], since: date, also: set[str]
) -> list[tuple[str, str, tuple[str | None, ...]]]:
    """(node, table, partition values) of every partition read outside the run window (an
    unpartitioned table, the build's stage of the window, has nothing to prune)."""
    found = []
    for statement in statements:
        for database, table, values in sorted(statement.partitions_read, key=str):
            day = values[0] if values else ""
            if values and (day is None or (day < since.isoformat() and day not in also)):
                found.append((_node(statement.sql), f"{database}.{table}", values))
    return found


def test_a_windowed_build_reads_only_the_window(athena_path: Path_) -> None:
    """Issue 16: on Athena too the run window reaches the raw read. Every statement of the
    incremental builds (marts and the marts' data tests) reads only the window's partitions of
    the raw tables, pruned through the staging and intermediate views (their unpivots
    included), and of the marts; a full refresh reads every raw partition. The endpoint
    counts a partition read when DuckDB read data pages of its files."""
    statements = athena_path.statements
    full = _outside(statements["full_refresh"], WINDOW_SINCE, set())
    assert {t for _, t, _ in full} >= {f"{RAW_DB}.{t}" for t in RAW_TABLES}  # it can fail
    state, reason, _, rows = athena_query(
        athena_path.endpoint,
        f'SELECT DISTINCT base_run_id FROM "{DBT_SCHEMA}"."fct_point_comparisons"',
    )
    assert state == "SUCCEEDED", reason
    bases = {r[0] for r in rows}
    assert OLD_RUN in bases  # the new run's base, outside the window
    reprocessed = {OLD_RUN[-8:-4] + "-" + OLD_RUN[-4:-2] + "-" + OLD_RUN[-2:]}
    for stage, also in (("new_run", set()), ("reprocess", reprocessed)):
        read_raw = {
            (t, v[0]) for s in statements[stage] for d, t, v in s.partitions_read if d == RAW_DB
        }
        assert {t for t, _ in read_raw} == set(RAW_TABLES), stage  # the window was read
        outside = [
            (node, table, values)
            for node, table, values in _outside(statements[stage], WINDOW_SINCE, also)
            # by design, a comparison's base run may be older than the window: the model reads
            # dim_runs (one row per run) whole and the base run's points; its relationships
            # test reads dim_runs whole (meta parent_in_window: false)
            if not (
                node == "model.fct_point_comparisons"
                or node.startswith("test.relationships_fct_point_compar")
            )
            or not (
                table == f"{DBT_SCHEMA}.dim_runs"
                or (table == f"{DBT_SCHEMA}.fct_point_outcomes" and values[-1] in bases)
            )
        ]
        assert not outside, (stage, outside)


def test_no_object_written_under_the_raw_export_root(athena_path: Path_) -> None:
    for stage in ("new_run", "reprocess", "full_refresh"):
        assert athena_path.stages[stage].raw_keys == athena_path.raw_before, stage


def test_docs_generate_reads_the_catalog(athena_path: Path_) -> None:
    assert athena_path.docs is not None
    catalog = json.loads(athena_path.docs.read_text())
    nodes = {n["metadata"]["name"]: n for n in catalog["nodes"].values()}
    for mart in MARTS:
        assert mart in nodes
        columns = nodes[mart]["columns"]
        assert "run_date" in columns and columns["run_date"]["type"] == "date"


def test_runbook_example_queries_agree_with_the_marts(athena_path: Path_) -> None:
    """The runbook's queries over the bootstrap's tables, through the endpoint, against the
    local target's marts over the same exports (moved here from the transpile-only emulation)."""
    queries = sql_blocks((REPO / "docs" / "runbook.md").read_text())
    assert len(queries) >= 3
    answers = [athena_query(athena_path.endpoint, q, RAW_DB) for q in queries]
    for query, (state, reason, _, _) in zip(queries, answers, strict=True):
        assert state == "SUCCEEDED", (query, reason)
    assert athena_path.local is not None
    (_, _, joined_cols, joined), (_, _, _, per_run), (_, _, _, one_run) = answers[:3]
    types = [t for _, t in joined_cols]
    expected = [
        tuple(render_value(v, t) for v, t in zip(row, types, strict=True))
        for row in athena_path.local.query(
            "select run_id, point_index, outcome_status, param_beta, param_gamma, "
            "metric_peak_infected from fct_point_outcomes where has_params order by 1, 2"
        )
    ]
    assert joined == expected and len(joined) > 100
    runs = {r[0]: r for r in per_run}
    for run_id, planned, observed, failed in athena_path.local.query(
        "select run_id, planned_point_count, observed_point_count, failed_point_count from dim_runs"
    ):
        assert runs[run_id][3:] == (str(planned), str(observed), str(failed)), run_id
    assert one_run == [("0", "0", None, None)]  # the runbook's run is not in this store


# --- failures: nothing succeeds silently ------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UNLOAD (SELECT 1) TO 's3://ara-local-results/u/' WITH (format = 'PARQUET')", "UNLOAD"),
        ("SELECT json_each('{}')", "json_each"),
        ("SELECT ST_Point(1, 2)", "ST_Point"),
        # Iceberg tables are executed (tests/test_athena_iceberg.py), partition transforms not
        (
            "CREATE TABLE t WITH (table_type = 'ICEBERG', partitioning = ARRAY['day(a)']) "
            "AS SELECT 1 AS a",
            "day(a)",
        ),
        ("UPDATE t SET a = 1", "UPDATE"),
    ],
)
def test_an_unsupported_statement_fails_naming_it(
    endpoint: LocalAthena, sql: str, named: str
) -> None:
    state, reason, _, _ = athena_query(endpoint, sql)
    assert state == "FAILED"
    assert reason is not None and named.lower() in reason.lower(), reason


def test_an_injected_failure_stops_the_bootstrap(
    endpoint: LocalAthena, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    bucket = f"ara-fail-{uuid.uuid4().hex[:10]}"
    endpoint.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    env = {**os.environ, **endpoint.env(bucket), "ARA_ATHENA_DATABASE": "fail_case"}
    monkeypatch.setenv(ENV_FAIL, r"^CREATE EXTERNAL TABLE IF NOT EXISTS \S+\.effective_params")
    proc = _cli(env, "athena", "bootstrap", check=False)
    assert proc.returncode == 1, proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("ara: error"))
    assert re.search(r"create_table_effective_params\.sql: query [0-9a-f-]{36} ended FAILED", line)
    assert ENV_FAIL in line
    assert (
        "not submitted (2): create_table_outcomes.sql, create_view_outcome_params.sql"
        in proc.stderr
    )
    tables = {
        t["Name"] for t in endpoint.client("glue").get_tables(DatabaseName="fail_case")["TableList"]
    }
    assert tables == {"run_context"}
    monkeypatch.delenv(ENV_FAIL)
    again = _cli(env, "athena", "bootstrap")
    assert "done: 5/5 statements SUCCEEDED" in again.stderr


def test_the_local_endpoint_command_prints_the_environment(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [ARA, "athena", "local", "--port", "0", "--bucket", "ara-cli-test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while len(lines) < 9 and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line.strip())
        env = dict(ln.removeprefix("export ").split("=", 1) for ln in lines)
        assert env["ARA_ROOT"] == "s3://ara-cli-test/exports"
        assert env["ARA_ATHENA_OUTPUT_LOCATION"] == "s3://ara-cli-test/athena-results/"
        assert env["ARA_ATHENA_DATA_DIR"] == "s3://ara-cli-test/dbt/"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", env["AWS_ENDPOINT_URL"])
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        assert "ara-cli-test" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "local Athena endpoint stopped" in err


# --- the engine's Athena semantics, statement by statement (no dbt) ---------------------------


@pytest.fixture
def scratch(endpoint: LocalAthena) -> Iterator[tuple[str, str]]:
    """A fresh database and bucket on the module's endpoint: (database, bucket)."""
    yield scratch_database(endpoint, "scratch")


def _ok(endpoint: LocalAthena, sql: str, db: str) -> list[tuple[str | None, ...]]:
    state, reason, _, rows = athena_query(endpoint, sql, db)
    assert state == "SUCCEEDED", (sql, reason)
    return rows


def _failed(endpoint: LocalAthena, sql: str, db: str) -> str:
    state, reason, _, _ = athena_query(endpoint, sql, db)
    assert state == "FAILED" and reason, (sql, state)
    return reason


def test_ctas_insert_and_drop_keep_athena_semantics(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    db, bucket = scratch
    loc = f"s3://{bucket}/t/"
    ctas = (
        f"CREATE TABLE t WITH (external_location = '{loc}', partitioned_by = ARRAY['d'], "
        "format = 'parquet', write_compression = 'snappy') AS "
        "SELECT * FROM (VALUES (1, 'a/b', DATE '2026-01-02'), (2, 'c', DATE '2026-01-03')) "
        "AS v (n, s, d)"
    )
    _ok(endpoint, ctas, db)
    keys = s3_keys(endpoint, bucket, "t/")
    assert sorted(k.rsplit("/", 1)[0] for k in keys) == ["t/d=2026-01-02", "t/d=2026-01-03"]
    table = endpoint.client("glue").get_table(DatabaseName=db, Name="t")["Table"]
    assert table["StorageDescriptor"]["Columns"] == [
        {"Name": "n", "Type": "int"},
        {"Name": "s", "Type": "string"},
    ]
    assert table["PartitionKeys"] == [{"Name": "d", "Type": "date"}]
    assert _ok(endpoint, "SELECT s, d FROM t WHERE n = 1", db) == [("a/b", "2026-01-02")]
    # the location holds objects: a second CTAS there fails, as on Athena
    again = ctas.replace("CREATE TABLE t ", "CREATE TABLE t2 ")
    assert "HIVE_PATH_ALREADY_EXISTS" in _failed(endpoint, again, db)
    assert "TABLE_ALREADY_EXISTS" in _failed(endpoint, ctas, db)
    # partition columns must come last
    wrong = (
        f"CREATE TABLE t3 WITH (external_location = 's3://{bucket}/t3/', partitioned_by = "
        "ARRAY['n']) AS SELECT 1 AS n, 'x' AS s"
    )
    assert "HIVE_COLUMN_ORDER_MISMATCH" in _failed(endpoint, wrong, db)
    unnamed = f"CREATE TABLE t5 WITH (external_location = 's3://{bucket}/t5/') AS SELECT 1"
    assert "MISSING_COLUMN_NAME" in _failed(endpoint, unnamed, db)
    # more than 100 partitions in one statement
    many = (
        f"CREATE TABLE t4 WITH (external_location = 's3://{bucket}/t4/', partitioned_by = "
        "ARRAY['k']) AS SELECT x AS v, x AS k FROM UNNEST(sequence(1, 101)) AS u (x)"
    )
    assert "HIVE_TOO_MANY_OPEN_PARTITIONS" in _failed(endpoint, many, db)
    assert not s3_keys(endpoint, bucket, "t4/")
    assert _ok(endpoint, "SHOW PARTITIONS t", db) == [("d=2026-01-02",), ("d=2026-01-03",)]
    # INSERT INTO: a new file in the existing partition, a new partition registered
    _ok(endpoint, "INSERT INTO t SELECT 3, 'e', DATE '2026-01-03'", db)
    _ok(endpoint, "INSERT INTO t (n, s, d) SELECT 4, 'f', DATE '2026-01-04'", db)
    assert _ok(endpoint, "SELECT d, count(*) FROM t GROUP BY d ORDER BY d", db) == [
        ("2026-01-02", "1"),
        ("2026-01-03", "2"),
        ("2026-01-04", "1"),
    ]
    assert "TYPE_MISMATCH" in _failed(
        endpoint, "INSERT INTO t SELECT 'x', 'y', DATE '2026-01-05'", db
    )
    # DROP TABLE removes the catalog entry, never the data
    before = s3_keys(endpoint, bucket, "t/")
    _ok(endpoint, "DROP TABLE t", db)
    assert s3_keys(endpoint, bucket, "t/") == before
    assert "TABLE_NOT_FOUND" in _failed(endpoint, "SELECT * FROM t", db)


def _last(
    endpoint: LocalAthena, sql: str, db: str
) -> tuple[list[tuple[str | None, ...]], Execution]:
    """A query's rows and its execution record (what it read)."""
    rows = _ok(endpoint, sql, db)
    return rows, next(e for e in reversed(endpoint.history()) if e.sql == sql)


def test_partitions_pruned_through_views_and_unnests(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """Athena reads only the partitions a query's partition predicates keep, also through a
    view and a CROSS JOIN UNNEST (Trino pushes them down); DataScannedInBytes counts only what
    was read, and a LIMIT 0 reads nothing."""
    db, bucket = scratch
    _ok(
        endpoint,
        f"CREATE TABLE t WITH (external_location = 's3://{bucket}/t/', partitioned_by = "
        "ARRAY['d']) AS SELECT * FROM (VALUES "
        "(1, '{\"a\": 1, \"b\": 2.5}', DATE '2026-01-01'), (2, '{}', DATE '2026-01-01'), "
        "(3, '{\"c\": \"x\"}', DATE '2026-01-02'), (4, NULL, DATE '2026-01-02'), "
        "(5, '{\"a\": 7}', DATE '2026-01-03')) AS v (n, j, d)",
        db,
    )
    _ok(
        endpoint,
        "CREATE VIEW entries AS SELECT s.n, s.d, e.k, e.v FROM t AS s CROSS JOIN "
        "UNNEST(CAST(json_parse(s.j) AS map(varchar, json))) AS e (k, v)",
        db,
    )
    sizes: dict[str, int] = {}
    for key in s3_keys(endpoint, bucket, "t/"):
        day = re.search(r"d=([0-9-]+)/", key)
        assert day, key
        sizes[day.group(1)] = sizes.get(day.group(1), 0) + int(
            endpoint.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"]
        )
    assert len(sizes) == 3

    def read(execution: Execution) -> set[str]:
        return {str(v[0]) for d, t, v in execution.partitions_read if (d, t) == (db, "t")}

    whole, all_of = _last(endpoint, "SELECT n, d, k, json_format(v) FROM entries ORDER BY n, k", db)
    assert whole == [
        ("1", "2026-01-01", "a", "1"),
        ("1", "2026-01-01", "b", "2.5"),
        ("3", "2026-01-02", "c", '"x"'),
        ("5", "2026-01-03", "a", "7"),
    ]  # an empty and a null object: no row, as Trino's UNNEST
    assert read(all_of) == set(sizes) and all_of.data_scanned == sum(sizes.values())
    sql = "SELECT n, k FROM entries WHERE d >= DATE '2026-01-02' ORDER BY n, k"
    rows, pruned = _last(endpoint, sql, db)
    assert rows == [("3", "c"), ("5", "a")]
    assert read(pruned) == {"2026-01-02", "2026-01-03"}
    assert pruned.data_scanned == sizes["2026-01-02"] + sizes["2026-01-03"]
    # the same rows when the endpoint keeps its LATERAL form (an unqualified column)
    lateral = (
        "SELECT n, k FROM t AS s CROSS JOIN UNNEST(CAST(json_parse(j) AS map(varchar, json))) "
        "AS e (k, v) WHERE d >= DATE '2026-01-02' ORDER BY n, k"
    )
    assert _ok(endpoint, lateral, db) == rows
    _, one = _last(endpoint, "SELECT count(*) FROM t WHERE d = DATE '2026-01-03' AND n > 0", db)
    assert read(one) == {"2026-01-03"} and one.data_scanned == sizes["2026-01-03"]
    _, none = _last(endpoint, "SELECT * FROM entries LIMIT 0", db)
    assert read(none) == set() and none.data_scanned == 0


def test_views_results_and_cancellation(endpoint: LocalAthena, scratch: tuple[str, str]) -> None:
    db, _ = scratch
    _ok(
        endpoint,
        "CREATE VIEW v AS SELECT x, x * 2e0 AS y FROM UNNEST(sequence(1, 2500)) AS u (x)",
        db,
    )
    view = endpoint.client("glue").get_table(DatabaseName=db, Name="v")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert "already exists" in _failed(endpoint, "CREATE VIEW v AS SELECT 1 AS x", db).lower()
    _, _, columns, rows = athena_query(endpoint, "SELECT x, y, y / 3 AS z FROM v ORDER BY x", db)
    assert columns == [("x", "bigint"), ("y", "double"), ("z", "double")]
    assert len(rows) == 2500  # three pages of GetQueryResults
    assert rows[0] == ("1", "2.0", java_text(2 / 3))
    # Trino's division: integer operands divide as integers (truncated), a double does not
    assert _ok(endpoint, "SELECT 5 / 2, -7 / 2, 5e0 / 2, 7 % 3", db) == [("2", "-3", "2.5", "1")]
    assert "Division by zero" in _failed(endpoint, "SELECT 1 / 0", db)
    # a query's CSV in the output location
    client = endpoint.client("athena")
    qid = client.start_query_execution(
        QueryString="SELECT 'a\"b' AS s, CAST(NULL AS varchar) AS n",
        ResultConfiguration={"OutputLocation": "s3://ara-local-results/csv/"},
    )["QueryExecutionId"]
    for _ in range(600):  # the CSV is written when the query ends (a loaded machine: seconds)
        state = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if state["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert state["State"] == "SUCCEEDED", state
    body = endpoint.client("s3").get_object(Bucket="ara-local-results", Key=f"csv/{qid}.csv")
    assert body["Body"].read().decode() == '"s","n"\n"a""b",\n'
    # a long query stopped: CANCELLED
    qid = client.start_query_execution(
        QueryString="SELECT count(*) FROM UNNEST(sequence(1, 50000)) AS a (x), "
        "UNNEST(sequence(1, 50000)) AS b (y)",
        ResultConfiguration={"OutputLocation": "s3://ara-local-results/q/"},
    )["QueryExecutionId"]
    client.stop_query_execution(QueryExecutionId=qid)
    for _ in range(60):
        status = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] != "RUNNING" and status["State"] != "QUEUED":
            break
    assert status["State"] == "CANCELLED"


def java_text(value: float) -> str:
    from local_athena.sql._trino import java_double_to_string

    return java_double_to_string(value)


def test_an_injected_failure_fails_a_dbt_operation(athena_path: Path_, tmp_path: Path) -> None:
    """dbt-athena reports the endpoint's FAILED statement with its reason and stops."""
    dbt = Dbt(
        tmp_path / "dbt",
        athena_path.env["ARA_ROOT"],
        env={k: v for k, v in athena_path.env.items() if k.startswith(("AWS_", "ARA_"))},
    )
    athena_path.endpoint.fail_pattern = r"^msck repair table \S*run_context"
    try:
        proc = dbt.run("run-operation", "stage_external_sources", "--target", "athena", check=False)
    finally:
        athena_path.endpoint.fail_pattern = None
    assert proc.returncode != 0
    assert "INJECTED_FAILURE" in proc.stdout and "MSCK REPAIR TABLE" in proc.stdout
