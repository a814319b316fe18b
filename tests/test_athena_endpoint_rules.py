"""Rules of the local Athena endpoint (local_athena) that are cheap to pin statement by
statement, each at its boundary: what it refuses as Athena refuses it, and what it must accept.

* a function call is checked by its name as written in the Trino SQL: a DuckDB-only name fails
  with Athena's FUNCTION_NOT_FOUND even where sqlglot parses it into the expression of a Trino
  function (``len`` -> ``exp.Length``, ``string_agg`` -> ``exp.GroupConcat``);
* a Hive CTAS or INSERT INTO writes up to 100 partitions (101 fail);
* objects whose names (or folders) start with ``_`` or ``.`` are not data.

One in-process endpoint for the module (its own region, so its own Glue), a fresh database and
bucket per test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _athena_endpoint import athena_query, create_results_bucket, s3_keys, scratch_database

from local_athena import MAX_OPEN_WRITERS, LocalAthena

pytestmark = [pytest.mark.s3]

REGION = "eu-central-1"  # apart from the other endpoint modules' Glue catalogs


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalAthena]:
    with LocalAthena(region=REGION) as server:
        create_results_bucket(server)
        yield server


@pytest.fixture
def scratch(endpoint: LocalAthena) -> tuple[str, str]:
    """A fresh database and bucket: (database, bucket)."""
    return scratch_database(endpoint, "rules")


def _ok(endpoint: LocalAthena, sql: str, db: str = "default") -> list[tuple[str | None, ...]]:
    state, reason, _, rows = athena_query(endpoint, sql, db)
    assert state == "SUCCEEDED", (sql, reason)
    return rows


def _failed(endpoint: LocalAthena, sql: str, db: str = "default") -> str:
    state, reason, _, _ = athena_query(endpoint, sql, db)
    assert state == "FAILED" and reason, (sql, state)
    return reason


# --- functions: by the name as written --------------------------------------------------------

#: DuckDB functions Trino does not have (none is in https://trino.io/docs/current/functions/
#: list.html, "List of functions and operators"), each called as "SELECT <call>": the name
#: starts at line 1, column 8. Several of them sqlglot parses into the expression of a Trino
#: function (len -> Length, array_length -> ArraySize, ifnull -> Coalesce, string_agg ->
#: GroupConcat), so only the name as written tells them apart.
DUCKDB_ONLY = [
    ("list_value", "list_value(1, 2)"),
    ("strftime", "strftime(TIMESTAMP '2026-01-02 03:04:05', '%Y')"),
    ("len", "len('abc')"),
    ("array_length", "array_length(ARRAY[1, 2])"),
    ("ifnull", "ifnull(NULL, 1)"),
    ("string_agg", "string_agg(x, ',') FROM (VALUES 'a', 'b') AS t (x)"),
    ("list_sum", "list_sum(ARRAY[1, 2])"),
    ("epoch_ms", "epoch_ms(0)"),
    ("regexp_matches", "regexp_matches('abc', 'b')"),
    ("date_part", "date_part('year', DATE '2026-01-02')"),
]


@pytest.mark.parametrize(("name", "call"), DUCKDB_ONLY, ids=[n for n, _ in DUCKDB_ONLY])
def test_a_duckdb_only_function_is_not_found(endpoint: LocalAthena, name: str, call: str) -> None:
    """Athena (Trino's analyzer) fails a call of a function it does not have:
    ``FUNCTION_NOT_FOUND: line 1:8: Function 'list_value' not registered`` (Athena's
    StateChangeReason), even though DuckDB, which executes the endpoint's queries, has it."""
    reason = _failed(endpoint, f"SELECT {call}")
    assert reason.startswith(f"FUNCTION_NOT_FOUND: line 1:8: Function '{name}' not registered")


#: the Trino functions of the same shapes: they run and answer as Trino does
TRINO_CONTROLS = [
    ("date_format(TIMESTAMP '2026-01-02 03:04:05', '%Y-%m-%d')", "2026-01-02"),
    ("ARRAY[1, 2]", "[1, 2]"),
    ("length('abc')", "3"),
    ("cardinality(ARRAY[1, 2])", "2"),
    ("coalesce(NULL, 1)", "1"),
    ("array_join(ARRAY['a', 'b'], ',')", "a,b"),
    ("position('b' IN 'abc')", "2"),
    ("year(DATE '2026-01-02')", "2026"),
]


@pytest.mark.parametrize(("call", "text"), TRINO_CONTROLS, ids=[c for c, _ in TRINO_CONTROLS])
def test_the_trino_function_of_the_same_shape_runs(
    endpoint: LocalAthena, call: str, text: str
) -> None:
    """The positive controls of the test above (Trino: date_format, the ARRAY[...] constructor,
    length, cardinality, coalesce, array_join, position, year;
    https://trino.io/docs/current/functions/list.html)."""
    assert _ok(endpoint, f"SELECT {call}") == [(text,)]


def test_function_names_are_checked_in_every_statement_and_by_kind(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """CTAS, views and INSERT are refused like a SELECT (nothing is created or written); a
    function Trino has but the endpoint does not execute (docs/athena-parity.md, "Nothing
    succeeds silently") is NOT_SUPPORTED, naming it — json_value and to_char, which sqlglot
    would run as DuckDB's json_extract and strftime, among them."""
    db, bucket = scratch
    ctas = (
        f"CREATE TABLE t WITH (external_location = 's3://{bucket}/t/', format = 'parquet') "
        "AS SELECT ifnull(NULL, 1) AS n"
    )
    assert _failed(endpoint, ctas, db).startswith("FUNCTION_NOT_FOUND")
    assert s3_keys(endpoint, bucket, "t/") == []
    assert _failed(endpoint, "SELECT * FROM t", db).startswith("TABLE_NOT_FOUND")
    view = "CREATE VIEW v AS SELECT\n  1 AS a,\n  len('x') AS b"
    assert _failed(endpoint, view, db).startswith(
        "FUNCTION_NOT_FOUND: line 3:3: Function 'len' not registered"
    )
    assert _failed(endpoint, "SELECT * FROM v", db).startswith("TABLE_NOT_FOUND")
    _ok(endpoint, ctas.replace("ifnull", "coalesce"), db)
    assert _failed(endpoint, "INSERT INTO t SELECT array_length(ARRAY[1])", db).startswith(
        "FUNCTION_NOT_FOUND"
    )
    assert _ok(endpoint, "SELECT n FROM t", db) == [("1",)]
    for call, name in (
        ("json_value('{\"a\": 1}', 'lax $.a')", "json_value"),
        ("to_char(TIMESTAMP '2026-01-02 03:04:05', 'yyyy')", "to_char"),
        ("approx_set(x) FROM (VALUES 1e0) AS t (x)", "approx_set"),
    ):
        reason = _failed(endpoint, f"SELECT {call}")
        assert reason.startswith(f"NOT_SUPPORTED: function {name} is not supported"), reason


# --- Hive writes: up to 100 partitions --------------------------------------------------------


def test_a_hive_write_of_exactly_100_partitions_succeeds(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """Athena limits a CTAS to 100 partitions and an INSERT INTO to adding at most 100 ("Use
    CTAS and INSERT INTO to work around the 100 partition limit",
    https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html): exactly 100 succeed, a
    101st fails the statement with HIVE_TOO_MANY_OPEN_PARTITIONS ("Exceeded limit of 100 open
    writers for partitions/buckets") and writes nothing."""
    assert MAX_OPEN_WRITERS == 100
    db, bucket = scratch
    _ok(
        endpoint,
        f"CREATE TABLE t WITH (external_location = 's3://{bucket}/t/', partitioned_by = "
        "ARRAY['k']) AS SELECT x AS v, x AS k FROM UNNEST(sequence(1, 100)) AS u (x)",
        db,
    )
    assert len(_ok(endpoint, "SHOW PARTITIONS t", db)) == 100
    _ok(endpoint, "INSERT INTO t SELECT x, x FROM UNNEST(sequence(101, 200)) AS u (x)", db)
    assert _ok(endpoint, "SELECT count(*), count(DISTINCT k) FROM t", db) == [("200", "200")]
    before = s3_keys(endpoint, bucket, "t/")
    many = "INSERT INTO t SELECT x, x FROM UNNEST(sequence(201, 301)) AS u (x)"
    assert _failed(endpoint, many, db).startswith("HIVE_TOO_MANY_OPEN_PARTITIONS")
    assert s3_keys(endpoint, bucket, "t/") == before
    assert len(_ok(endpoint, "SHOW PARTITIONS t", db)) == 200


# --- hidden objects are not data --------------------------------------------------------------


def test_objects_named_with_a_leading_underscore_or_dot_are_not_read(
    endpoint: LocalAthena, scratch: tuple[str, str]
) -> None:
    """Trino's Hive connector lists a table's (or partition's) files skipping hidden files and
    directories, names starting with ``_`` or ``.`` (HiveFileIterator, "Ignore hidden files and
    directories": https://github.com/trinodb/trino/blob/master/plugin/trino-hive/src/main/java/
    io/trino/plugin/hive/fs/HiveFileIterator.java; Hadoop's FileInputFormat hiddenFileFilter):
    ``_SUCCESS`` markers, ``_temporary/`` and ``.spark-staging`` folders of writers. Neither a
    valid Parquet file with extra rows nor an object that is not Parquet is read, at a table's
    root or in a partition, as a file or inside a hidden folder."""
    db, bucket = scratch
    s3 = endpoint.client("s3")
    _ok(
        endpoint,
        f"CREATE TABLE u WITH (external_location = 's3://{bucket}/u/') "
        "AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v (n, s)",
        db,
    )
    _ok(
        endpoint,
        f"CREATE TABLE p WITH (external_location = 's3://{bucket}/p/', partitioned_by = "
        "ARRAY['d']) AS SELECT * FROM (VALUES (1, 'a', 'x'), (2, 'b', 'y')) AS v (n, s, d)",
        db,
    )
    for folder in ("u/", "p/d=x/"):
        (real,) = s3_keys(endpoint, bucket, folder)
        parquet = s3.get_object(Bucket=bucket, Key=real)["Body"].read()  # its rows again
        for name in ("_extra.parquet", ".extra.parquet", "_temporary/0/part-0.parquet"):
            s3.put_object(Bucket=bucket, Key=folder + name, Body=parquet)
        for name in ("_SUCCESS", ".hidden", ".spark-staging/x/part-1", "_tmp/not-parquet"):
            s3.put_object(Bucket=bucket, Key=folder + name, Body=b"not a parquet file")
    assert sorted(_ok(endpoint, "SELECT n, s FROM u", db)) == [("1", "a"), ("2", "b")]
    assert sorted(_ok(endpoint, "SELECT n, s, d FROM p", db)) == [("1", "a", "x"), ("2", "b", "y")]
    assert _ok(endpoint, "SELECT count(*) FROM p WHERE d = 'x'", db) == [("1",)]


# --- ListQueryExecutions ----------------------------------------------------------------------


def test_list_query_executions_pages_with_next_token(endpoint: LocalAthena) -> None:
    """ListQueryExecutions answers pages of at most MaxResults (0..50; 50 by default), newest
    first, and a NextToken while more remain (Athena API reference, ListQueryExecutions); boto3's
    paginator walks them. In a workgroup of its own, so other tests' queries are not counted."""
    athena = endpoint.client("athena")
    workgroup = "paging"
    athena.create_work_group(Name=workgroup)
    submitted = []
    for i in range(7):
        submitted.append(
            athena.start_query_execution(
                QueryString=f"SELECT {i}",
                WorkGroup=workgroup,
                ResultConfiguration={"OutputLocation": "s3://ara-local-results/paging/"},
            )["QueryExecutionId"]
        )
    pages = [
        page["QueryExecutionIds"]
        for page in athena.get_paginator("list_query_executions").paginate(
            WorkGroup=workgroup, PaginationConfig={"PageSize": 3}
        )
    ]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [q for p in pages for q in p] == submitted[::-1]
    assert athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"] == submitted[::-1]
    for bad in [{"MaxResults": 51}, {"NextToken": "not-a-token"}]:
        with pytest.raises(athena.exceptions.InvalidRequestException):
            athena.list_query_executions(WorkGroup=workgroup, **bad)


def test_text_that_is_no_statement_is_a_syntax_error(endpoint: LocalAthena) -> None:
    """Athena's parser answers words that start no statement of its grammar with
    ``SYNTAX_ERROR: line 1:1: mismatched input 'THIS'. Expecting: …`` (dbt-athena's own
    functional test test_connections.py::test__syntax_error matches that text); a statement of
    the grammar the endpoint does not run stays NOT_SUPPORTED, named."""
    reason = _failed(endpoint, "THIS IS NOT SQL")
    assert reason.startswith("SYNTAX_ERROR: line 1:1: mismatched input 'THIS'. Expecting: ")
    assert _failed(endpoint, "GRANT SELECT ON t TO u").startswith("NOT_SUPPORTED: GRANT")


def test_the_sequence_table_function_counts_from_start_to_stop(endpoint: LocalAthena) -> None:
    """``TABLE(sequence(start => 0, stop => 1000))``: Trino's built-in table function, one bigint
    column ``sequential_number``, stop included, step 1 by default
    (https://trino.io/docs/current/functions/table.html#sequence; dbt-athena's own functional
    tests use it on Athena); a column it lacks is COLUMN_NOT_FOUND; other table functions stay
    refused, named."""
    rows = _ok(
        endpoint,
        "SELECT count(*), min(sequential_number), max(sequential_number), "
        "typeof(max(sequential_number)) FROM TABLE(sequence(start => 0, stop => 1000))",
    )
    assert rows == [("1001", "0", "1000", "bigint")]
    stepped = _ok(endpoint, "SELECT * FROM TABLE(sequence(start => 1, stop => 9, step => 4)) t")
    assert stepped == [("1",), ("5",), ("9",)]
    reason = _failed(endpoint, "SELECT not_a_column FROM TABLE(sequence(start => 0, stop => 1))")
    assert reason == "COLUMN_NOT_FOUND: Column 'not_a_column' cannot be resolved"
    assert _failed(endpoint, "SELECT * FROM TABLE(other(1))").startswith(
        "NOT_SUPPORTED: table function other"
    )
