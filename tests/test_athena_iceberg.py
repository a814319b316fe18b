"""Iceberg tables on the local Athena endpoint (local_athena, docs/athena-parity.md
"Iceberg tables"): CTAS, SELECT, INSERT, MERGE, DELETE, OPTIMIZE, VACUUM, DROP, RENAME, the
$files/$snapshots/$partitions tables and time travel, through the Athena API against moto's
S3 and Glue. Each commit is all or nothing: failures leave rows and the Glue pointer as they
were, a commit whose base moved is refused, a reader sees the whole old or the whole new table.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local_athena import LocalAthena

pytestmark = [pytest.mark.s3]

REGION = "ap-southeast-2"  # its own Glue, apart from the other endpoint tests

ROW = (
    "(date '{d}', '{r}', '{m}', bigint '{n}', {v}e0, timestamp '{d} 10:00:00.123456', "
    "map(array['p'], array[{v}e0]))"
)
COLS = "run_date, run_id, metric, n, value, ts, params"


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def endpoint(clock: Clock) -> Iterator[LocalAthena]:
    with LocalAthena(region=REGION, clock=clock) as server:
        server.client("s3").create_bucket(
            Bucket="ice-results", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield server


@pytest.fixture
def db(endpoint: LocalAthena) -> Iterator[str]:
    """A fresh database, and a bucket of the same name (dashes)."""
    name = f"ice_{uuid.uuid4().hex[:8]}"
    endpoint.client("s3").create_bucket(
        Bucket=name.replace("_", "-"), CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    run(endpoint, f"create database {name}")
    yield name
    endpoint.fail_pattern = None
    assert endpoint.engine is not None
    endpoint.engine.commit_hook = None


def start(endpoint: LocalAthena, sql: str, db: str = "default") -> str:
    return str(
        endpoint.client("athena").start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": db},
            ResultConfiguration={"OutputLocation": "s3://ice-results/q/"},
        )["QueryExecutionId"]
    )


def wait(endpoint: LocalAthena, qid: str) -> dict[str, Any]:
    client = endpoint.client("athena")
    while True:
        execution = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return dict(execution)


def query(endpoint: LocalAthena, sql: str, db: str = "default") -> dict[str, Any]:
    """The execution, and for a success its columns (name, type, precision) and rows."""
    qid = start(endpoint, sql, db)
    execution = wait(endpoint, qid)
    if execution["Status"]["State"] != "SUCCEEDED":
        return execution
    page = endpoint.client("athena").get_query_results(QueryExecutionId=qid)
    info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    data = [tuple(d.get("VarCharValue") for d in r["Data"]) for r in page["ResultSet"]["Rows"]]
    if execution["StatementType"] == "DML" and info:
        data = data[1:]
    execution["columns"] = [(c["Name"], c["Type"], c["Precision"]) for c in info]
    execution["rows"] = data
    execution["update_count"] = page.get("UpdateCount")
    return execution


def run(endpoint: LocalAthena, sql: str, db: str = "default") -> dict[str, Any]:
    execution = query(endpoint, sql, db)
    assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"])
    return execution


def fails(endpoint: LocalAthena, sql: str, db: str = "default") -> str:
    execution = query(endpoint, sql, db)
    assert execution["Status"]["State"] == "FAILED", (sql, execution["Status"])
    return str(execution["Status"]["StateChangeReason"])


def rows(endpoint: LocalAthena, sql: str, db: str = "default") -> list[tuple[str | None, ...]]:
    return sorted(run(endpoint, sql, db)["rows"], key=str)


def glue_table(endpoint: LocalAthena, db: str, name: str) -> dict[str, Any]:
    return dict(endpoint.client("glue").get_table(DatabaseName=db, Name=name)["Table"])


def pointer(endpoint: LocalAthena, db: str, name: str) -> str:
    return str(glue_table(endpoint, db, name)["Parameters"]["metadata_location"])


def metadata(endpoint: LocalAthena, db: str, name: str) -> dict[str, Any]:
    bucket, key = pointer(endpoint, db, name)[5:].split("/", 1)
    body = endpoint.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return dict(json.loads(body))


def keys_under(endpoint: LocalAthena, bucket: str, prefix: str) -> set[str]:
    pages = endpoint.client("s3").get_paginator("list_objects_v2")
    return {
        f"s3://{bucket}/{o['Key']}"
        for p in pages.paginate(Bucket=bucket, Prefix=prefix)
        for o in p.get("Contents", [])
    }


def values(*specs: tuple[str, str, str, int, float]) -> str:
    return ", ".join(ROW.format(d=d, r=r, m=m, n=n, v=v) for d, r, m, n, v in specs)


BASE = [
    ("2026-11-02", "r1", "loss", 1, 0.5),
    ("2026-11-02", "r1", "acc", 2, 0.25),
    ("2026-11-20", "r2", "loss", 3, 1.5),
    ("2026-11-21", "r3", "loss", 4, 2.5),
    ("2026-11-22", "r4", "loss", 5, 3.5),
]


def ctas(db: str, name: str, specs: list[Any], extra: str = "", partitioning: str = "") -> str:
    """The CTAS dbt-athena's athena__create_table_as renders for an Iceberg model."""
    bucket = db.replace("_", "-")
    parts = partitioning or "ARRAY['run_date', 'run_id']"
    return (
        f'create table "{db}"."{name}"\n    with (\n      table_type=\'iceberg\',\n'
        f"      is_external=false,\n      location='s3://{bucket}/tables/{name}/',\n"
        f"      partitioning={parts},\n      write_compression='snappy',\n"
        f"      format='parquet'{extra}\n    )\n    as\n"
        f"      select * from (values {values(*specs)}) as t({COLS})"
    )


