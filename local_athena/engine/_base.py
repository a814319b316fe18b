"""What every statement family shares: the connection, parsing, the tables a statement reads
loaded into DuckDB, the outcome, and the helpers on values and trees."""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .._catalog import (
    Catalog,
    duckdb_type,
    hive_type_of,
)
from .._iceberg import (
    Meta,
    is_iceberg,
)
from ..errors import AthenaQueryError, EmulationError
from ..sql._errors import trino_error
from ..sql._functions import refused_call
from ..sql._trino import java_double_to_string, register
from ._text import (
    CATALOG,
    _strip_comments,
    statement_kind,
)

#: Athena's limit of partitions one CTAS or INSERT INTO may write (open writers)
MAX_OPEN_WRITERS = 100


@dataclass
class Outcome:
    """What a statement produced: result columns and rows (SELECT), an update count."""

    statement_type: str  # DDL | DML | UTILITY
    substatement_type: str
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, Trino type)
    rows: list[list[str | None]] = field(default_factory=list)
    update_count: int | None = None
    data_scanned: int = 0
    #: (database, table, partition values) of every partition whose data the statement read
    #: (Hive objects, Iceberg data and delete files: DuckDB's file-system log, _count_reads)
    partitions_read: frozenset[tuple[str, str, tuple[str | None, ...]]] = frozenset()


@dataclass
class _Context:
    database: str
    output_location: str
    query_id: str
    con: duckdb.DuckDBPyConnection
    loaded: dict[tuple[str, str], str] = field(default_factory=dict)
    loading: set[tuple[str, str]] = field(default_factory=set)
    scanned: int = 0
    #: the Iceberg metadata each table read resolved to when the statement first read it
    iceberg: dict[tuple[str, str], Meta] = field(default_factory=dict)
    refs: int = 0
    #: local copy -> (object size, database, table, partition values) of the files a statement
    #: may read (Hive tables' objects, Iceberg data and delete files): _count_reads
    read_files: dict[str, tuple[int, str, str, tuple[str | None, ...]]] = field(
        default_factory=dict
    )
    partitions_read: set[tuple[str, str, tuple[str | None, ...]]] = field(default_factory=set)
    #: (catalog, database, relation) -> {column: DuckDB type}, of what the statement loaded
    column_types: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)


def render_value(value: Any, trino_type: str) -> str | None:
    """A value as Athena's GetQueryResults / CSV text gives it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if trino_type == "real":
            return repr(value)
        return java_double_to_string(value)
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.")
        if trino_type == "timestamp(6)":  # an Iceberg timestamp (microseconds)
            return text + f"{value.microsecond:06d}"
        text += f"{value.microsecond // 1000:03d}"
        if value.tzinfo is not None and trino_type.endswith("with time zone"):
            text += " UTC"
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{render_value(k, '')}={render_value(v, '')}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(render_value(v, "")) for v in value) + "]"
    if isinstance(value, bytes):
        return " ".join(f"{b:02x}" for b in value)
    return str(value)


def _name_columns(tree: exp.Expression) -> exp.Expression:
    """Trino names an unaliased expression of the outer SELECT ``_col<position>``."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.this
    if isinstance(select, exp.Select):
        named: list[exp.Expression] = []
        for i, e in enumerate(select.expressions):
            if isinstance(e, exp.Alias | exp.Column | exp.Star) or (
                isinstance(e, exp.Dot) and isinstance(e.expression, exp.Star)
            ):
                named.append(e)
            else:
                named.append(cast(exp.Expression, exp.alias_(e, f"_col{i}", quoted=True)))
        select.set("expressions", named)
    return tree


_TABLE_INPUT_KEYS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
)


def _table_input(table: dict[str, Any]) -> dict[str, Any]:
    """A GetTable answer as an UpdateTable TableInput (the keys TableInput accepts)."""
    return {k: table[k] for k in _TABLE_INPUT_KEYS if k in table}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _partition_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return java_double_to_string(value) if math.isfinite(value) else str(value)
    return str(value)


_WIDENING = {
    ("tinyint", "smallint"),
    ("tinyint", "int"),
    ("tinyint", "bigint"),
    ("smallint", "int"),
    ("smallint", "bigint"),
    ("int", "bigint"),
    ("float", "double"),
    ("tinyint", "double"),
    ("smallint", "double"),
    ("int", "double"),
    ("bigint", "double"),
}


