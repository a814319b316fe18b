"""Trino's type rules on the local Athena endpoint: the implicit conversions DuckDB makes and
Trino does not are refused before a row is read, with Athena's error names; what Trino does
coerce still runs. The conformance table in docs/athena-parity.md ("Type rules") lists these
rows by their ids.

Sources:
* TYPES — https://trino.io/docs/current/language/types.html ("Implicit type conversion" exists
  only along numeric widening and a few others; none between varchar and numbers or dates);
* COND — https://trino.io/docs/current/functions/conditional.html (IF's condition is boolean;
  COALESCE, CASE and IN need one common type);
* STRING — https://trino.io/docs/current/functions/string.html (``||`` and ``concat`` take
  strings, or arrays: https://trino.io/docs/current/functions/array.html);
* DATETIME — https://trino.io/docs/current/functions/datetime.html (``+`` on a date takes an
  interval; ``date_add`` for days);
* V3 — https://docs.aws.amazon.com/athena/latest/ug/engine-versions-reference-0003.html
  ("Timestamp changes": a Hive table's timestamps are milliseconds);
* VIEW — https://trino.io/docs/current/sql/create-view.html with Trino's analyzer rule that an
  output's column names are unique (Athena: ``Column name 'a' specified more than once``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _athena_endpoint import athena_query, create_results_bucket, scratch_database

from local_athena import LocalAthena

pytestmark = [pytest.mark.s3]

REGION = "ap-south-1"  # apart from the other endpoint modules' Glue catalogs

TYPES = "https://trino.io/docs/current/language/types.html"
COND = "https://trino.io/docs/current/functions/conditional.html"
STRING = "https://trino.io/docs/current/functions/string.html"
DATETIME = "https://trino.io/docs/current/functions/datetime.html"

#: (id, query, Athena's error name and reason start), each refused by Athena's analyzer
REFUSED = [
    (
        "int-eq-varchar",
        "SELECT 1 = '1'",
        "TYPE_MISMATCH: Cannot apply operator: integer = varchar(1)",
        TYPES,
    ),
    (
        "varchar-lt-int",
        "SELECT 'a' < 2",
        "TYPE_MISMATCH: Cannot apply operator: varchar(1) < integer",
        TYPES,
    ),
    (
        "date-eq-varchar",
        "SELECT DATE '2026-01-02' = '2026-01-02'",
        "TYPE_MISMATCH: Cannot apply operator: date = varchar(10)",
        TYPES,
    ),
    (
        "bool-eq-int",
        "SELECT true = 1",
        "TYPE_MISMATCH: Cannot apply operator: boolean = integer",
        TYPES,
    ),
    (
        "is-distinct",
        "SELECT 1 IS DISTINCT FROM 'a'",
        "TYPE_MISMATCH: Cannot apply operator: integer IS DISTINCT FROM varchar(1)",
        TYPES,
    ),
    (
        "in-list",
        "SELECT 1 IN ('1', '2')",
        "TYPE_MISMATCH: All IN value and list operands must be the same type",
        COND,
    ),
    (
        "between",
        "SELECT 1 BETWEEN '0' AND 2",
        "TYPE_MISMATCH: All BETWEEN operands must be the same type",
        TYPES,
    ),
    (
        "pipe-int",
        "SELECT 'a' || 1",
        "FUNCTION_NOT_FOUND: Unexpected parameters (varchar(1), integer) for function concat",
        STRING,
    ),
    (
        "concat-int",
        "SELECT concat('a', 1)",
        "FUNCTION_NOT_FOUND: Unexpected parameters (varchar(1), integer) for function concat",
        STRING,
    ),
    (
        "pipe-date",
        "SELECT 'day ' || DATE '2026-01-02'",
        "FUNCTION_NOT_FOUND: Unexpected parameters (varchar(4), date) for function concat",
        STRING,
    ),
    (
        "if-int",
        "SELECT if(1, 'a', 'b')",
        "TYPE_MISMATCH: IF/CASE condition must evaluate to a boolean (actual: integer)",
        COND,
    ),
    (
        "simple-case-operand",
        "SELECT CASE 1 WHEN 'a' THEN 1 END",
        "TYPE_MISMATCH: CASE operand type does not match WHEN clause operand type: integer vs "
        "varchar(1)",
        COND,
    ),
    (
        "case-when-int",
        "SELECT CASE WHEN 1 THEN 'a' END",
        "TYPE_MISMATCH: IF/CASE condition must evaluate to a boolean (actual: integer)",
        COND,
    ),
    (
        "if-branches",
        "SELECT if(true, 1, 'a')",
        "TYPE_MISMATCH: All IF operands must be the same type",
        COND,
    ),
    (
        "case-results",
        "SELECT CASE WHEN true THEN 1 ELSE 'a' END",
        "TYPE_MISMATCH: All CASE operands must be the same type",
        COND,
    ),
    (
        "coalesce",
        "SELECT coalesce(1, 'a')",
        "TYPE_MISMATCH: All COALESCE operands must be the same type",
        COND,
    ),
    (
        "date-plus-int",
        "SELECT DATE '2026-01-02' + 1",
        "TYPE_MISMATCH: Cannot apply operator: date + integer",
        DATETIME,
    ),
    (
        "ts-minus-int",
        "SELECT TIMESTAMP '2026-01-02 00:00:00' - 1",
        "TYPE_MISMATCH: Cannot apply operator: timestamp(3) - integer",
        DATETIME,
    ),
    (
        "int-plus-varchar",
        "SELECT 1 + '1'",
        "TYPE_MISMATCH: Cannot apply operator: integer + varchar(1)",
        TYPES,
    ),
]

#: (id, query, Athena's rows as text), each accepted: coercions Trino has
ACCEPTED = [
    ("int-eq-double", "SELECT 1 = 1.0e0", [("true",)], TYPES),
    ("int-eq-decimal", "SELECT 2 = DECIMAL '2.0'", [("true",)], TYPES),
    ("bigint-in-ints", "SELECT BIGINT '3' IN (1, 2, 3)", [("true",)], TYPES),
    (
        "date-eq-timestamp",
        "SELECT DATE '2026-01-02' = TIMESTAMP '2026-01-02 00:00:00'",
        [("true",)],
        TYPES,
    ),
    ("varchar-pipe", "SELECT 'a' || 'b'", [("ab",)], STRING),
    (
        "null-anything",
        "SELECT coalesce(NULL, 'a'), NULL = 1, if(NULL, 1, 2)",
        [("a", None, "2")],
        COND,
    ),
    ("case-numbers", "SELECT CASE WHEN true THEN 1 ELSE 2.5e0 END", [("1.0",)], COND),
    (
        "interval-product",
        "SELECT DATE '2020-01-02' - (-1) * INTERVAL '1' DAY = DATE '2020-01-03'",
        [("true",)],
        DATETIME,
    ),
    ("array-chain", "SELECT cardinality(ARRAY[1] || 2 || 3)", [("3",)], STRING),
    (
        "if-in-case-else",
        "SELECT CASE 2 WHEN 1 THEN 'one' ELSE IF(true, 'b', 'c') END",
        [("b",)],
        COND,
    ),
    ("any-subquery", "SELECT 2 = ANY (SELECT 2)", [("true",)], TYPES),
    (
        "simple-case",
        "SELECT CASE 1 WHEN 1 THEN 'a' ELSE 'b' END, CASE 'x' WHEN 'y' THEN 1 END",
        [("a", None)],
        COND,
    ),
    (
        "explicit-cast",
        "SELECT CAST('1' AS integer) = 1, 'n=' || CAST(1 AS varchar)",
        [("true", "n=1")],
        TYPES,
    ),
]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalAthena]:
    with LocalAthena(region=REGION) as server:
        create_results_bucket(server)
        yield server


def _run(endpoint: LocalAthena, sql: str, db: str = "default") -> tuple[str, str, list[tuple]]:
    state, reason, _, rows = athena_query(endpoint, sql, db)
    return state, reason or "", rows


@pytest.mark.parametrize(
    ("query", "reason", "source"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_an_implicit_conversion_trino_lacks_is_refused(
    endpoint: LocalAthena, query: str, reason: str, source: str
) -> None:
    state, got, _ = _run(endpoint, query)
    assert state == "FAILED", (query, source)
    assert got.startswith(reason), (got, source)


@pytest.mark.parametrize(
    ("query", "rows", "source"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED]
)
def test_a_coercion_trino_has_still_runs(
    endpoint: LocalAthena, query: str, rows: list[tuple], source: str
) -> None:
    state, reason, got = _run(endpoint, query)
    assert state == "SUCCEEDED", (query, reason, source)
    assert got == rows, source


def test_the_types_come_from_the_tables_a_statement_reads(endpoint: LocalAthena) -> None:
    """A column's type is the table's (through a view and a CTE), not a literal's: comparing an
    integer column with a string fails before any row is read, even on an empty table."""
    db, bucket = scratch_database(endpoint, "types")
    ok = [
        f"CREATE TABLE {db}.t WITH (format = 'PARQUET', external_location = "
        f"'s3://{bucket}/t/') AS SELECT 1 AS n, 'x' AS s WHERE false",
        f"CREATE VIEW {db}.v AS SELECT n AS k, s FROM {db}.t",
    ]
    for sql in ok:
        state, reason, _ = _run(endpoint, sql, db)
        assert state == "SUCCEEDED", (sql, reason)
    for sql, reason in [
        ("SELECT * FROM t WHERE n = '1'", "Cannot apply operator: integer = varchar(1)"),
        ("WITH c AS (SELECT k FROM v) SELECT * FROM c WHERE k = s", "COLUMN_NOT_FOUND"),
        ("WITH c AS (SELECT k, s FROM v) SELECT * FROM c WHERE k = s", "integer = varchar"),
        ("SELECT s || k FROM v", "Unexpected parameters (varchar, integer) for function concat"),
    ]:
        state, got, _ = _run(endpoint, sql, db)
        assert state == "FAILED" and reason in got, (sql, got)
    state, reason, rows = _run(endpoint, "SELECT count(*) FROM v WHERE k = 1 AND s = 'x'", db)
    assert (state, rows) == ("SUCCEEDED", [("0",)]), reason


def test_a_view_or_ctas_names_each_column_once(endpoint: LocalAthena) -> None:
    db, bucket = scratch_database(endpoint, "dupes")
    for sql in [
        f"CREATE VIEW {db}.v AS SELECT 1 AS a, 2 AS a",
        f"CREATE TABLE {db}.t WITH (external_location = 's3://{bucket}/t/') AS "
        "SELECT 1 AS a, 2 AS A",
    ]:
        state, reason, _ = _run(endpoint, sql, db)
        assert state == "FAILED", sql
        assert reason == "DUPLICATE_COLUMN_NAME: Column name 'a' specified more than once"
    state, reason, _ = _run(endpoint, f"CREATE VIEW {db}.v AS SELECT 1 AS a, 2 AS b", db)
    assert state == "SUCCEEDED", reason


def test_a_hive_ctas_refuses_microsecond_timestamps(endpoint: LocalAthena) -> None:
    """Engine v3 keeps a Hive table's timestamps in milliseconds (V3, "Timestamp changes"): a
    timestamp(6) column, as an Iceberg table's are, fails a Hive CTAS; timestamp(3) is written."""
    db, bucket = scratch_database(endpoint, "micro")
    ice = (
        f"CREATE TABLE {db}.ice WITH (table_type = 'ICEBERG', is_external = false, "
        f"location = 's3://{bucket}/ice/') AS SELECT TIMESTAMP '2026-01-02 03:04:05.123' AS ts"
    )
    state, reason, _ = _run(endpoint, ice, db)
    assert state == "SUCCEEDED", reason
    hive = f"CREATE TABLE {db}.h{{n}} WITH (external_location = 's3://{bucket}/h{{n}}/') AS {{q}}"
    state, reason, _ = _run(endpoint, hive.format(n=1, q=f"SELECT ts FROM {db}.ice"), db)
    assert state == "FAILED"
    assert reason.startswith(
        "NOT_SUPPORTED: Incorrect timestamp precision for timestamp(6); the configured "
        "precision is MILLISECONDS"
    ), reason
    q = f"SELECT CAST(ts AS timestamp(3)) AS ts FROM {db}.ice"
    state, reason, _ = _run(endpoint, hive.format(n=2, q=q), db)
    assert state == "SUCCEEDED", reason
    state, reason, rows = _run(endpoint, f"SELECT ts FROM {db}.h2", db)
    assert rows == [("2026-01-02 03:04:05.123",)], reason