def make(endpoint: LocalAthena, db: str, name: str, specs: list[Any], extra: str = "") -> None:
    run(endpoint, ctas(db, name, specs, extra), db)


def table_rows(endpoint: LocalAthena, db: str, name: str) -> list[tuple[str | None, ...]]:
    return rows(endpoint, f'select {COLS} from "{db}"."{name}"', db)


def expected(specs: list[Any]) -> list[tuple[str | None, ...]]:
    def text(v: float) -> str:
        return repr(float(v)).upper() if "e" in repr(float(v)) else repr(float(v))

    return sorted(
        (
            (d, r, m, str(n), text(v), f"{d} 10:00:00.123456", f"{{p={text(v)}}}")
            for d, r, m, n, v in specs
        ),
        key=str,
    )


# --- CTAS, SELECT, Glue shape ----------------------------------------------------------------


def test_ctas_writes_an_iceberg_table_as_athena_does(endpoint: LocalAthena, db: str) -> None:
    sql = ctas(
        db,
        "m",
        BASE,
        ",\n      vacuum_max_snapshot_age_seconds=86400,\n"
        "      optimize_rewrite_delete_file_threshold=3",
    )
    created = run(endpoint, sql, db)
    assert created["update_count"] == 5
    table = glue_table(endpoint, db, "m")
    assert table["TableType"] == "EXTERNAL_TABLE"
    params = table["Parameters"]
    assert params["table_type"] == "ICEBERG" and "previous_metadata_location" not in params
    bucket = db.replace("_", "-")
    assert params["metadata_location"].startswith(f"s3://{bucket}/tables/m/metadata/00001-")
    assert params["metadata_location"].endswith(".metadata.json")
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("run_date", "date"),
        ("run_id", "string"),
        ("metric", "string"),
        ("n", "bigint"),
        ("value", "double"),
        ("ts", "timestamp"),
        ("params", "map<string,double>"),
    ]
    assert table.get("PartitionKeys", []) == []
    assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/tables/m"
    meta = metadata(endpoint, db, "m")
    assert meta["format"] == "ara-local-iceberg/1"
    assert meta["partition_spec"] == [
        {"source": "run_date", "transform": "identity"},
        {"source": "run_id", "transform": "identity"},
    ]
    assert meta["properties"]["vacuum_max_snapshot_age_seconds"] == "86400"
    assert meta["properties"]["optimize_rewrite_delete_file_threshold"] == "3"
    assert meta["properties"]["optimize_rewrite_data_file_threshold"] == "5"
    (snap,) = meta["snapshots"]
    assert snap["operation"] == "append" and meta["current_snapshot_id"] == snap["snapshot_id"]
    assert len(snap["data_files"]) == 4  # one per partition
    assert all(
        f["path"].startswith(f"s3://{bucket}/tables/m/data/run_date=") for f in snap["data_files"]
    )
    result = run(endpoint, f'select {COLS} from "{db}"."m"', db)
    assert ("ts", "timestamp", 6) in result["columns"]
    assert sorted(result["rows"], key=str) == expected(BASE)
    files = run(endpoint, f'select * from "{db}"."m$files"', db)
    assert [c[0] for c in files["columns"]][:7] == [
        "content",
        "file_path",
        "file_format",
        "spec_id",
        "partition",
        "record_count",
        "file_size_in_bytes",
    ]
    assert sorted((r[0], r[2], r[4], r[5]) for r in files["rows"]) == [
        ("0", "PARQUET", "{run_date=2026-11-02, run_id=r1}", "2"),
        ("0", "PARQUET", "{run_date=2026-11-20, run_id=r2}", "1"),
        ("0", "PARQUET", "{run_date=2026-11-21, run_id=r3}", "1"),
        ("0", "PARQUET", "{run_date=2026-11-22, run_id=r4}", "1"),
    ]
    # a view, a join, a subquery and a Hive CTAS read it
    run(endpoint, f'create view "{db}"."v" as select run_id, n from "{db}"."m" where n > 2', db)
    assert rows(endpoint, f'select * from "{db}"."v"', db) == [
        ("r2", "3"),
        ("r3", "4"),
        ("r4", "5"),
    ]
    joined = rows(
        endpoint,
        f'select a.run_id, count(*) from "{db}"."m" a join (select run_id from "{db}"."m" '
        "where metric = 'acc') b on a.run_id = b.run_id group by 1",
        db,
    )
    assert joined == [("r1", "2")]
    # a Hive table keeps milliseconds: an Iceberg timestamp(6) is cast down first (engine v3,
    # "Timestamp changes": https://docs.aws.amazon.com/athena/latest/ug/
    # engine-versions-reference-0003.html)
    hive = (
        f'create table "{db}"."h" with (external_location=\'s3://{bucket}/h/\', '
        "format='parquet') as select run_id, {ts} from " + f'"{db}"."m"'
    )
    assert fails(endpoint, hive.format(ts="ts"), db).startswith(
        "NOT_SUPPORTED: Incorrect timestamp precision for timestamp(6)"
    )
    run(endpoint, hive.format(ts="cast(ts as timestamp(3)) as ts"), db)
    assert ("r1", "2026-11-02 10:00:00.123") in rows(endpoint, f'select * from "{db}"."h"', db)