def _coercible(got: str, want: str) -> bool:
    got, want = got.replace(" ", ""), want.replace(" ", "")
    if want.startswith(("varchar", "char")):
        want = "string"
    if got == want or (got, want) in _WIDENING:
        return True
    # INSERT and MERGE cast between numeric types as an assignment (Trino's "insert with
    # narrowing": a decimal literal into an integer column, checked value by value; dbt-athena's
    # seeds by insert send every number as DECIMAL '…')
    return _NUMERIC_HIVE.match(got) is not None and _NUMERIC_HIVE.match(want) is not None


_NUMERIC_HIVE = re.compile(r"(tinyint|smallint|int|integer|bigint|float|double|real|decimal)\b")


def _hive_text(kind: exp.Expression) -> str:
    return re.sub(r"\s+", "", str(kind.sql(dialect="hive"))).lower()


def _view_hive_type(duck_type: str) -> str:
    try:
        return hive_type_of(duck_type)
    except AthenaQueryError:
        return "string"


def _duckdb_failure(exc: duckdb.Error) -> AthenaQueryError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    marked = trino_error(message)  # a port's own error, named as Trino names it
    if marked is not None:
        return AthenaQueryError(*marked)
    if "Cannot cast" in message or "Could not convert" in message or "Conversion Error" in message:
        found = re.search(r"Cannot cast '[^']*' to \w+", message)
        return AthenaQueryError("INVALID_CAST_ARGUMENT", found.group(0) if found else message)
    if "Division by zero" in message:
        return AthenaQueryError("DIVISION_BY_ZERO", "Division by zero")
    if "Cannot convert value to JSON" in message:
        return AthenaQueryError("INVALID_FUNCTION_ARGUMENT", message)
    if isinstance(exc, duckdb.BinderException):
        col = re.search(
            r'column with name "?(\w+)"? not found|Referenced column "(\w+)" not found', message
        )
        if col:
            return AthenaQueryError(
                "COLUMN_NOT_FOUND", f"Column '{col.group(1) or col.group(2)}' cannot be resolved"
            )
    if isinstance(exc, duckdb.CatalogException):
        fn = re.search(r"Function with name (\w+) does not exist", message)
        if fn:
            return AthenaQueryError(
                "FUNCTION_NOT_FOUND", f"Function '{fn.group(1)}' not registered"
            )
    if isinstance(exc, duckdb.InterruptException):
        return AthenaQueryError("USER_CANCELED", "Query was canceled by user")
    if isinstance(exc, duckdb.OutOfRangeException) and "Overflow" in message:
        return AthenaQueryError("NUMERIC_VALUE_OUT_OF_RANGE", message)
    return AthenaQueryError("GENERIC_USER_ERROR", f"local engine (DuckDB): {message}")


# --- Iceberg helpers --------------------------------------------------------------------------


def _ice_read_type(hive_type: str) -> str:
    """The DuckDB type an Iceberg column is read as (timestamps: microseconds, marked as
    TIMESTAMP_NS so that results name them timestamp(6))."""
    if hive_type.strip().lower() == "timestamp":
        return "TIMESTAMP_NS"
    return duckdb_type(hive_type)


def _ice_store_type(hive_type: str) -> str:
    """The DuckDB type an Iceberg column is written as (timestamps: microseconds)."""
    if hive_type.strip().lower() == "timestamp":
        return "TIMESTAMP"
    return duckdb_type(hive_type)


