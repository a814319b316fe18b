"""The dbt sources define the external tables: `stage_external_sources` (the
dbt-external-tables convention, macros/external/stage_external_sources.sql) against a moto
server renders the same statements as the bootstrap manifest's DDL and `ara athena
add-partitions`.

moto's Athena records each query string and reports SUCCEEDED without running SQL, so both
sides are run against it and their recorded strings compared after normalising with sqlglot
(keywords, type spelling and whitespace aside, the statements must be the same).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from _dbt_scenario import Dbt
from athena_emulation import athena_env
from athena_emulation.fixtures import DBT_VARS

from exporter import _contract as contract
from exporter.athena import AthenaRunner, AthenaSettings, bootstrap, partition_statements

pytestmark = pytest.mark.dbt

DATABASE = "sweep_analytics"


def _body(sql: str) -> str:
    return "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")).strip()


def _normal(sql: str) -> str:
    tree = sqlglot.parse_one(_body(sql), read="athena")
    return tree.sql(dialect="athena", normalize=True, comments=False)


def _queries(moto: Any, workgroup: str) -> list[str]:
    athena = moto.client("athena")
    ids: list[str] = []
    for page in athena.get_paginator("list_query_executions").paginate(WorkGroup=workgroup):
        ids.extend(page["QueryExecutionIds"])
    runs = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    runs.sort(key=lambda e: e["Status"]["SubmissionDateTime"])
    return [e["Query"] for e in runs]


@pytest.fixture(scope="module")
def staged(moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Dbt, str]:
    """A dbt project pointed at moto with a workgroup of its own."""
    bucket = f"ara-ext-{uuid.uuid4().hex[:12]}"
    workgroup = f"ara-ext-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in moto_server.env().items():
            mp.setenv(key, value)
        moto_server.client("s3").create_bucket(Bucket=bucket)
        moto_server.client("athena").create_work_group(Name=workgroup)
    env = {**athena_env(moto_server.env(), bucket), "ARA_ATHENA_WORKGROUP": workgroup}
    dbt = Dbt(tmp_path_factory.mktemp("dbt_external"), env["ARA_ROOT"], env=env, vars=DBT_VARS)
    return dbt, workgroup


def _bootstrap_tables(moto: Any, dbt: Dbt, workgroup: str) -> list[str]:
    """The bootstrap's create_table_* statements, run against moto, as moto recorded them."""
    settings = AthenaSettings(
        root=dbt.env["ARA_ROOT"],
        database=DATABASE,
        workgroup=workgroup,
        output_location=dbt.env["ARA_ATHENA_OUTPUT_LOCATION"],
    )
    runner = AthenaRunner.for_settings(settings, client=moto.client("athena"), poll_interval=0)
    before = len(_queries(moto, workgroup))
    bootstrap(settings, runner=runner)
    return [q for q in _queries(moto, workgroup)[before:] if "EXTERNAL TABLE" in q.upper()]


def test_stage_external_sources_creates_the_bootstrap_tables_and_repairs(
    moto: Any, staged: tuple[Dbt, str]
) -> None:
    dbt, workgroup = staged
    before = len(_queries(moto, workgroup))
    dbt.run("run-operation", "stage_external_sources", "--target", "athena")
    ours = _queries(moto, workgroup)[before:]
    # dbt-athena prefixes a create with its `-- /* query comment */` line (Athena accepts it)
    creates = [q for q in ours if _body(q).lower().startswith("create external table")]
    repairs = [q for q in ours if q.lower().startswith("msck repair table")]
    assert len(creates) == len(repairs) == len(contract.DATASETS)
    assert not [q for q in ours if "drop" in q.lower()]  # never drops a table

    theirs = _bootstrap_tables(moto, dbt, workgroup)
    assert len(theirs) == len(contract.DATASETS)
    assert sorted(map(_normal, creates)) == sorted(map(_normal, theirs))
    assert sorted(repairs) == sorted(f"msck repair table {DATABASE}.{t}" for t in contract.DATASETS)
    for table in contract.DATASETS:
        assert any(f"location '{dbt.env['ARA_ROOT']}/{table}/'" in q for q in creates), table
        assert any(f"'ara.schema_version' = '{contract.SCHEMA_VERSION}'" in q for q in creates)


def test_a_run_partition_is_registered_as_add_partitions_does(
    moto: Any, staged: tuple[Dbt, str]
) -> None:
    dbt, workgroup = staged
    run = ("sir-baseline-20261123", "2026-11-23")
    args = f"{{run_id: {run[0]}, run_date: '{run[1]}', select: sweep.outcomes}}"
    before = len(_queries(moto, workgroup))
    dbt.run("run-operation", "stage_external_sources", "--target", "athena", "--args", args)
    ours = _queries(moto, workgroup)[before:]
    assert [_body(q).split("(")[0].strip().lower() for q in ours] == [
        f"create external table if not exists {DATABASE}.outcomes",
        f"alter table {DATABASE}.outcomes add if not exists partition",
    ]
    settings = AthenaSettings(root=dbt.env["ARA_ROOT"], database=DATABASE)
    (expected,) = partition_statements(run, settings, tables=["outcomes"])
    assert _normal(ours[1]) == _normal(expected.sql)


@pytest.mark.parametrize(
    "args",
    ["{run_id: '../evil', run_date: '2026-11-23'}", "{select: sweep.nope}"],
)
def test_bad_arguments_are_refused_before_anything_runs(
    moto: Any, staged: tuple[Dbt, str], args: str
) -> None:
    dbt, workgroup = staged
    before = len(_queries(moto, workgroup))
    proc = dbt.run(
        "run-operation",
        "stage_external_sources",
        "--target",
        "athena",
        "--args",
        args,
        check=False,
    )
    assert proc.returncode != 0
    assert "stage_external_sources" in proc.stdout
    assert len(_queries(moto, workgroup)) == before


def test_the_local_target_refuses_it(tmp_path: Path) -> None:
    dbt = Dbt(tmp_path, str(tmp_path / "raw"))
    proc = dbt.run("run-operation", "stage_external_sources", "--target", "local", check=False)
    assert proc.returncode != 0
    assert "for the athena target" in proc.stdout


def test_an_unset_export_root_is_refused(moto: Any, staged: tuple[Dbt, str]) -> None:
    dbt, workgroup = staged
    unset = Dbt(dbt.workdir / "unset", dbt.warehouse_root, env={**dbt.env, "ARA_ROOT": ""})
    before = len(_queries(moto, workgroup))
    proc = unset.run("run-operation", "stage_external_sources", "--target", "athena", check=False)
    assert proc.returncode != 0
    assert "set ARA_ROOT" in proc.stdout
    assert len(_queries(moto, workgroup)) == before