def test_ctas_with_no_data_and_what_fails(endpoint: LocalAthena, db: str) -> None:
    run(endpoint, ctas(db, "empty", BASE) + " with no data", db)
    assert rows(endpoint, f'select * from "{db}"."empty"', db) == []
    assert rows(endpoint, f'select * from "{db}"."empty$snapshots"', db) == []
    assert metadata(endpoint, db, "empty")["current_snapshot_id"] is None
    reason = fails(
        endpoint,
        f'create table "{db}"."t1" with (table_type=\'iceberg\', is_external=false, '
        f"location='s3://{db.replace('_', '-')}/t1/') as select cast(1 as tinyint) as x",
        db,
    )
    assert reason.startswith("NOT_SUPPORTED: Type not supported for Iceberg: tinyint")
    reason = fails(endpoint, ctas(db, "t2", BASE, partitioning="ARRAY['bucket(4, run_id)']"), db)
    assert "NOT_SUPPORTED" in reason and "bucket(4, run_id)" in reason
    reason = fails(endpoint, ctas(db, "t3", BASE, ",\n      write.foo=1"), db)
    assert reason.startswith("NOT_SUPPORTED") and "write.foo" in reason
    many = [("2026-01-01", f"r{i}", "x", i, 1.0) for i in range(101)]
    reason = fails(endpoint, ctas(db, "t4", many), db)
    assert reason.startswith("ICEBERG_TOO_MANY_OPEN_PARTITIONS")
    for name in ("t1", "t2", "t3", "t4"):
        assert fails(endpoint, f'select * from "{db}"."{name}"', db).startswith("TABLE_NOT_FOUND")
    bucket = db.replace("_", "-")
    run(
        endpoint,
        f'create table "{db}"."h" with (external_location=\'s3://{bucket}/h/\', '
        "format='parquet') as select 1 as x",
        db,
    )
    for sql in (
        f'merge into "{db}"."h" using "{db}"."empty" s on true when matched then delete',
        f"delete from {db}.h where x = 1",
        f"optimize {db}.h rewrite data using bin_pack",
        f"vacuum {db}.h",
        f"alter table {db}.h rename to h2",
    ):
        reason = fails(endpoint, sql, db)
        assert reason.startswith("NOT_SUPPORTED") and "Iceberg" in reason, reason
    assert fails(endpoint, f'select * from "{db}"."empty$manifests"', db).startswith(
        "NOT_SUPPORTED: Iceberg metadata table $manifests"
    )


