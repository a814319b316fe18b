"""A table's columns on the local Athena endpoint: ALTER TABLE ADD / REPLACE / CHANGE COLUMN(S)
(what dbt-athena's ``on_schema_change`` sends for Hive tables), SHOW COLUMNS, DESCRIBE, EXPLAIN.

Sources (AWS, Athena user guide): alter-table-add-columns.html, alter-table-replace-columns.html,
alter-table-change-column.html (the Glue schema changes, the files stay; Parquet is read by
column name, so a column a file lacks reads as NULL: handling-schema-updates-chapter.html),
show-columns.html, describe-table.html, athena-explain-statement.html.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _athena_endpoint import athena_query, create_results_bucket, scratch_database

from local_athena import LocalAthena, statement_kind

pytestmark = [pytest.mark.s3]

REGION = "ap-northeast-2"  # apart from the other endpoint modules' Glue catalogs


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalAthena]:
    with LocalAthena(region=REGION) as server:
        create_results_bucket(server)
        yield server


def _ok(endpoint: LocalAthena, sql: str, db: str) -> list[tuple[str | None, ...]]:
    state, reason, _, rows = athena_query(endpoint, sql, db)
    assert state == "SUCCEEDED", (sql, reason)
    return rows


def _failed(endpoint: LocalAthena, sql: str, db: str) -> str:
    state, reason, _, _ = athena_query(endpoint, sql, db)
    assert state == "FAILED" and reason, (sql, state)
    return reason


def _glue_columns(endpoint: LocalAthena, db: str, name: str) -> list[tuple[str, str]]:
    table = endpoint.client("glue").get_table(DatabaseName=db, Name=name)["Table"]
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("ALTER TABLE t ADD COLUMNS (a int)", "ALTER TABLE ADD COLUMNS"),
        ("alter table `d`.`t` replace columns (a int)", "ALTER TABLE REPLACE COLUMNS"),
        ("ALTER TABLE t CHANGE COLUMN a b int", "ALTER TABLE CHANGE COLUMN"),
        ("ALTER TABLE t DROP COLUMN a", "ALTER TABLE DROP COLUMN"),
        ("ALTER TABLE t ADD IF NOT EXISTS PARTITION (p = '1')", "ALTER TABLE ADD"),
        ("ALTER TABLE t DROP PARTITION (p = '1')", "ALTER TABLE DROP"),
        ("SHOW COLUMNS FROM t", "SHOW COLUMNS"),
        ("DESCRIBE t", "DESCRIBE"),
        ("EXPLAIN SELECT 1", "EXPLAIN"),
    ],
)
def test_each_statement_has_its_kind(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind


def test_a_hive_table_gains_replaces_and_renames_columns(endpoint: LocalAthena) -> None:
    db, bucket = scratch_database(endpoint, "cols")
    _ok(
        endpoint,
        f"CREATE TABLE t WITH (format = 'PARQUET', external_location = 's3://{bucket}/t/', "
        "partitioned_by = ARRAY['p']) AS SELECT 1 AS id, 'one' AS name, 'x' AS p",
        db,
    )
    _ok(endpoint, "ALTER TABLE t ADD COLUMNS (updated_at date, `score` double)", db)
    assert _glue_columns(endpoint, db, "t") == [
        ("id", "int"),
        ("name", "string"),
        ("updated_at", "date"),
        ("score", "double"),
    ]
    # the old file has no updated_at: it reads as NULL; a new row carries it
    _ok(endpoint, "INSERT INTO t VALUES (2, 'two', DATE '2026-01-02', 0.5e0, 'y')", db)
    rows = _ok(endpoint, "SELECT id, name, updated_at, score, p FROM t ORDER BY id", db)
    assert rows == [("1", "one", None, None, "x"), ("2", "two", "2026-01-02", "0.5", "y")]
    # SHOW COLUMNS: one row per column, partition columns last, names padded (show-columns.html)
    shown = _ok(endpoint, "SHOW COLUMNS FROM t", db)
    assert [r[0].strip() for r in shown if r[0]] == ["id", "name", "updated_at", "score", "p"]
    described = [r[0] for r in _ok(endpoint, f"DESCRIBE {db}.t", db)]
    assert described[0].split("\t")[:2] == ["id                  ", "int                 "]
    assert "# Partition Information" in described

    reason = _failed(endpoint, "ALTER TABLE t ADD COLUMNS (name string)", db)
    assert reason == "DUPLICATE_COLUMN_NAME: Column name 'name' specified more than once"
    reason = _failed(endpoint, "ALTER TABLE t DROP COLUMN score", db)
    assert reason.startswith("NOT_SUPPORTED: ALTER TABLE DROP COLUMN is not supported for Hive")

    _ok(endpoint, "ALTER TABLE t CHANGE COLUMN name label string", db)
    assert [n for n, _ in _glue_columns(endpoint, db, "t")] == [
        "id",
        "label",
        "updated_at",
        "score",
    ]
    # the files keep their column "name": read by the new name it is NULL, as on Athena
    assert _ok(endpoint, "SELECT label FROM t ORDER BY id", db) == [(None,), (None,)]
    reason = _failed(endpoint, "ALTER TABLE t CHANGE COLUMN nope other int", db)
    assert reason.startswith("COLUMN_NOT_FOUND")

    _ok(endpoint, "ALTER TABLE t REPLACE COLUMNS (id bigint, updated_at date)", db)
    assert _glue_columns(endpoint, db, "t") == [("id", "bigint"), ("updated_at", "date")]
    rows = _ok(endpoint, "SELECT * FROM t ORDER BY id", db)
    assert rows == [("1", None, "x"), ("2", "2026-01-02", "y")]


def test_explain_analyses_the_query_and_answers_a_plan(endpoint: LocalAthena) -> None:
    """EXPLAIN's result is one varchar column, "Query Plan" (dbt-athena reads it as plain text,
    the header row first); the statement is analysed as it would run."""
    db, _ = scratch_database(endpoint, "explain")
    state, reason, columns, rows = athena_query(endpoint, "EXPLAIN SELECT 1", db)
    assert state == "SUCCEEDED", reason
    assert [c[0] for c in columns] == ["Query Plan"]
    assert rows and all(isinstance(r[0], str) for r in rows)
    assert _failed(endpoint, "EXPLAIN SELECT * FROM missing", db).startswith("TABLE_NOT_FOUND")
    assert _failed(endpoint, "EXPLAIN SELECT 1 = '1'", db).startswith("TYPE_MISMATCH")
