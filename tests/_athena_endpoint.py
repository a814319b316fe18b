"""Shared by the test modules that drive the local Athena endpoint: one statement through the
Athena API, a mart read from a local (DuckDB) build in Athena's text, S3 listings."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import duckdb
from _dbt_scenario import REPO, Dbt

from exporter._contract import DATASETS
from local_athena import ENV_FAIL, LocalAthena
from local_athena._catalog import trino_type_of
from local_athena.engine import render_value

Rows = list[tuple[str | None, ...]]
Columns = list[tuple[str, str]]
ARA = str(Path(sys.executable).with_name("ara"))
#: the raw Hive tables the bootstrap creates: one per dataset of the data contract
RAW_TABLES = tuple(DATASETS)


def bootstrapped_env(
    endpoint: LocalAthena, bucket: str, database: str, **extra: str
) -> dict[str, str]:
    """The environment of `ara` and dbt for one warehouse on the endpoint (its bucket, raw
    database ``database``; Athena polled every 20 ms, no retries), after `ara athena
    bootstrap` created the raw tables over its export root (env ARA_ROOT)."""
    env = {
        **os.environ,
        **endpoint.env(bucket),
        "ARA_ATHENA_DATABASE": database,
        "ARA_ATHENA_POLL_INTERVAL": "0.02",
        "ARA_ATHENA_NUM_RETRIES": "0",
        **extra,
    }
    env.pop(ENV_FAIL, None)
    boot = subprocess.run(
        [ARA, "athena", "bootstrap"], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert boot.returncode == 0, boot.stderr
    return env


#: where athena_query puts results: one bucket, created by each module's endpoint
RESULTS_BUCKET = "ara-local-results"


def create_results_bucket(endpoint: LocalAthena) -> None:
    """The results bucket in ``endpoint``'s region. moto's S3 is one per process: another
    module's endpoint in this test process may have created it already."""
    s3 = endpoint.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=RESULTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": endpoint.region}
        )


def scratch_database(endpoint: LocalAthena, prefix: str) -> tuple[str, str]:
    """A fresh database and bucket on ``endpoint`` (in its region), named ``prefix_<hex>``:
    (database, bucket)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    bucket = name.replace("_", "-")
    endpoint.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": endpoint.region}
    )
    state, reason, _, _ = athena_query(endpoint, f"CREATE DATABASE {name}")
    assert state == "SUCCEEDED", reason
    return name, bucket


def athena_query(
    endpoint: LocalAthena, sql: str, database: str = "default", output: str | None = None
) -> tuple[str, str | None, Columns, Rows]:
    """(state, reason, columns, rows) of one statement through the Athena API."""
    client = endpoint.client("athena")
    qid = client.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": output or f"s3://{RESULTS_BUCKET}/q/"},
    )["QueryExecutionId"]
    while True:
        execution = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        status = execution["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
    if status["State"] != "SUCCEEDED":
        return status["State"], status.get("StateChangeReason"), [], []
    columns: Columns = []
    rows: Rows = []
    token = None
    first = True
    while True:
        page = client.get_query_results(
            QueryExecutionId=qid, **({"NextToken": token} if token else {})
        )
        info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        columns = [(c["Name"], c["Type"]) for c in info]
        data = [tuple(d.get("VarCharValue") for d in r["Data"]) for r in page["ResultSet"]["Rows"]]
        if first and columns and execution["StatementType"] == "DML":
            assert data[0] == tuple(n for n, _ in columns)  # a query's header row
            data = data[1:]
        first = False
        rows.extend(data)
        token = page.get("NextToken")
        if not token:
            return status["State"], None, columns, rows


def local_mart(dbt: Dbt, mart: str) -> tuple[Columns, Rows]:
    """A mart of a local (dbt-duckdb) build: ColumnInfo-like (name, base type) and rows as
    Athena's text."""
    with duckdb.connect(str(dbt.duckdb_path), read_only=True) as con:
        cursor = con.execute(f"SELECT * FROM main.{mart}")
        types = [trino_type_of(str(d[1])) for d in cursor.description or []]
        bases = [t.split("(")[0] for t in types]  # ColumnInfo.Type: map, array, decimal
        names = [d[0] for d in cursor.description or []]
        rows = [
            tuple(render_value(v, t) for v, t in zip(row, types, strict=True))
            for row in cursor.fetchall()
        ]
    return list(zip(names, bases, strict=True)), rows


_FRACTION = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.(\d{3})(?:000)?$")


def comparable(columns: Columns, rows: Rows) -> tuple[Columns, list[tuple[Any, ...]]]:
    """Columns and sorted rows with timestamps at millisecond text: an Iceberg mart's
    timestamps are microsecond (timestamp(6)) on Athena, the exports' values are milliseconds,
    so the two texts differ only by three trailing zeros."""
    stamps = [t == "timestamp" for _, t in columns]
    out = []
    for row in rows:
        values = []
        for value, stamp in zip(row, stamps, strict=True):
            if stamp and value is not None:
                m = _FRACTION.match(value)
                assert m, f"timestamp text {value!r}"
                value = f"{m.group(1)}.{m.group(2)}"
            values.append(value)
        out.append(tuple(values))
    return columns, sorted(out, key=lambda r: tuple("" if v is None else str(v) for v in r))


def s3_keys(endpoint: LocalAthena, bucket: str, prefix: str) -> list[str]:
    s3 = endpoint.client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def read_tables(
    endpoint: LocalAthena, schema: str, names: tuple[str, ...]
) -> dict[str, tuple[Columns, list[tuple[Any, ...]]]]:
    """Each table or view of ``schema`` as the endpoint's Athena API returns it (comparable)."""
    out = {}
    for name in names:
        state, reason, columns, rows = athena_query(endpoint, f'SELECT * FROM "{schema}"."{name}"')
        assert state == "SUCCEEDED", f"{name}: {reason}"
        out[name] = comparable(columns, rows)
    return out