def test_a_write_of_exactly_100_partitions_succeeds(endpoint: LocalAthena, db: str) -> None:
    """Athena limits a CTAS to 100 partitions and an INSERT INTO to adding at most 100 ("Use
    CTAS and INSERT INTO to work around the 100 partition limit",
    https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html): an Iceberg CTAS,
    INSERT or MERGE writing exactly 100 partitions succeeds; 101 fail with
    ICEBERG_TOO_MANY_OPEN_PARTITIONS (the CTAS in the test above) and change nothing."""
    hundred = [("2026-01-01", f"r{i}", "x", i, 1.0) for i in range(100)]
    created = run(endpoint, ctas(db, "m", hundred), db)  # partitioned by (run_date, run_id)
    assert created["update_count"] == 100
    assert len(rows(endpoint, f'select partition from "{db}"."m$partitions"', db)) == 100
    more = [("2026-01-02", f"r{i}", "x", i, 2.0) for i in range(100)]
    inserted = run(endpoint, f'insert into "{db}"."m" select * from (values {values(*more)})', db)
    assert inserted["update_count"] == 100
    # every row of 2026-01-02 updated: a delete file and a data file in each of 100 partitions
    source = f'select run_id, run_date from "{db}"."m" where run_date = date \'2026-01-02\''
    merged = run(
        endpoint,
        f'merge into "{db}"."m" t using ({source}) s '
        "on t.run_id = s.run_id and t.run_date = s.run_date "
        "when matched then update set value = 3e0",
        db,
    )
    assert merged["update_count"] == 100
    summary = f'select run_date, count(*), sum(value) from "{db}"."m" group by 1'
    assert rows(endpoint, summary, db) == [
        ("2026-01-01", "100", "100.0"),
        ("2026-01-02", "100", "300.0"),
    ]
    head = pointer(endpoint, db, "m")
    one_more = [("2026-01-03", f"r{i}", "x", i, 1.0) for i in range(101)]
    reason = fails(
        endpoint, f'insert into "{db}"."m" select * from (values {values(*one_more)})', db
    )
    assert reason.startswith("ICEBERG_TOO_MANY_OPEN_PARTITIONS")
    reason = fails(
        endpoint,
        f"merge into \"{db}\".\"m\" t using ({source} union all select 'new', date '2026-01-09') s "
        "on t.run_id = s.run_id and t.run_date = s.run_date "
        "when matched then update set value = 4e0 "
        "when not matched then insert (run_date, run_id) values (s.run_date, s.run_id)",
        db,
    )
    assert reason.startswith("ICEBERG_TOO_MANY_OPEN_PARTITIONS")
    assert pointer(endpoint, db, "m") == head


# --- INSERT, MERGE, DELETE -----------------------------------------------------------------


def lead_merge(db: str, name: str, since: str = "2026-11-21", also: str = "2026-11-02") -> str:
    """The statement the project's incremental materialization sends (issue 15)."""
    cols = ", ".join(f'"{c.strip()}"' for c in COLS.split(","))
    src = ", ".join(f'src."{c.strip()}"' for c in COLS.split(","))
    window = f"run_date >= date '{since}' or run_date in (date '{also}')"
    target_window = window.replace("run_date", "target.run_date")
    stage = f'"{db}"."{name}__ara_stage"'
    return f"""merge into "{db}"."{name}" as target
using (
    select stage.*, cast(null as date) as ara_replaced_run_date from {stage} as stage
    union all
    select stage.*, replaced.run_date as ara_replaced_run_date
    from (select distinct run_date from "{db}"."{name}" where ({window})) as replaced
    left join {stage} as stage on false
) as src
on (target.run_date = src.ara_replaced_run_date and ({target_window}))
when matched then delete
when not matched and src.ara_replaced_run_date is null then insert ({cols}) values ({src})"""


STAGE = [
    ("2026-11-02", "r1", "loss", 10, 0.75),
    ("2026-11-21", "r3", "loss", 40, 2.75),
    ("2026-11-22", "r4", "acc", 50, 3.75),
    ("2026-11-29", "r9", "loss", 90, 9.5),
]


