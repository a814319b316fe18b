"""Incremental partition registration: ``register_run_partitions`` / ``ara athena add-partitions``.

A real run is exported to a moto S3 bucket with the exporter, then registered through moto's
Athena over HTTP. The statements are read back from the Athena API; their LOCATIONs are checked
against the objects the exporter actually wrote. Idempotency and "never deletes anything" are
checked on the statements (ADD IF NOT EXISTS only, identical on a second run), on every API
call the client made, and on S3 and the Glue catalog before and after.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from exporter import (
    RunContext,
    ShardWriter,
    export_run_context,
    register_run_partitions,
)
from exporter import _contract as contract
from exporter.athena import AthenaRunner, AthenaSettings, partition_statements
from exporter.cli import main
from exporter.errors import InvalidFieldError, UnsafeValueError

OUTPUT = "s3://athena-query-results/ara/"
DATABASE = "ara_parts"


@pytest.fixture
def workgroup(moto: Any) -> str:
    name = f"ara-{uuid.uuid4().hex[:12]}"
    moto.client("athena").create_work_group(Name=name)
    return name


def submitted(moto: Any, workgroup: str) -> list[str]:
    athena = moto.client("athena")
    ids = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    runs = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    runs.sort(key=lambda e: e["Status"]["SubmissionDateTime"])
    return [e["Query"] for e in runs]


class Recorder:
    def __init__(self, client: Any) -> None:
        self.operations: list[str] = []
        client.meta.events.register("provide-client-params.*.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)


def export_one_run(root: str) -> RunContext:
    """Accept a run and export two shards of it, as the orchestrator and workers would."""
    accepted = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    context = RunContext(
        run_id="sir-parts.v1",
        accepted_at=accepted,
        request_source="test",
        code_version="abc123",
        points_per_shard=2,
        point_count=4,
        sweep_config={"beta": [0.1, 0.2]},
    )
    export_run_context(root, context)
    run = context.ref()
    for shard in range(run.shard_count):
        with ShardWriter(root, run, shard) as writer:
            for point in run.shard_points(shard):
                writer.add_point(
                    point,
                    {"beta": 0.1 * (point + 1)},
                    started_at=accepted,
                    finished_at=accepted + timedelta(seconds=1),
                    metrics={"peak": float(point)},
                )
    return context


def glue_catalog(moto: Any, bucket: str) -> Any:
    """A Glue database, the three tables and one existing partition each, as Athena keeps them."""
    glue = moto.client("glue")
    glue.create_database(DatabaseInput={"Name": DATABASE})
    for name in contract.DATASETS:
        glue.create_table(
            DatabaseName=DATABASE,
            TableInput={
                "Name": name,
                "StorageDescriptor": {"Location": f"s3://{bucket}/sweeps/{name}/"},
                "PartitionKeys": [
                    {"Name": k, "Type": contract.PARTITION_TYPES[k]}
                    for k in contract.PARTITION_KEYS
                ],
            },
        )
        glue.create_partition(
            DatabaseName=DATABASE,
            TableName=name,
            PartitionInput={
                "Values": ["2026-11-01", "older-run"],
                "StorageDescriptor": {"Location": f"s3://{bucket}/sweeps/{name}/old/"},
            },
        )
    return glue


def catalog_state(glue: Any) -> dict[str, list[list[str]]]:
    return {
        name: sorted(
            p["Values"]
            for p in glue.get_partitions(DatabaseName=DATABASE, TableName=name)["Partitions"]
        )
        for name in contract.DATASETS
    }


def test_registration_adds_each_table_partition_idempotently_and_deletes_nothing(
    moto: Any, s3_bucket: str, workgroup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = f"s3://{s3_bucket}/sweeps"
    context = export_one_run(root)
    s3 = moto.client("s3")
    objects_before = sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])
    )
    glue = glue_catalog(moto, s3_bucket)
    catalog_before = catalog_state(glue)

    athena = moto.client("athena")
    recorder = Recorder(athena)
    settings = AthenaSettings(
        root=root, database=DATABASE, workgroup=workgroup, output_location=OUTPUT
    )
    runner = AthenaRunner.for_settings(settings, client=athena, poll_interval=0)
    kwargs: dict[str, Any] = {
        "root": root,
        "database": DATABASE,
        "workgroup": workgroup,
        "output_location": OUTPUT,
        "runner": runner,
    }
    first = register_run_partitions(context.ref(), **kwargs)
    second = register_run_partitions((context.run_id, context.run_date.isoformat()), **kwargs)

    assert [r.state for r in first + second] == ["SUCCEEDED"] * 6
    queries = submitted(moto, workgroup)
    assert len(queries) == 6
    assert queries[:3] == queries[3:]  # the second registration issues the very same no-ops
    run_date = context.run_date.isoformat()
    for name, sql in zip(contract.DATASETS, queries[:3], strict=True):
        assert sql.startswith(f"ALTER TABLE {DATABASE}.{name} ADD IF NOT EXISTS\n")
        assert f"PARTITION (run_date = '{run_date}', run_id = '{context.run_id}')" in sql
        location = re.search(r"LOCATION '(s3://[^']+)'", sql)
        assert location is not None
        # the partition's folder is exactly where the exporter put this run's objects
        bucket, _, prefix = location.group(1).removeprefix("s3://").partition("/")
        assert bucket == s3_bucket and prefix.endswith("/")
        under = [k for k in objects_before if k.startswith(prefix)]
        assert under, f"no exported object under {location.group(1)}"
        assert all("/" not in k[len(prefix) :] for k in under)
        tree = sqlglot.parse_one(sql, read="athena")
        assert isinstance(tree, exp.Alter)
        assert not list(tree.find_all(exp.Drop))
        assert not re.search(r"\b(DROP|DELETE|PURGE|TRUNCATE|OVERWRITE)\b", sql, re.I)

    # only Athena query calls were made: nothing was deleted or written anywhere
    assert set(recorder.operations) == {"StartQueryExecution", "GetQueryExecution"}
    assert recorder.operations.count("StartQueryExecution") == 6
    assert (
        sorted(o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", []))
        == objects_before
    )
    assert catalog_state(glue) == catalog_before


def test_add_partitions_cli_over_http(
    moto: Any, workgroup: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "athena", "add-partitions", "--root", "s3://results-bucket/sweeps",
        "--workgroup", workgroup, "--output-location", OUTPUT, "--poll-interval", "0",
        "--run-id", "sir-baseline-20261123", "--run-date", "2026-11-23",
    ]  # fmt: skip
    assert main(argv) == 0
    queries = submitted(moto, workgroup)
    assert [q.split(" ADD ")[0] for q in queries] == [
        f"ALTER TABLE sweep_analytics.{name}" for name in contract.DATASETS
    ]
    assert (
        "LOCATION 's3://results-bucket/sweeps/outcomes/run_date=2026-11-23/"
        "run_id=sir-baseline-20261123/'" in queries[-1]
    )
    err = capsys.readouterr().err
    assert "[3/3] add_partitions.sql (outcomes) … SUCCEEDED" in err


def test_partition_statements_follow_the_contract_layout() -> None:
    settings = AthenaSettings(root="s3://b-1/p/q/")
    statements = partition_statements(("run.1", date(2026, 1, 2)), settings)
    assert [s.entry for s in statements] == [
        f"add_partitions.sql ({name})" for name in contract.DATASETS
    ]
    for name, statement in zip(contract.DATASETS, statements, strict=True):
        folder = contract.partition_path(name, date(2026, 1, 2), "run.1")
        assert statement.sql.endswith(f"LOCATION 's3://b-1/p/q/{folder}/'")


@pytest.mark.parametrize(
    ("run", "error", "fragment"),
    [
        (("x'; DROP TABLE outcomes; --", date(2026, 1, 2)), InvalidFieldError, "run_id="),
        (("../escape", date(2026, 1, 2)), InvalidFieldError, "run_id='../escape'"),
        (("ok", "2026-13-01"), InvalidFieldError, "run_date='2026-13-01'"),
        (("ok", "yesterday"), InvalidFieldError, "run_date='yesterday'"),
        (("ok", datetime(2026, 1, 2, tzinfo=UTC)), InvalidFieldError, "run_date="),
        (("ok",), InvalidFieldError, "run="),
    ],
)
def test_unsafe_run_values_are_refused_before_rendering(
    run: Any, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=re.escape(fragment)):
        partition_statements(run, AthenaSettings(root="s3://b-1/p"))


def test_cli_refuses_a_bad_run_before_submitting(
    moto: Any, workgroup: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "athena", "add-partitions", "--root", "s3://results-bucket/sweeps",
        "--workgroup", workgroup, "--output-location", OUTPUT,
        "--run-id", "a/b", "--run-date", "2026-11-23",
    ]  # fmt: skip
    assert main(argv) == 2
    assert "run_id='a/b'" in capsys.readouterr().err
    assert submitted(moto, workgroup) == []
    with pytest.raises(UnsafeValueError, match="database='Sweep'"):
        AthenaSettings(root="s3://b-1/p", database="Sweep")