def _ice_text(value: Any) -> str | None:
    """A partition value as the metadata keeps it (text that casts back to the value)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return _partition_text(value)


def _codec(compression: str) -> str:
    codec = {
        "snappy": "snappy",
        "gzip": "gzip",
        "zstd": "zstd",
        "none": "uncompressed",
        "uncompressed": "uncompressed",
    }.get(compression.lower())
    if codec is None:
        raise AthenaQueryError(
            "NOT_SUPPORTED", f"write_compression '{compression}' is not supported"
        )
    return codec


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return [c for part in (node.this, node.expression) for c in _conjuncts(part)]
    return [node]


def _only_columns(node: exp.Expression, keys: set[str], tables: set[str], *, single: bool) -> bool:
    """Does ``node`` read only these partition columns of this table (and no subquery)?"""
    if node.find(exp.Select, exp.AggFunc, exp.Window) is not None:
        return False
    cols = list(node.find_all(exp.Column))
    return bool(cols) and all(
        c.name.lower() in keys and (c.table.lower() in tables if c.table else single) for c in cols
    )


def _unqualified(node: exp.Expression) -> exp.Expression:
    copy = node.copy()
    for col in copy.find_all(exp.Column):
        col.set("table", None)
        col.set("db", None)
        col.set("catalog", None)
    return copy


def _pruning_conjuncts(node: exp.Table, keys: set[str]) -> list[exp.Expression]:
    """The WHERE conjuncts of the SELECT reading this table that read only its partition
    columns (not for a table on the null-supplying side of an outer join)."""
    if not keys:
        return []
    parent = node.parent
    select = parent.parent if isinstance(parent, exp.From | exp.Join) else None
    if not isinstance(select, exp.Select):
        return []
    joins = list(select.args.get("joins") or [])
    if isinstance(parent, exp.Join):
        if parent.side or (parent.kind or "").upper() not in ("", "INNER", "CROSS"):
            return []
    elif any((j.side or "").upper() in ("RIGHT", "FULL") for j in joins):
        return []
    where = select.args.get("where")
    if where is None:
        return []
    names = {node.alias_or_name.lower(), node.name.lower()}
    single = not joins
    return [
        _unqualified(c)
        for c in _conjuncts(where.this)
        if _only_columns(c, keys, names, single=single)
    ]


#: the first words of the statements in Athena's grammar (SQL reference: DDL and DML)
_STATEMENT_WORDS = frozenset(
    [
        "ALTER",
        "ANALYZE",
        "CALL",
        "COMMENT",
        "COMMIT",
        "CREATE",
        "DEALLOCATE",
        "DELETE",
        "DESC",
        "DESCRIBE",
        "DROP",
        "EMPTY",
        "EXECUTE",
        "EXPLAIN",
        "GRANT",
        "INSERT",
        "MERGE",
        "MSCK",
        "OPTIMIZE",
        "PREPARE",
        "REFRESH",
        "RESET",
        "REVOKE",
        "ROLLBACK",
        "SELECT",
        "SET",
        "SHOW",
        "START",
        "TRUNCATE",
        "UNLOAD",
        "UPDATE",
        "USE",
        "VACUUM",
        "VALUES",
        "WITH",
    ]
)


class EngineBase:
    """The machinery each statement family (a mixin of :class:`Engine`) runs on."""

    def __init__(
        self, catalog: Catalog, workdir: Path, clock: Callable[[], float] = time.time
    ) -> None:
        self.catalog = catalog
        self.workdir = workdir
        #: the time of Iceberg snapshots and VACUUM's expiry (injectable: tests age snapshots)
        self.clock = clock
        #: called with (database, table) right before an Iceberg commit's compare-and-swap
        #: (tests move the Glue pointer there to prove the swap is refused)
        self.commit_hook: Callable[[str, str], None] | None = None
        self._ddl_lock = threading.RLock()
        self._pool: list[duckdb.DuckDBPyConnection] = []
        self._pool_lock = threading.Lock()

    # --- entry point --------------------------------------------------------------------------

    def execute(
        self,
        sql: str,
        *,
        database: str,
        output_location: str,
        query_id: str,
        on_connection: Callable[[duckdb.DuckDBPyConnection | None], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Outcome:
        kind = statement_kind(sql)
        text = _strip_comments(sql)
        con = self._connection()
        clean = False
        try:
            if on_connection is not None:
                on_connection(con)
            ctx = _Context(database, output_location, query_id, con)
            handler = self._handlers().get(kind)
            first = kind.split()[0] if kind.split() else ""
            if handler is None and first not in _STATEMENT_WORDS:
                # not a statement of Athena's grammar at all: the parser's answer
                word = text.split()[0] if text.split() else "<EOF>"
                raise AthenaQueryError(
                    "SYNTAX_ERROR",
                    f"line 1:1: mismatched input '{word}'. Expecting: 'ALTER', 'CREATE', "
                    "'DELETE', 'DESCRIBE', 'DROP', 'EXPLAIN', 'INSERT', 'MERGE', 'SELECT', "
                    "'SHOW', 'UPDATE', 'VALUES', 'WITH', <query>",
                )
            if handler is None:
                raise AthenaQueryError(
                    "NOT_SUPPORTED",
                    f"{kind} statements are not supported by the local Athena endpoint "
                    "(docs/athena-parity.md)",
                )
            outcome = handler(text, ctx)
            self._count_reads(ctx)
            outcome.data_scanned = ctx.scanned
            outcome.partitions_read = frozenset(ctx.partitions_read)
            clean = True
            return outcome
        except EmulationError as exc:
            raise AthenaQueryError("NOT_SUPPORTED", f"local Athena endpoint: {exc}") from None
        finally:
            if on_connection is not None:
                on_connection(None)
            # a connection a StopQueryExecution may still interrupt is never reused
            self._release(con, reuse=clean and not (cancel is not None and cancel.is_set()))

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with an empty ``awsdatacatalog`` (reused: connecting and
        registering the ports costs more than many a query)."""
        with self._pool_lock:
            if self._pool:
                con = self._pool.pop()
                con.execute(f"ATTACH ':memory:' AS {CATALOG}")
                con.execute("CALL truncate_duckdb_logs()")
                return con
        con = duckdb.connect(config={"threads": 1})
        con.execute("SET TimeZone = 'UTC'")  # Athena's session zone
        con.execute("SET integer_division = true")  # Trino: 5 / 2 = 2, -7 / 2 = -3
        # what a statement read, for DataScannedInBytes (_count_reads): every read goes
        # to the file itself (no cache serving a file's data pages from its footer read)
        con.execute("SET enable_external_file_cache = false")
        con.execute("CALL enable_logging('FileSystem')")
        con.execute(f"ATTACH ':memory:' AS {CATALOG}")
        register(con)
        return con

    def _count_reads(self, ctx: _Context) -> None:
        """Adds the objects (Hive files; Iceberg data and delete files) whose data pages the
        statement read to ``ctx.scanned`` (their whole size) and their partitions to
        ``ctx.partitions_read``.

        DuckDB opens every file of a table it binds and reads its footer (a small file whole,
        from offset 0); a file is counted when a read ended before its footer: a column chunk,
        which DuckDB reads only for a partition its optimizer did not prune (and, within a
        file, for a row group its statistics do not rule out). A LIMIT 0 reads nothing."""
        if not ctx.read_files:
            return
        rows = ctx.con.execute(
            "SELECT json_extract_string(message, '$.path'), "
            "CAST(json_extract_string(message, '$.pos') AS BIGINT), "
            "CAST(json_extract_string(message, '$.bytes') AS BIGINT) "
            "FROM duckdb_logs WHERE type = 'FileSystem' "
            "AND json_extract_string(message, '$.op') = 'READ'"
        ).fetchall()
        read = {
            path
            for path, pos, size in rows
            if path in ctx.read_files
            and size
            and pos + size <= self.catalog.parquet_footer_start(path)
        }
        for path in read:
            size, db, name, values = ctx.read_files[path]
            ctx.scanned += size
            if db:
                ctx.partitions_read.add((db, name, values))

    def _release(self, con: duckdb.DuckDBPyConnection, *, reuse: bool) -> None:
        if reuse:
            try:
                con.execute("USE memory")
                con.execute(f"DETACH {CATALOG}")
                for (name,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE temporary"
                ).fetchall():
                    con.execute(f'DROP TABLE temp."{name}"')
            except duckdb.Error:
                reuse = False
        if not reuse:
            con.close()
            return
        with self._pool_lock:
            self._pool.append(con)

    def _handlers(self) -> dict[str, Callable[[str, _Context], Outcome]]:
        """Statement kind -> the family method that runs it (:class:`Engine`)."""
        raise NotImplementedError

    # --- SELECT -------------------------------------------------------------------------------

    def _parse(self, sql: str) -> exp.Expression:
        try:
            statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
        except ParseError as exc:
            raise AthenaQueryError("SYNTAX_ERROR", str(exc).splitlines()[0]) from None
        if len(statements) != 1:
            raise AthenaQueryError("SYNTAX_ERROR", "Only one sql statement is allowed")
        tree = cast(exp.Expression, statements[0])
        refused = refused_call(tree, sql)  # by the names as written, before any rewriting
        if refused is not None:
            raise AthenaQueryError(*refused)
        return tree

    def _run(self, ctx: _Context, duck_sql: str) -> duckdb.DuckDBPyConnection:
        try:
            return ctx.con.execute(duck_sql)
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None

    def _table_or_fail(self, db: str, name: str) -> dict[str, Any]:
        self.catalog.require_database(db)
        table = self.catalog.get_table(db, name)
        if table is None:
            raise AthenaQueryError(
                "TABLE_NOT_FOUND", f"Table '{CATALOG}.{db}.{name}' does not exist"
            )
        return table

    def _hive_or_fail(self, db: str, name: str, what: str) -> dict[str, Any]:
        table = self._table_or_fail(db, name)
        if is_iceberg(table):
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"{what} is not supported for Iceberg table {db}.{name} (its partitions are in "
                'its metadata: query "<table>$partitions")',
            )
        return table

    # --- Iceberg: writing and committing -----------------------------------------------------

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @staticmethod
    def _check_open_writers(count: int) -> None:
        if count > MAX_OPEN_WRITERS:
            raise AthenaQueryError(
                "ICEBERG_TOO_MANY_OPEN_PARTITIONS",
                f"Exceeded limit of {MAX_OPEN_WRITERS} open writers for partitions",
            )