def test_an_insert_casts_between_numbers_as_an_assignment(endpoint: LocalAthena) -> None:
    """INSERT casts a numeric value into a numeric column of another type, value by value (what
    dbt-athena's seeds by insert rely on: every number is sent as ``DECIMAL '…'``); a value out
    of the column's range fails, and text into a number column stays a TYPE_MISMATCH
    (https://trino.io/docs/current/sql/insert.html; Trino's insert analysis)."""
    db, bucket = scratch_database(endpoint, "assign")
    state, reason, _ = _run(
        endpoint,
        f"CREATE TABLE {db}.t WITH (external_location = 's3://{bucket}/t/') AS "
        "SELECT 1 AS n, 1.5e0 AS x",
        db,
    )
    assert state == "SUCCEEDED", reason
    state, reason, _ = _run(endpoint, "INSERT INTO t VALUES (DECIMAL '2', DECIMAL '2.5')", db)
    assert state == "SUCCEEDED", reason
    state, reason, rows = _run(endpoint, "SELECT n, x FROM t ORDER BY n", db)
    assert rows == [("1", "1.5"), ("2", "2.5")], reason
    state, reason, _ = _run(endpoint, "INSERT INTO t VALUES (DECIMAL '3000000000', 1)", db)
    assert (state, reason.split(":")[0]) == ("FAILED", "INVALID_CAST_ARGUMENT"), reason
    state, reason, _ = _run(endpoint, "INSERT INTO t VALUES ('2', 1)", db)
    assert state == "FAILED" and reason.startswith("TYPE_MISMATCH: Insert query has mismatched")