def test_insert_and_the_lead_merge(endpoint: LocalAthena, db: str) -> None:
    make(endpoint, db, "m", BASE)
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    full = run(endpoint, f'select * from "{db}"."m"', db)["Statistics"]["DataScannedInBytes"]
    window = run(endpoint, f'select * from "{db}"."m" where run_date >= date \'2026-11-21\'', db)
    assert 0 < window["Statistics"]["DataScannedInBytes"] < full  # partitions pruned
    before = pointer(endpoint, db, "m")
    merged = run(endpoint, lead_merge(db, "m"), db)
    # the window's partitions are replaced by the stage, 2026-11-20 (outside) is kept
    assert table_rows(endpoint, db, "m") == expected([BASE[2], *STAGE])
    assert merged["update_count"] == 4 + 4  # 4 rows deleted, 4 inserted
    assert glue_table(endpoint, db, "m")["Parameters"]["previous_metadata_location"] == before
    files = run(endpoint, f'select content, record_count from "{db}"."m$files"', db)["rows"]
    assert sorted(files).count(("1", "2")) == 1  # the position deletes of 2026-11-02/r1
    assert len([f for f in files if f[0] == "1"]) == 3  # one delete file per partition
    snaps = rows(endpoint, f'select operation, parent_id is null from "{db}"."m$snapshots"', db)
    assert snaps == [("append", "true"), ("overwrite", "false")]
    # the windowed MERGE read only the window's partitions of the target (plus the stage)
    stage_bytes = run(endpoint, f'select * from "{db}"."m__ara_stage"', db)["Statistics"][
        "DataScannedInBytes"
    ]
    assert merged["Statistics"]["DataScannedInBytes"] < full + stage_bytes
    # INSERT INTO appends one commit
    inserted = run(
        endpoint,
        f'insert into "{db}"."m" select * from (values '
        f"{values(('2026-11-30', 'r10', 'x', 7, 1.0))})",
        db,
    )
    assert inserted["update_count"] == 1
    assert len(table_rows(endpoint, db, "m")) == 6
    # an INSERT of the wrong type fails, unchanged
    head = pointer(endpoint, db, "m")
    reason = fails(
        endpoint, f"insert into \"{db}\".\"m\" (run_date, n) values (date '2026-01-01', 'x')", db
    )
    assert reason.startswith("TYPE_MISMATCH") and pointer(endpoint, db, "m") == head


def test_merge_follows_trino_semantics(endpoint: LocalAthena, db: str) -> None:
    make(endpoint, db, "t", BASE[:3])
    # clauses in order, first applicable wins; the source reads the target itself
    result = run(
        endpoint,
        f"""merge into "{db}"."t" as target
        using (select run_id, n from "{db}"."t" union all select 'new', 99) as src
        on target.run_id = src.run_id and target.n = src.n
        when matched and src.n = 1 then delete
        when matched and src.n >= 2 then update set metric = 'upd', n = src.n * 10
        when matched then update set metric = 'never'
        when not matched and src.n > 50 then insert (run_date, run_id, metric, n)
            values (date '2026-12-01', src.run_id, 'ins', src.n)""",
        db,
    )
    assert result["update_count"] == 4
    assert rows(endpoint, f'select run_id, metric, n, ts from "{db}"."t"', db) == [
        ("new", "ins", "99", None),
        ("r1", "upd", "20", "2026-11-02 10:00:00.123456"),
        ("r2", "upd", "30", "2026-11-20 10:00:00.123456"),
    ]
    # a target row matched by two source rows: Trino's error, nothing changes
    head = pointer(endpoint, db, "t")
    reason = fails(
        endpoint,
        f"merge into \"{db}\".\"t\" as target using (select 'r1' as k union all select 'r1') as s "
        "on target.run_id = s.k when matched then update set n = 0",
        db,
    )
    assert reason == (
        "MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table row matched more than one "
        "source row"
    )
    assert pointer(endpoint, db, "t") == head
    # DELETE: position deletes, one commit
    deleted = run(endpoint, f'delete from "{db}"."t" where metric = \'upd\' and n > 25', db)
    assert deleted["update_count"] == 1
    assert rows(endpoint, f'select run_id from "{db}"."t"', db) == [("new",), ("r1",)]
    fails(
        endpoint,
        f'merge into "{db}"."t" t using (select 1 x) s on true '
        "when matched then update set nope = 1",
        db,
    )


def test_failures_leave_rows_and_pointer_unchanged(endpoint: LocalAthena, db: str) -> None:
    make(endpoint, db, "m", BASE)
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    before_rows, before_ptr = table_rows(endpoint, db, "m"), pointer(endpoint, db, "m")
    bucket = db.replace("_", "-")
    objects = keys_under(endpoint, bucket, "tables/m/")

    def unchanged() -> None:
        assert pointer(endpoint, db, "m") == before_ptr
        assert table_rows(endpoint, db, "m") == before_rows

    endpoint.fail_pattern = r"^merge into"
    assert fails(endpoint, lead_merge(db, "m"), db).startswith("INJECTED_FAILURE")
    endpoint.fail_pattern = None
    unchanged()
    assert keys_under(endpoint, bucket, "tables/m/") == objects  # nothing ran
    # a value that fails mid-statement (a cast in the source)
    bad = lead_merge(db, "m").replace("cast(null as date)", "cast('x' as date)")
    assert fails(endpoint, bad, db).startswith("INVALID_CAST_ARGUMENT")
    unchanged()
    # a failure after the files were written, before the swap: orphans, nothing visible
    assert endpoint.engine is not None

    def boom(database: str, table: str) -> None:
        raise RuntimeError("crash before the swap")

    endpoint.engine.commit_hook = boom
    assert fails(endpoint, lead_merge(db, "m"), db).startswith("GENERIC_INTERNAL_ERROR")
    endpoint.engine.commit_hook = None
    unchanged()
    assert keys_under(endpoint, bucket, "tables/m/") > objects  # its files are orphans