def test_an_insert_casts_a_zoned_timestamp_into_a_timestamp_column(endpoint: LocalAthena) -> None:
    """A timestamp with time zone inserted into a Hive timestamp column is cast as an assignment
    (its wall time in its zone; the endpoint holds zoned values in UTC): dbt's microbatch tests
    insert ``TIMESTAMP '2020-01-04 00:00:00-0'`` so, on Athena. Text stays refused."""
    db, bucket = scratch_database(endpoint, "zoned")
    state, reason, _ = _run(
        endpoint,
        f"CREATE TABLE {db}.t WITH (external_location = 's3://{bucket}/t/') AS "
        "SELECT 1 AS id, CAST(from_iso8601_timestamp('2020-01-01T00:00:00Z') AS timestamp) AS ts",
        db,
    )
    assert state == "SUCCEEDED", reason
    sql = "INSERT INTO t (id, ts) VALUES (4, TIMESTAMP '2020-01-04 00:00:00-0')"
    state, reason, _ = _run(endpoint, sql, db)
    assert state == "SUCCEEDED", reason
    state, reason, rows = _run(endpoint, "SELECT id, ts FROM t ORDER BY id", db)
    assert rows == [("1", "2020-01-01 00:00:00.000"), ("4", "2020-01-04 00:00:00.000")], reason
    state, reason, _ = _run(endpoint, "INSERT INTO t (id, ts) VALUES (5, 'x')", db)
    assert state == "FAILED" and reason.startswith("TYPE_MISMATCH"), reason