def test_the_metadata_object_is_written_before_the_pointer_moves(
    endpoint: LocalAthena, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit writes the new metadata object first and then swaps the catalog's pointer to it
    (Iceberg spec, "Metastore Tables": https://iceberg.apache.org/spec/#metastore-tables): when
    the metadata object cannot be written, the statement fails and the Glue table's
    metadata_location and rows are as before; a CTAS creates no table."""
    make(endpoint, db, "m", BASE)
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    before_rows, before_ptr = table_rows(endpoint, db, "m"), pointer(endpoint, db, "m")
    assert endpoint.engine is not None
    catalog = endpoint.engine.catalog
    put_bytes = catalog.put_bytes

    def failing_metadata_put(url: str, body: bytes) -> None:
        if url.endswith(".metadata.json"):
            raise RuntimeError(f"S3 PutObject failed: {url}")
        put_bytes(url, body)  # query results

    monkeypatch.setattr(catalog, "put_bytes", failing_metadata_put)
    new_row = values(("2026-12-01", "r8", "x", 8, 1.0))
    for sql in (
        f'insert into "{db}"."m" select * from (values {new_row})',
        lead_merge(db, "m"),
        f'delete from "{db}"."m" where run_id = \'r1\'',
    ):
        assert fails(endpoint, sql, db).startswith("GENERIC_INTERNAL_ERROR"), sql
        assert pointer(endpoint, db, "m") == before_ptr, sql
        assert table_rows(endpoint, db, "m") == before_rows, sql
    assert fails(endpoint, ctas(db, "n", BASE), db).startswith("GENERIC_INTERNAL_ERROR")
    assert fails(endpoint, f'select * from "{db}"."n"', db).startswith("TABLE_NOT_FOUND")
    monkeypatch.undo()
    run(endpoint, f'delete from "{db}"."m" where run_id = \'r1\'', db)
    assert pointer(endpoint, db, "m") != before_ptr
    assert len(table_rows(endpoint, db, "m")) == len(before_rows) - 2


def test_a_commit_whose_base_moved_is_refused(endpoint: LocalAthena, db: str) -> None:
    make(endpoint, db, "m", BASE)
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    run(endpoint, ctas(db, "other", STAGE[:1]), db)
    other = glue_table(endpoint, db, "other")
    glue = endpoint.client("glue")
    assert endpoint.engine is not None

    def concurrent_swap(database: str, table: str) -> None:
        # what dbt-athena's adapter.swap_table does: another table's descriptor and parameters
        current = glue_table(endpoint, db, "m")
        keep = {k: current[k] for k in ("Name", "TableType", "PartitionKeys")}
        glue.update_table(
            DatabaseName=db,
            TableInput={
                **keep,
                "StorageDescriptor": other["StorageDescriptor"],
                "Parameters": other["Parameters"],
            },
        )

    endpoint.engine.commit_hook = concurrent_swap
    reason = fails(endpoint, lead_merge(db, "m"), db)
    endpoint.engine.commit_hook = None
    assert reason.startswith("ICEBERG_COMMIT_ERROR")
    # the next statement sees the swapped table atomically
    assert table_rows(endpoint, db, "m") == expected(STAGE[:1])


def test_a_reader_sees_the_whole_old_or_the_whole_new_table(endpoint: LocalAthena, db: str) -> None:
    make(endpoint, db, "m", BASE)
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    states = [tuple(table_rows(endpoint, db, "m"))]
    seen: list[tuple[Any, ...]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(tuple(table_rows(endpoint, db, "m")))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):
            run(endpoint, lead_merge(db, "m"), db)
            states.append(tuple(table_rows(endpoint, db, "m")))
        run(
            endpoint,
            f"alter table {db}.m set tblproperties ('optimize_rewrite_data_file_threshold'='1')",
            db,
        )
        run(endpoint, f"optimize {db}.m rewrite data using bin_pack", db)
    finally:
        stop.set()
        thread.join()
    assert seen and set(seen) <= set(states)


# --- OPTIMIZE, VACUUM ---------------------------------------------------------------------------


def files_of(endpoint: LocalAthena, db: str, name: str) -> dict[str, tuple[int, int]]:
    """partition -> (data files, delete files) of the current snapshot."""
    found: dict[str, list[int]] = {}
    for content, part in run(endpoint, f'select content, partition from "{db}"."{name}$files"', db)[
        "rows"
    ]:
        found.setdefault(str(part), [0, 0])[int(str(content))] += 1
    return {k: (v[0], v[1]) for k, v in found.items()}


def test_optimize_compacts_merge_on_read_files(endpoint: LocalAthena, db: str) -> None:
    make(endpoint, db, "m", BASE)
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    for _ in range(4):
        run(endpoint, lead_merge(db, "m"), db)
    accumulated = files_of(endpoint, db, "m")
    key = "{run_date=2026-11-21, run_id=r3}"
    assert accumulated[key] == (5, 4)  # 1 + 4 data files, one delete file per MERGE
    before = table_rows(endpoint, db, "m")
    # a predicate on a non-partition column fails as Athena's does
    reason = fails(endpoint, f"optimize {db}.m rewrite data using bin_pack where metric = 'x'", db)
    assert reason.startswith("NOT_SUPPORTED") and "metric" in reason
    # 5 small files (>= optimize_rewrite_data_file_threshold, 5): the partitions in the WHERE
    # are rewritten into one file each, the deletes applied; the one outside it is not
    run(
        endpoint,
        f"optimize {db}.m rewrite data using bin_pack where run_date >= date '2026-11-21'",
        db,
    )
    after = files_of(endpoint, db, "m")
    assert after[key] == (1, 0)
    assert (
        after["{run_date=2026-11-02, run_id=r1}"] == accumulated["{run_date=2026-11-02, run_id=r1}"]
    )
    assert table_rows(endpoint, db, "m") == before
    # thresholds: 4 small files (< optimize_rewrite_data_file_threshold = 5) and no deletes: kept
    make(endpoint, db, "a", BASE[:1])
    for i in range(3):
        run(
            endpoint,
            f"insert into {db}.a select * from "
            f"(values {values(('2026-11-02', 'r1', 'x', i, 1.0))})",
            db,
        )
    run(endpoint, f"optimize {db}.a rewrite data using bin_pack", db)
    assert files_of(endpoint, db, "a") == {"{run_date=2026-11-02, run_id=r1}": (4, 0)}
    run(
        endpoint,
        f"insert into {db}.a select * from (values {values(('2026-11-02', 'r1', 'y', 9, 2.0))})",
        db,
    )
    before = table_rows(endpoint, db, "a")
    optimized = run(endpoint, f"optimize {db}.a rewrite data using bin_pack", db)
    assert optimized["update_count"] == 5
    assert files_of(endpoint, db, "a") == {"{run_date=2026-11-02, run_id=r1}": (1, 0)}
    assert table_rows(endpoint, db, "a") == before
    assert (
        rows(endpoint, f'select operation from "{db}"."a$snapshots"', db).count(("replace",)) == 1
    )
    # a data file with >= optimize_rewrite_delete_file_threshold (2) delete files is rewritten
    # even alone
    make(endpoint, db, "d", [*BASE[:2], ("2026-11-02", "r1", "x", 7, 1.0)])
    run(endpoint, f"delete from {db}.d where n = 1", db)
    assert files_of(endpoint, db, "d") == {"{run_date=2026-11-02, run_id=r1}": (1, 1)}
    run(endpoint, f"optimize {db}.d rewrite data using bin_pack", db)
    assert files_of(endpoint, db, "d") == {"{run_date=2026-11-02, run_id=r1}": (1, 1)}  # 1 < 2
    run(endpoint, f"delete from {db}.d where n = 2", db)
    run(endpoint, f"optimize {db}.d rewrite data using bin_pack", db)
    assert files_of(endpoint, db, "d") == {"{run_date=2026-11-02, run_id=r1}": (1, 0)}
    assert rows(endpoint, f"select n from {db}.d", db) == [("7",)]


def test_vacuum_expires_and_never_deletes_what_a_table_references(
    endpoint: LocalAthena, db: str, clock: Clock
) -> None:
    bucket = db.replace("_", "-")
    make(endpoint, db, "m", BASE, ",\n      vacuum_max_snapshot_age_seconds=3600")
    run(endpoint, ctas(db, "m__ara_stage", STAGE, partitioning="ARRAY[]"), db)
    run(endpoint, lead_merge(db, "m"), db)
    # a backup Glue table on the metadata of this build (the lead's one-build backup)
    current = glue_table(endpoint, db, "m")
    backup_meta = current["Parameters"]["metadata_location"]
    endpoint.client("glue").create_table(
        DatabaseName=db,
        TableInput={
            "Name": "m__bkp",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": current["StorageDescriptor"],
            "Parameters": {"table_type": "ICEBERG", "metadata_location": backup_meta},
        },
    )
    backup_rows = table_rows(endpoint, db, "m__bkp")
    backup_refs = {backup_meta}
    for snap in metadata(endpoint, db, "m__bkp")["snapshots"]:
        backup_refs |= {f["path"] for f in snap["data_files"] + snap["delete_files"]}
    run(endpoint, lead_merge(db, "m"), db)  # files only m's snapshots reference
    third = metadata(endpoint, db, "m")["snapshots"][-1]
    only_m = {f["path"] for f in third["data_files"] + third["delete_files"]} - backup_refs
    assert only_m
    run(
        endpoint,
        f"alter table {db}.m set tblproperties ('optimize_rewrite_data_file_threshold'='1')",
        db,
    )
    run(endpoint, f"optimize {db}.m rewrite data using bin_pack", db)
    compacted = {f["path"] for f in metadata(endpoint, db, "m")["snapshots"][-1]["data_files"]}
    orphan = f"s3://{bucket}/tables/m/data/orphan.parquet"
    endpoint.client("s3").put_object(Bucket=bucket, Key="tables/m/data/orphan.parquet", Body=b"x")
    everything = keys_under(endpoint, bucket, "tables/m/")
    run(endpoint, f"vacuum {db}.m", db)  # nothing is old yet: nothing goes
    assert everything <= keys_under(endpoint, bucket, "tables/m/")
    everything = keys_under(endpoint, bucket, "tables/m/")
    rows_now = table_rows(endpoint, db, "m")
    clock.offset = 7200.0  # two hours later: every snapshot but the current one expired
    try:
        vacuumed = run(endpoint, f"vacuum {db}.m", db)
    finally:
        clock.offset = 0.0
    left = keys_under(endpoint, bucket, "tables/m/")
    assert len(metadata(endpoint, db, "m")["snapshots"]) == 1
    assert table_rows(endpoint, db, "m") == rows_now
    assert compacted <= left
    assert orphan not in left and not (only_m & left)  # expired and orphaned files are gone
    # the backup's metadata and every file it references are still there, and readable
    assert backup_refs <= left
    assert table_rows(endpoint, db, "m__bkp") == backup_rows
    assert vacuumed["update_count"] == len(everything - left)


# --- DROP, RENAME, time travel --------------------------------------------------------------------


def test_drop_rename_and_time_travel(endpoint: LocalAthena, db: str) -> None:
    bucket = db.replace("_", "-")
    make(endpoint, db, "m", BASE)
    snap = metadata(endpoint, db, "m")["current_snapshot_id"]
    run(endpoint, f"delete from {db}.m where run_id = 'r1'", db)
    assert len(table_rows(endpoint, db, "m")) == 3
    old = rows(endpoint, f"select count(*) from {db}.m for version as of {snap}", db)
    assert old == [("5",)]
    run(endpoint, f"alter table {db}.m rename to m2", db)
    assert fails(endpoint, f"select * from {db}.m", db).startswith("TABLE_NOT_FOUND")
    assert len(table_rows(endpoint, db, "m2")) == 3
    assert fails(
        endpoint, f"alter table {db}.m2 add partition (run_date='2026-01-01')", db
    ).startswith("NOT_SUPPORTED")
    run(endpoint, f"drop table {db}.m2", db)
    assert keys_under(endpoint, bucket, "tables/m/") == set()  # Athena deletes its data
