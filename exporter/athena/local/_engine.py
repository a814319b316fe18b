"""Executes one Athena statement against the endpoint's Glue catalog and S3 objects.

SELECTs are transpiled Trino -> DuckDB (:mod:`._transpile`, with the Trino function ports) and
run over the Parquet objects of the Glue tables they read (views expanded from their Presto view
text). DDL keeps the catalog the way Athena does; CTAS and INSERT INTO write Parquet in the Hive
layout and register the partitions they wrote. Iceberg tables (:mod:`._iceberg`'s metadata
model) are read, written (CTAS, INSERT, MERGE, DELETE, OPTIMIZE) and vacuumed with one
compare-and-swap commit of Glue's metadata_location per statement. Anything else raises
:class:`AthenaQueryError` naming what is not supported: nothing succeeds without having been
executed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ._catalog import (
    PARQUET_INPUT,
    PARQUET_OUTPUT,
    PARQUET_SERDE,
    AthenaQueryError,
    Catalog,
    duckdb_type,
    hive_partition_path,
    hive_type_of,
    presto_view_text,
    split_s3,
    trino_type_of,
    view_sql,
)
from ._functions import refused_call, unsupported_function
from ._iceberg import (
    Meta,
    check_iceberg_type,
    check_properties,
    iceberg_partition_path,
    is_iceberg,
    new_table,
    parse_meta,
    parse_partitioning,
)
from ._transpile import EmulationError, rewrite_tree
from ._trino import java_double_to_string, register

__all__ = ["CATALOG", "MAX_OPEN_WRITERS", "Engine", "Outcome", "statement_kind"]

CATALOG = "awsdatacatalog"
#: Athena's limit of partitions one CTAS or INSERT INTO may write (open writers)
MAX_OPEN_WRITERS = 100

_COMMENT = re.compile(r"\A(\s+|--[^\n]*(\n|\Z)|/\*.*?\*/)", re.S)
_NAME = r'(?:"[^"]+"|`[^`]+`|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|`[^`]+`|[\w$]+)){0,2}'


def _strip_comments(sql: str) -> str:
    text = sql
    while True:
        m = _COMMENT.match(text)
        if not m or not m.group(0):
            return text.strip().rstrip(";").strip()
        text = text[m.end() :]


def statement_kind(sql: str) -> str:
    """A short upper-case name of the statement's kind, e.g. ``CREATE EXTERNAL TABLE``."""
    text = _strip_comments(sql)
    words = re.findall(r"[A-Za-z]+", text[:200])
    upper = [w.upper() for w in words]
    if not upper:
        return "EMPTY"
    if upper[0] in ("SELECT", "WITH", "VALUES") or text.startswith("("):
        return "SELECT"
    if upper[:2] == ["CREATE", "TABLE"] and re.search(
        r"\)\s*AS\b|\bAS\s*\(?\s*(SELECT|WITH)\b", text, re.I
    ):
        return "CREATE TABLE AS SELECT"
    if upper[0] in ("CREATE", "DROP") and len(upper) > 1:
        if upper[1:3] == ["OR", "REPLACE"]:
            return " ".join([upper[0], *upper[3:4]])
        if upper[1] == "EXTERNAL":
            return "CREATE EXTERNAL TABLE"
        return f"{upper[0]} {upper[1]}"
    alter = re.match(r"alter\s+table\s+" + _NAME + r"\s+(\w+)(?:\s+(\w+))?", text, re.I)
    if alter:
        action = alter.group(1).upper()
        if action == "SET" and alter.group(2):
            return f"ALTER TABLE SET {alter.group(2).upper()}"
        return f"ALTER TABLE {action}"
    if upper[:2] == ["INSERT", "INTO"]:
        return "INSERT INTO"
    if upper[:3] == ["MSCK", "REPAIR", "TABLE"]:
        return "MSCK REPAIR TABLE"
    if upper[0] in (
        "SHOW",
        "DESCRIBE",
        "DESC",
        "EXPLAIN",
        "MERGE",
        "UPDATE",
        "DELETE",
        "OPTIMIZE",
        "VACUUM",
        "UNLOAD",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "USE",
        "GRANT",
    ):
        return " ".join(upper[:2]) if upper[0] == "SHOW" else upper[0]
    return str(upper[0])


def _ident(text: str) -> str:
    text = text.strip()
    if text[:1] in ('"', "`") and text[-1:] == text[:1]:
        return text[1:-1].lower()
    return text.lower()


def _split_name(text: str, database: str) -> tuple[str, str]:
    """(database, table) of ``[catalog.][db.]table``, lower-cased as Glue keeps them."""
    parts = [_ident(p) for p in re.findall(r'"[^"]+"|`[^`]+`|[^.\s]+', text)]
    if len(parts) == 3:
        if parts[0] != CATALOG:
            raise AthenaQueryError("CATALOG_NOT_FOUND", f"Catalog '{parts[0]}' does not exist")
        parts = parts[1:]
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 1:
        return database, parts[0]
    raise AthenaQueryError("SYNTAX_ERROR", f"invalid table name {text!r}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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


class Engine:
    """Runs statements; one DuckDB connection per statement, the catalog in moto's Glue."""

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
        return {
            "SELECT": self._select,
            "CREATE DATABASE": self._create_database,
            "CREATE SCHEMA": self._create_database,
            "DROP DATABASE": self._drop_database,
            "DROP SCHEMA": self._drop_database,
            "CREATE EXTERNAL TABLE": self._create_external_table,
            "CREATE TABLE AS SELECT": self._ctas,
            "CREATE VIEW": self._create_view,
            "DROP TABLE": self._drop,
            "DROP VIEW": self._drop,
            "ALTER TABLE ADD": self._add_partitions,
            "ALTER TABLE DROP": self._drop_partitions,
            "ALTER TABLE SET TBLPROPERTIES": self._set_tblproperties,
            "MSCK REPAIR TABLE": self._msck_repair,
            "INSERT INTO": self._insert,
            "SHOW DATABASES": self._show_databases,
            "SHOW SCHEMAS": self._show_databases,
            "SHOW TABLES": self._show_tables,
            "SHOW PARTITIONS": self._show_partitions,
            "MERGE": self._merge,
            "DELETE": self._delete,
            "OPTIMIZE": self._optimize,
            "VACUUM": self._vacuum,
            "ALTER TABLE RENAME": self._rename,
        }

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

    def _prepare(self, tree: exp.Expression, ctx: _Context, default_db: str) -> str:
        """Checks the functions, loads the tables it reads into DuckDB, returns DuckDB SQL."""
        bad = unsupported_function(tree)
        if bad is not None:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"function {bad} is not supported by the local Athena endpoint "
                "(docs/athena-parity.md)",
            )
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            if not table.name or isinstance(table.this, exp.Func):
                continue
            db_part = table.args.get("db")
            if db_part is None and table.name.lower() in ctes:
                continue
            catalog = table.args.get("catalog")
            if catalog is not None and catalog.name.lower() != CATALOG:
                raise AthenaQueryError(
                    "CATALOG_NOT_FOUND", f"Catalog '{catalog.name}' does not exist"
                )
            if db_part is None and table.name.lower().startswith("__ara_"):
                continue  # the statement's own temporary tables (MERGE, DELETE)
            db = db_part.name.lower() if db_part is not None else default_db
            name = table.name.lower()
            version = table.args.get("version")
            if "$" in name:
                name = self._load_metadata_table(db, name, ctx)
            elif self._iceberg_glue(db, name, ctx) is not None and (
                version is not None or _pruning_conjuncts(table, self._iceberg_keys(db, name, ctx))
            ):
                name = self._load_iceberg_ref(db, name, table, ctx)
            else:
                if version is not None:
                    raise AthenaQueryError(
                        "NOT_SUPPORTED",
                        f"FOR {version.this} AS OF: {db}.{name} is not an Iceberg table",
                    )
                self._load(db, name, ctx)
            if table.args.get("alias") is None and name != table.name.lower():
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("version", None)
            table.set("catalog", exp.to_identifier(CATALOG, quoted=True))
            table.set("db", exp.to_identifier(db, quoted=True))
            table.set("this", exp.to_identifier(name, quoted=True))
        return rewrite_tree(tree)

    def _run(self, ctx: _Context, duck_sql: str) -> duckdb.DuckDBPyConnection:
        try:
            return ctx.con.execute(duck_sql)
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None

    def _select(self, text: str, ctx: _Context) -> Outcome:
        tree = _name_columns(self._parse(text))
        duck_sql = self._prepare(tree, ctx, ctx.database)
        cursor = self._run(ctx, duck_sql)
        names = [d[0] for d in cursor.description or []]
        types = [trino_type_of(str(d[1])) for d in cursor.description or []]
        try:
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None
        out = [[render_value(v, t) for v, t in zip(row, types, strict=True)] for row in rows]
        return Outcome("DML", "SELECT", list(zip(names, types, strict=True)), out)

    # --- loading Glue tables and views into DuckDB --------------------------------------------

    def _load(self, db: str, name: str, ctx: _Context) -> None:
        key = (db, name)
        if key in ctx.loaded:
            return
        if key in ctx.loading:
            raise AthenaQueryError(
                "VIEW_IS_RECURSIVE", f"View '{CATALOG}.{db}.{name}' is recursive"
            )
        ctx.loading.add(key)
        self.catalog.require_database(db)
        table = self.catalog.get_table(db, name)
        if table is None:
            raise AthenaQueryError(
                "TABLE_NOT_FOUND", f"Table '{CATALOG}.{db}.{name}' does not exist"
            )
        ctx.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
        relation = f'{CATALOG}."{db}"."{name}"'
        if table.get("TableType") == "VIRTUAL_VIEW":
            sql, _, schema = view_sql(table)
            body = self._prepare(self._parse(sql), ctx, schema)
            select = body
        else:
            select = self._table_select(db, name, table, ctx)
        try:
            ctx.con.execute(f"CREATE VIEW {relation} AS {select}")
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None
        ctx.loading.discard(key)
        ctx.loaded[key] = relation

    def _table_select(self, db: str, name: str, table: dict[str, Any], ctx: _Context) -> str:
        sd = table.get("StorageDescriptor") or {}
        params = table.get("Parameters") or {}
        if is_iceberg(table):
            meta = self._iceberg_meta(db, name, ctx)
            return self._iceberg_public(meta, self._iceberg_scan(meta, ctx, meta.snapshot(), []))
        serde = str((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "")
        if serde != PARQUET_SERDE and str(sd.get("InputFormat")) != PARQUET_INPUT:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"table {db}.{name}: only Parquet tables are read by the local endpoint "
                f"(SerDe {serde or 'none'})",
            )
        columns = [(c["Name"].lower(), c["Type"]) for c in sd.get("Columns", [])]
        keys = [(c["Name"].lower(), c["Type"]) for c in table.get("PartitionKeys", [])]
        #: (partition values, the partition's local file copies); one group when unpartitioned
        groups: list[tuple[list[str | None], list[str]]] = []
        if keys:
            if str(params.get("projection.enabled", "")).lower() == "true":
                parts = self._projected_partitions(table, keys)
            else:
                parts = [
                    (p["Values"], p["StorageDescriptor"]["Location"])
                    for p in self.catalog.partitions(db, name)
                ]
        else:
            parts = [([], str(sd.get("Location", "")))]
        for values, location in parts:
            paths = []
            for obj in self.catalog.data_files(location):
                path = str(self.catalog.local_copy(obj))
                paths.append(path)
                ctx.read_files[path] = (obj.size, db, name, tuple(values))
            if paths:
                groups.append((list(values), paths))
        typed = [(n, duckdb_type(t)) for n, t in columns]
        typed_keys = [(n, duckdb_type(t)) for n, t in keys]
        if not groups:
            nulls = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in typed + typed_keys)
            return f"SELECT {nulls} LIMIT 0"
        # One branch per partition, its values as constants: a predicate on the partition
        # columns, wherever DuckDB's optimizer pushes it (through views, joins, unnests), folds
        # a pruned partition's branch to nothing, and its files are never read (Athena prunes
        # partitions the same way; what was read is counted from DuckDB's file system log).
        branches = [self._partition_branch(typed, typed_keys, v, p) for v, p in groups]
        while len(branches) > 1:  # a balanced UNION ALL: its depth grows with log2(partitions)
            branches = [
                f"({branches[i]}) UNION ALL ({branches[i + 1]})"
                if i + 1 < len(branches)
                else branches[i]
                for i in range(0, len(branches), 2)
            ]
        return branches[0]

    def _partition_branch(
        self,
        typed: list[tuple[str, str]],
        typed_keys: list[tuple[str, str]],
        values: list[str | None],
        paths: list[str],
    ) -> str:
        """The rows of one partition's files: columns read by name (a column no file has is
        null) and cast to the Glue types, the partition values as typed constants."""
        in_file: dict[str, tuple[str, bool]] = {}  # lower name -> (name in file, UTC-adjusted)
        for path in paths:
            for column, adjusted in self.catalog.parquet_columns(path):
                in_file.setdefault(column.lower(), (column, adjusted))
        exprs = []
        for n, t in typed:
            if n not in in_file:
                exprs.append(f'CAST(NULL AS {t}) AS "{n}"')
                continue
            original, adjusted = in_file[n]
            source = '"' + original.replace('"', '""') + '"'
            if t == "TIMESTAMP(3)" and adjusted:
                source = f"timezone('UTC', {source})"  # UTC-adjusted Parquet -> wall clock
            exprs.append(f'CAST({source} AS {t}) AS "{n}"')
        for (n, t), v in zip(typed_keys, values, strict=True):
            value = "NULL" if v is None or v == "__HIVE_DEFAULT_PARTITION__" else _literal(v)
            exprs.append(f'CAST({value} AS {t}) AS "{n}"')
        files = "[" + ", ".join(_literal(p) for p in paths) + "]"
        return f"SELECT {', '.join(exprs)} FROM read_parquet({files}, union_by_name = true)"

    def _projected_partitions(
        self, table: dict[str, Any], keys: list[tuple[str, str]]
    ) -> list[tuple[list[str | None], str]]:
        """Partition projection: the partition folders under the location that match the
        storage.location.template (or k=v folders) and the keys' enum values."""
        params = table.get("Parameters") or {}
        location = str(table["StorageDescriptor"]["Location"]).rstrip("/")
        template = str(params.get("storage.location.template") or "").rstrip("/")
        if not template:
            template = location + "/" + "/".join(f"{k}=${{{k}}}" for k, _ in keys)
        pattern = re.escape(template)
        for k, _ in keys:
            pattern = pattern.replace(re.escape(f"${{{k}}}"), f"(?P<{k}>[^/]+)")
        regex = re.compile(pattern + "/")
        found: dict[tuple[str, ...], str] = {}
        for obj in self.catalog.list_objects(location + "/"):
            m = regex.match(f"s3://{obj.bucket}/{obj.key}")
            if not m:
                continue
            values = tuple(m.group(k) for k, _ in keys)
            ok = True
            for k, _ in keys:
                kind = str(params.get(f"projection.{k}.type", "")).lower()
                if kind == "enum":
                    allowed = str(params.get(f"projection.{k}.values", "")).split(",")
                    ok = ok and m.group(k) in [a.strip() for a in allowed]
            if ok:
                found.setdefault(values, m.group(0))
        return [(list(v), loc) for v, loc in sorted(found.items())]

    # --- CTAS, shared by Hive and Iceberg tables ------------------------------------------------

    def _ctas_target_exists(self, db: str, name: str, *, if_not_exists: bool) -> bool:
        """True when the table exists and IF NOT EXISTS lets the CTAS do nothing; fails when
        it exists otherwise (or the database does not)."""
        self.catalog.require_database(db)
        if self.catalog.get_table(db, name) is None:
            return False
        if if_not_exists:
            return True
        raise AthenaQueryError(
            "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
        )

    def _ctas_result(self, query: str, ctx: _Context, *, with_data: bool) -> list[tuple[str, str]]:
        """Runs a CTAS query into the temp table ``__ara_result`` (no rows: WITH NO DATA) and
        returns its columns, (name as written, DuckDB type). An unnamed or a repeated column
        fails as on Athena."""
        tree = self._parse(query)
        if _name_columns(tree.copy()).sql() != tree.sql():
            raise AthenaQueryError(
                "MISSING_COLUMN_NAME", "Column name not specified for an expression of the query"
            )
        duck_sql = self._prepare(tree, ctx, ctx.database)
        self._run(
            ctx, f"CREATE TEMP TABLE __ara_result AS {duck_sql}" + ("" if with_data else " LIMIT 0")
        )
        described = ctx.con.execute("DESCRIBE __ara_result").fetchall()
        columns = [(str(r[0]), str(r[1])) for r in described]
        lowered = [c.lower() for c, _ in columns]
        if len(set(lowered)) != len(lowered):
            raise AthenaQueryError("DUPLICATE_COLUMN_NAME", f"Column names repeat: {lowered}")
        return columns

    # --- DDL: databases and external tables ---------------------------------------------------

    def _create_database(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"create\s+(?:database|schema)\s+(if\s+not\s+exists\s+)?(" + _NAME + r")(.*)\Z",
            text,
            re.I | re.S,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE DATABASE: cannot read the statement")
        name = _ident(m.group(2).split(".")[-1])
        rest = m.group(3)
        comment = re.search(r"\bcomment\s+'((?:[^']|'')*)'", rest, re.I)
        location = re.search(r"\blocation\s+'([^']*)'", rest, re.I)
        with self._ddl_lock:
            if self.catalog.database_exists(name):
                if m.group(1):
                    return Outcome("DDL", "CREATE_DATABASE")
                raise AthenaQueryError("ALREADY_EXISTS", f"Database {name} already exists")
            db_input: dict[str, Any] = {"Name": name}
            if comment:
                db_input["Description"] = comment.group(1).replace("''", "'")
            if location:
                db_input["LocationUri"] = location.group(1)
            self.catalog.glue.create_database(DatabaseInput=db_input)
        return Outcome("DDL", "CREATE_DATABASE")

    def _drop_database(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"drop\s+(?:database|schema)\s+(if\s+exists\s+)?("
            + _NAME
            + r")\s*(cascade|restrict)?\s*\Z",
            text,
            re.I,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "DROP DATABASE: cannot read the statement")
        name = _ident(m.group(2).split(".")[-1])
        with self._ddl_lock:
            if not self.catalog.database_exists(name):
                if m.group(1):
                    return Outcome("DDL", "DROP_DATABASE")
                raise AthenaQueryError("SCHEMA_NOT_FOUND", f"Database does not exist: {name}")
            tables = self.catalog.glue.get_tables(DatabaseName=name)["TableList"]
            if tables and (m.group(3) or "").lower() != "cascade":
                raise AthenaQueryError(
                    "SCHEMA_NOT_EMPTY", f"Database {name} is not empty. One or more tables exist."
                )
            self.catalog.glue.delete_database(Name=name)
        return Outcome("DDL", "DROP_DATABASE")

    def _create_external_table(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"create\s+external\s+table\s+(if\s+not\s+exists\s+)?(" + _NAME + r")\s*\(",
            text,
            re.I,
        )
        if not m:
            raise AthenaQueryError(
                "SYNTAX_ERROR", "CREATE EXTERNAL TABLE: cannot read the statement"
            )
        db, name = _split_name(m.group(2), ctx.database)
        tree = self._parse(text)
        schema = tree.this if isinstance(tree, exp.Create) else None
        if not isinstance(schema, exp.Schema):
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE EXTERNAL TABLE: no column list")
        columns = [
            {"Name": c.name.lower(), "Type": _hive_text(c.args["kind"])}
            for c in schema.expressions
            if isinstance(c, exp.ColumnDef)
        ]
        comments = {
            c.name.lower(): c.find(exp.CommentColumnConstraint)
            for c in schema.expressions
            if isinstance(c, exp.ColumnDef)
        }
        for col in columns:
            comment = comments.get(col["Name"])
            if comment is not None:
                col["Comment"] = comment.this.name
        keys: list[dict[str, str]] = []
        location = None
        serde = None
        input_format = None
        output_format = None
        table_props: dict[str, str] = {}
        serde_props: dict[str, str] = {}
        for prop in tree.find_all(exp.Property):
            if isinstance(prop, exp.PartitionedByProperty):
                keys = [
                    {"Name": c.name.lower(), "Type": _hive_text(c.args["kind"])}
                    for c in prop.this.expressions
                    if isinstance(c, exp.ColumnDef)
                ]
            elif isinstance(prop, exp.LocationProperty):
                location = prop.this.name
            elif isinstance(prop, exp.RowFormatSerdeProperty):
                serde = prop.this.name
                serde_props = _props(prop.args.get("serde_properties"))
            elif isinstance(prop, exp.FileFormatProperty):
                fmt = prop.this
                if isinstance(fmt, exp.InputOutputFormat):
                    input_format = fmt.args["input_format"].name
                    output_format = fmt.args["output_format"].name
                else:
                    stored = (fmt.name if fmt is not None else "").upper()
                    if stored == "PARQUET":
                        serde, input_format, output_format = (
                            PARQUET_SERDE,
                            PARQUET_INPUT,
                            PARQUET_OUTPUT,
                        )
                    else:
                        raise AthenaQueryError(
                            "NOT_SUPPORTED", f"STORED AS {stored} is not supported (only Parquet)"
                        )
            elif type(prop) is exp.Property:
                table_props[prop.name] = _prop_value(prop.args.get("value"))
        if table_props.get("table_type", "").upper() == "ICEBERG":
            raise AthenaQueryError(
                "NOT_SUPPORTED", "External keyword not supported for table type ICEBERG"
            )
        if location is None:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE EXTERNAL TABLE needs a LOCATION")
        split_s3(location)
        names = [c["Name"] for c in columns + keys]
        if len(set(names)) != len(names):
            raise AthenaQueryError("DUPLICATE_COLUMN_NAME", f"columns {names} repeat a name")
        with self._ddl_lock:
            self.catalog.require_database(db)
            if self.catalog.get_table(db, name) is not None:
                if m.group(1):
                    return Outcome("DDL", "CREATE_TABLE")
                raise AthenaQueryError("ALREADY_EXISTS", f"Table {db}.{name} already exists")
            self.catalog.glue.create_table(
                DatabaseName=db,
                TableInput={
                    "Name": name,
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"EXTERNAL": "TRUE", **table_props},
                    "PartitionKeys": keys,
                    "StorageDescriptor": {
                        "Columns": columns,
                        "Location": location,
                        "InputFormat": input_format or PARQUET_INPUT,
                        "OutputFormat": output_format or PARQUET_OUTPUT,
                        "SerdeInfo": {
                            "SerializationLibrary": serde or PARQUET_SERDE,
                            "Parameters": {"serialization.format": "1", **serde_props},
                        },
                    },
                },
            )
        return Outcome("DDL", "CREATE_TABLE")

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

    def _partition_location(self, table: dict[str, Any], values: list[str | None]) -> str:
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        base = str(table["StorageDescriptor"]["Location"]).rstrip("/")
        return f"{base}/{hive_partition_path(keys, values)}/"

    def _add_partitions(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+add\s+(if\s+not\s+exists\s+)?(.*)\Z",
            text,
            re.I | re.S,
        )
        if not m or not re.match(r"partition\b", m.group(3), re.I):
            raise AthenaQueryError(
                "NOT_SUPPORTED", "ALTER TABLE ADD: only ADD PARTITION is supported"
            )
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "ALTER TABLE ADD PARTITION")
        keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
        specs = re.findall(r"partition\s*\(([^)]*)\)\s*(?:location\s+'([^']*)')?", m.group(3), re.I)
        if not specs:
            raise AthenaQueryError("SYNTAX_ERROR", "ALTER TABLE ADD PARTITION: no partition spec")
        existing = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
        new: list[tuple[list[str], str]] = []
        for spec, location in specs:
            given = {
                k.strip().strip('"`').lower(): v
                for k, v in re.findall(r"([\w\"`]+)\s*=\s*('(?:[^']|'')*'|[^,\s]+)", spec)
            }
            if sorted(given) != sorted(k for k, _ in keys):
                raise AthenaQueryError(
                    "HIVE_METASTORE_ERROR",
                    f"partition spec {{{spec.strip()}}} does not name the partition keys "
                    f"{[k for k, _ in keys]} of {db}.{name}",
                )
            values: list[str] = []
            for k, t in keys:
                raw = given[k]
                value = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
                if t.lower() == "date":
                    try:
                        dt.date.fromisoformat(value)
                    except ValueError:
                        raise AthenaQueryError(
                            "HIVE_INVALID_PARTITION_VALUE",
                            f"Invalid partition value '{value}' for DATE partition key: {k}",
                        ) from None
                values.append(value)
            if tuple(values) in existing:
                if m.group(2):
                    continue
                raise AthenaQueryError("ALREADY_EXISTS", f"Partition already exists: {values}")
            existing.add(tuple(values))
            new.append((values, location or self._partition_location(table, list(values))))
        if new:
            self.catalog.add_partitions(db, name, table, new)
        return Outcome("DDL", "ALTER_TABLE_ADD_PARTITION")

    def _drop_partitions(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+drop\s+(if\s+exists\s+)?(.*)\Z", text, re.I | re.S
        )
        if not m or not re.match(r"partition\b", m.group(3), re.I):
            raise AthenaQueryError(
                "NOT_SUPPORTED", "ALTER TABLE DROP: only DROP PARTITION is supported"
            )
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "ALTER TABLE DROP PARTITION")
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        existing = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
        for spec in re.findall(r"partition\s*\(([^)]*)\)", m.group(3), re.I):
            given = {
                k.strip().strip('"`').lower(): v.strip("'")
                for k, v in re.findall(r"([\w\"`]+)\s*=\s*('(?:[^']|'')*'|[^,\s]+)", spec)
            }
            values = tuple(given.get(k) for k in keys)
            if values not in existing:
                if m.group(2):
                    continue
                raise AthenaQueryError(
                    "HIVE_METASTORE_ERROR", f"Partition not found: {spec.strip()}"
                )
            self.catalog.glue.delete_partition(
                DatabaseName=db, TableName=name, PartitionValues=list(values)
            )
        return Outcome("DDL", "ALTER_TABLE_DROP_PARTITION")

    def _set_tblproperties(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+set\s+tblproperties\s*\((.*)\)\s*\Z",
            text,
            re.I | re.S,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "ALTER TABLE SET TBLPROPERTIES: cannot read it")
        db, name = _split_name(m.group(1), ctx.database)
        pairs = re.findall(r"'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'", m.group(2))
        if is_iceberg(self._table_or_fail(db, name)):
            given = {k.replace("''", "'"): v.replace("''", "'") for k, v in pairs}
            self._set_iceberg_properties(ctx, db, name, given)
            return Outcome("DDL", "ALTER_TABLE_SET_TBLPROPERTIES")
        with self._ddl_lock:
            table = self._table_or_fail(db, name)
            params = dict(table.get("Parameters") or {})
            params.update({k.replace("''", "'"): v.replace("''", "'") for k, v in pairs})
            self.catalog.glue.update_table(
                DatabaseName=db, TableInput={**_table_input(table), "Parameters": params}
            )
        return Outcome("DDL", "ALTER_TABLE_SET_TBLPROPERTIES")

    def _msck_repair(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"msck\s+repair\s+table\s+(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "MSCK REPAIR TABLE: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "MSCK REPAIR TABLE")
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        if not keys:
            return Outcome("DDL", "MSCK_REPAIR_TABLE")
        location = str(table["StorageDescriptor"]["Location"]).rstrip("/") + "/"
        _, prefix = split_s3(location)
        pattern = re.compile("/".join(f"{re.escape(k)}=([^/]+)" for k in keys) + "/[^/]")
        found: dict[tuple[str, ...], str] = {}
        for obj in self.catalog.list_objects(location):
            hit = pattern.match(obj.key[len(prefix) :])
            if hit:
                values = tuple(_unescape(v) for v in hit.groups())
                folder = "/".join(f"{k}={v}" for k, v in zip(keys, hit.groups(), strict=True))
                found.setdefault(values, f"{location}{folder}/")
        existing = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
        new = [(list(v), loc) for v, loc in sorted(found.items()) if v not in existing]
        if new:
            self.catalog.add_partitions(db, name, table, new)
        return Outcome("DDL", "MSCK_REPAIR_TABLE")

    # --- views ---------------------------------------------------------------------------------

    def _create_view(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"create\s+(or\s+replace\s+)?view\s+(" + _NAME + r")\s+as\s+(.*)\Z", text, re.I | re.S
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE VIEW: cannot read the statement")
        db, name = _split_name(m.group(2), ctx.database)
        body = m.group(3).strip()
        tree = self._parse(body)
        if not isinstance(tree, exp.Query):
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE VIEW: the body is not a query")
        self.catalog.require_database(db)
        duck_sql = self._prepare(tree, ctx, db)
        try:
            described = ctx.con.execute(f"DESCRIBE {duck_sql}").fetchall()
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None
        columns = [(str(r[0]).lower(), str(r[1])) for r in described]
        trino_columns = [(n, trino_type_of(t)) for n, t in columns]
        table_input = {
            "Name": name,
            "TableType": "VIRTUAL_VIEW",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": presto_view_text(body, CATALOG, db, trino_columns),
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": _view_hive_type(t)} for n, t in columns],
                "SerdeInfo": {},
                "Location": "",
            },
            "PartitionKeys": [],
        }
        with self._ddl_lock:
            existing = self.catalog.get_table(db, name)
            if existing is not None:
                if existing.get("TableType") != "VIRTUAL_VIEW":
                    raise AthenaQueryError(
                        "TABLE_ALREADY_EXISTS", f"Table already exists: '{CATALOG}.{db}.{name}'"
                    )
                if not m.group(1):
                    raise AthenaQueryError(
                        "ALREADY_EXISTS", f"View already exists: '{CATALOG}.{db}.{name}'"
                    )
                self.catalog.glue.update_table(DatabaseName=db, TableInput=table_input)
            else:
                self.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
        return Outcome("DDL", "CREATE_VIEW")

    def _drop(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"drop\s+(table|view)\s+(if\s+exists\s+)?(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "DROP: cannot read the statement")
        kind = m.group(1).upper()
        db, name = _split_name(m.group(3), ctx.database)
        with self._ddl_lock:
            table = self.catalog.get_table(db, name) if self.catalog.database_exists(db) else None
            is_view = table is not None and table.get("TableType") == "VIRTUAL_VIEW"
            if table is None or (kind == "VIEW") != is_view:
                if table is not None and kind == "TABLE":
                    raise AthenaQueryError("NOT_SUPPORTED", "Cannot drop a view with DROP TABLE")
                if m.group(2):
                    return Outcome("DDL", f"DROP_{kind}")
                what = "View" if kind == "VIEW" else "Table"
                raise AthenaQueryError(
                    f"{kind}_NOT_FOUND", f"{what} '{CATALOG}.{db}.{name}' does not exist"
                )
            if is_iceberg(table):
                assert table is not None
                self._drop_iceberg(db, name, table)
                return Outcome("DDL", f"DROP_{kind}")
            # Hive tables in Athena are external: DROP TABLE removes the metadata only
            self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        return Outcome("DDL", f"DROP_{kind}")

    # --- CTAS and INSERT INTO -----------------------------------------------------------------

    def _ctas(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"create\s+table\s+(if\s+not\s+exists\s+)?(" + _NAME + r")\s*", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE TABLE AS: cannot read the statement")
        db, name = _split_name(m.group(2), ctx.database)
        rest = text[m.end() :]
        props: dict[str, str] = {}
        if re.match(r"with\s*\(", rest, re.I):
            start = rest.index("(")
            end = _closing(rest, start)
            props = _with_properties(rest[start + 1 : end])
            rest = rest[end + 1 :]
        am = re.match(r"\s*as\s+(.*)\Z", rest, re.I | re.S)
        if not am:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE TABLE AS: no AS <query>")
        query = am.group(1).strip()
        with_data = True
        nd = re.search(r"\bwith\s+(no\s+)?data\s*\Z", query, re.I)
        if nd:
            with_data = not nd.group(1)
            query = query[: nd.start()].strip()
        if query.startswith("(") and _closing(query, 0) == len(query) - 1:
            query = query[1:-1]
        table_type = props.pop("table_type", "hive").lower()
        if table_type == "iceberg":
            return self._ctas_iceberg(ctx, db, name, props, query, with_data, bool(m.group(1)))
        if table_type != "hive":
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"CTAS with table_type='{table_type}' is not supported (Hive and Iceberg only)",
            )
        fmt = props.pop("format", "parquet").lower()
        if fmt != "parquet":
            raise AthenaQueryError("NOT_SUPPORTED", f"CTAS with format='{fmt}' is not supported")
        compression = props.pop("write_compression", props.pop("parquet_compression", "gzip"))
        partitioned_by = _array(props.pop("partitioned_by", "ARRAY[]"))
        location = props.pop("external_location", None)
        props.pop("is_external", None)
        if props:
            raise AthenaQueryError(
                "NOT_SUPPORTED", f"CTAS table properties not supported: {', '.join(sorted(props))}"
            )
        if self._ctas_target_exists(db, name, if_not_exists=bool(m.group(1))):
            return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=0)
        if location is None:
            location = f"{ctx.output_location.rstrip('/')}/tables/{ctx.query_id}"
        if any(True for _ in self.catalog.data_files(location)):
            raise AthenaQueryError(
                "HIVE_PATH_ALREADY_EXISTS",
                f"Target directory for table '{db}.{name}' already exists: {location}. You may "
                "need to manually clean the data at location before retrying. Athena will not "
                "delete data in your account.",
            )
        columns = self._ctas_result(query, ctx, with_data=with_data)
        lowered = [c.lower() for c, _ in columns]
        if (
            partitioned_by != lowered[len(lowered) - len(partitioned_by) :]
            or len(partitioned_by) > len(lowered) - 1
        ):
            raise AthenaQueryError(
                "HIVE_COLUMN_ORDER_MISMATCH",
                "Partition keys must be the last columns in the table and in the same order as "
                f"the table properties: {partitioned_by}",
            )
        hive = [(c.lower(), hive_type_of(t)) for c, t in columns]
        data_cols = hive[: len(hive) - len(partitioned_by)]
        key_cols = hive[len(hive) - len(partitioned_by) :]
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "EXTERNAL": "TRUE",
                "has_encrypted_data": "false",
                "parquet.compression": compression.upper(),
            },
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in key_cols],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in data_cols],
                "Location": location,
                "InputFormat": PARQUET_INPUT,
                "OutputFormat": PARQUET_OUTPUT,
                "SerdeInfo": {
                    "SerializationLibrary": PARQUET_SERDE,
                    "Parameters": {"serialization.format": "1"},
                },
            },
        }
        written = self._write(ctx, columns, partitioned_by, compression, location, None)
        with self._ddl_lock:
            if self.catalog.get_table(db, name) is not None:
                raise AthenaQueryError(
                    "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
                )
            self.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
            table = self.catalog.get_table(db, name)
            assert table is not None
            if partitioned_by and written:
                self.catalog.add_partitions(db, name, table, [(v, loc) for v, loc in written])
        count = _count(ctx.con, "__ara_result")
        return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=count)

    def _write(
        self,
        ctx: _Context,
        columns: list[tuple[str, str]],
        keys: list[str],
        compression: str,
        location: str,
        partition_locations: dict[tuple[str | None, ...], str] | None,
    ) -> list[tuple[list[str], str]]:
        """Writes __ara_result as Parquet under location (one folder per partition); returns
        the (values, location) of every partition written."""
        data = [c for c, _ in columns if c.lower() not in keys]
        key_src = [next(c for c, _ in columns if c.lower() == k) for k in keys]
        if keys:
            distinct = ctx.con.execute(
                "SELECT DISTINCT " + ", ".join(f'"{k}"' for k in key_src) + " FROM __ara_result"
            ).fetchall()
        else:
            distinct = [()] if _count(ctx.con, "__ara_result") else []
        if len(distinct) > MAX_OPEN_WRITERS:
            raise AthenaQueryError(
                "HIVE_TOO_MANY_OPEN_PARTITIONS",
                f"Exceeded limit of {MAX_OPEN_WRITERS} open writers for partitions/buckets",
            )
        codec = _codec(compression)
        stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
        written: list[tuple[list[str], str]] = []
        cols = ", ".join(f'"{c}"' for c in data)
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            for n, values in enumerate(distinct):
                texts = [_partition_text(v) for v in values]
                where = (
                    " AND ".join(
                        f'"{k}" IS NULL' if v is None else f'"{k}" = ?'
                        for k, v in zip(key_src, values, strict=True)
                    )
                    or "TRUE"
                )
                params = [v for v in values if v is not None]
                path = Path(tmp) / f"part-{n}.parquet"
                ctx.con.execute(
                    f"COPY (SELECT {cols} FROM __ara_result WHERE {where}) TO '{path}' "
                    f"(FORMAT parquet, COMPRESSION {codec})",
                    params,
                )
                if keys:
                    folder = (partition_locations or {}).get(tuple(texts))
                    if folder is None:
                        folder = f"{location.rstrip('/')}/{hive_partition_path(keys, texts)}/"
                else:
                    folder = location.rstrip("/") + "/"
                key = f"{folder}{stamp}_{ctx.query_id[:8]}_{uuid.uuid4()}"
                self.catalog.put_file(key, path)
                written.append(
                    ([t if t is not None else "__HIVE_DEFAULT_PARTITION__" for t in texts], folder)
                )
        return written

    def _insert(self, text: str, ctx: _Context) -> Outcome:
        tree = self._parse(text)
        if not isinstance(tree, exp.Insert):
            raise AthenaQueryError("SYNTAX_ERROR", "INSERT INTO: cannot read the statement")
        target = tree.this
        listed: list[str] | None = None
        if isinstance(target, exp.Schema):
            listed = [e.name.lower() for e in target.expressions]
            target = target.this
        assert isinstance(target, exp.Table)
        db = target.db.lower() if target.db else ctx.database
        name = target.name.lower()
        table = self._table_or_fail(db, name)
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise AthenaQueryError(
                "NOT_SUPPORTED", f"Inserting into views is not supported: {db}.{name}"
            )
        sd = table["StorageDescriptor"]
        iceberg = is_iceberg(table)
        if not iceberg and (sd.get("SerdeInfo") or {}).get("SerializationLibrary") != PARQUET_SERDE:
            raise AthenaQueryError("NOT_SUPPORTED", f"INSERT INTO {db}.{name}: only Parquet tables")
        cast_type = _ice_store_type if iceberg else duckdb_type
        table_cols = [(c["Name"].lower(), c["Type"]) for c in sd["Columns"]]
        keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
        all_cols = table_cols + keys
        query = tree.expression
        duck_sql = self._prepare(query, ctx, ctx.database)
        self._run(ctx, f"CREATE TEMP TABLE __ara_query AS {duck_sql}")
        described = [
            (str(r[0]), str(r[1])) for r in ctx.con.execute("DESCRIBE __ara_query").fetchall()
        ]
        targets = listed if listed is not None else [n for n, _ in all_cols]
        unknown = [c for c in targets if c not in dict(all_cols)]
        if unknown:
            raise AthenaQueryError(
                "COLUMN_NOT_FOUND",
                f"Insert column name does not exist in target table: {unknown[0]}",
            )
        if len(described) != len(targets):
            raise AthenaQueryError(
                "TYPE_MISMATCH",
                f"Insert query has {len(described)} columns, the target has {len(targets)}",
            )
        source = dict(zip(targets, described, strict=True))
        selects = []
        for col, hive_t in all_cols:
            if col not in source:
                selects.append(f'CAST(NULL AS {cast_type(hive_t)}) AS "{col}"')
                continue
            src_name, src_type = source[col]
            got = hive_type_of(src_type) if src_type.upper() != "NULL" else hive_t
            if not _coercible(got, hive_t.lower()):
                raise AthenaQueryError(
                    "TYPE_MISMATCH",
                    f"Insert query has mismatched column types: column {col} is {hive_t}, "
                    f"the query gives {got}",
                )
            selects.append(f'CAST("{src_name}" AS {cast_type(hive_t)}) AS "{col}"')
        self._run(
            ctx, f"CREATE TEMP TABLE __ara_result AS SELECT {', '.join(selects)} FROM __ara_query"
        )
        if iceberg:
            return self._insert_iceberg(ctx, db, name, "__ara_result")
        columns = [(n, duckdb_type(t)) for n, t in all_cols]
        existing = (
            {
                tuple(p["Values"]): p["StorageDescriptor"]["Location"]
                for p in self.catalog.partitions(db, name)
            }
            if keys
            else {}
        )
        compression = str((table.get("Parameters") or {}).get("parquet.compression", "gzip"))
        written = self._write(
            ctx,
            columns,
            [k for k, _ in keys],
            compression,
            str(sd["Location"]),
            existing,
        )
        new = [(v, loc) for v, loc in written if tuple(v) not in existing]
        seen: set[tuple[str, ...]] = set()
        unique_new = []
        for v, loc in new:
            if tuple(v) not in seen:
                seen.add(tuple(v))
                unique_new.append((v, loc))
        if keys and unique_new:
            with self._ddl_lock:
                current = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
                todo = [(v, loc) for v, loc in unique_new if tuple(v) not in current]
                if todo:
                    self.catalog.add_partitions(db, name, table, todo)
        count = _count(ctx.con, "__ara_result")
        return Outcome("DML", "INSERT", update_count=count)

    # --- Iceberg: reading ------------------------------------------------------------------

    def _iceberg_glue(self, db: str, name: str, ctx: _Context) -> dict[str, Any] | None:
        """The Glue table if it is an Iceberg table (None for anything else or nothing)."""
        if (db, name) in ctx.iceberg:
            return {}
        if not self.catalog.database_exists(db):
            return None
        table = self.catalog.get_table(db, name)
        return table if is_iceberg(table) else None

    def _iceberg_meta(self, db: str, name: str, ctx: _Context) -> Meta:
        """The table's metadata as Glue pointed at when this statement first read it."""
        key = (db, name)
        if key not in ctx.iceberg:
            table = self._table_or_fail(db, name)
            if not is_iceberg(table):
                raise AthenaQueryError("NOT_SUPPORTED", f"{db}.{name} is not an Iceberg table")
            location = str((table.get("Parameters") or {}).get("metadata_location") or "")
            if not location:
                raise AthenaQueryError(
                    "ICEBERG_INVALID_METADATA", f"Table {db}.{name} has no metadata_location"
                )
            ctx.iceberg[key] = parse_meta(self.catalog.get_bytes(location), location)
        return ctx.iceberg[key]

    def _iceberg_keys(self, db: str, name: str, ctx: _Context) -> set[str]:
        return set(self._iceberg_meta(db, name, ctx).partition_keys)

    def _load_iceberg_ref(self, db: str, name: str, node: exp.Table, ctx: _Context) -> str:
        """A view of this one reference: its snapshot (time travel) and the files its
        partition predicates keep."""
        meta = self._iceberg_meta(db, name, ctx)
        conjuncts = _pruning_conjuncts(node, set(meta.partition_keys))
        version = node.args.get("version")
        snapshot = meta.snapshot()
        if version is not None:
            snapshot = self._travel(meta, version, ctx)
        ctx.refs += 1
        view = f"{name}__ara_ref{ctx.refs}"
        ctx.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
        select = self._iceberg_public(meta, self._iceberg_scan(meta, ctx, snapshot, conjuncts))
        self._run(ctx, f'CREATE VIEW {CATALOG}."{db}"."{view}" AS {select}')
        return view

    def _travel(self, meta: Meta, version: exp.Expression, ctx: _Context) -> dict[str, Any] | None:
        kind = str(version.this).upper()
        value = version.args.get("expression")
        if kind == "VERSION" and isinstance(value, exp.Literal) and not value.is_string:
            return meta.snapshot(int(value.this))
        if kind == "TIMESTAMP" and value is not None:
            sql = rewrite_tree(exp.select(exp.cast(value.copy(), "timestamp")))
            row = self._run(ctx, sql).fetchone()
            when = row[0] if row else None
            if isinstance(when, dt.datetime):
                stamp = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
                return meta.snapshot_at(int(stamp.timestamp() * 1000))
        raise AthenaQueryError("NOT_SUPPORTED", f"FOR {kind} AS OF {value}: not supported")

    def _prune(
        self,
        ctx: _Context,
        meta: Meta,
        files: list[dict[str, Any]],
        conjuncts: list[exp.Expression],
        *,
        strict: bool = False,
    ) -> list[dict[str, Any]]:
        """The files whose partition values may satisfy the conjuncts (identity partitions:
        a file's rows all have its partition values)."""
        keys = meta.partition_keys
        if not conjuncts or not keys or not files:
            return files
        types = dict(meta.columns)
        parts = sorted({tuple(f["partition"].get(k) for k in keys) for f in files}, key=str)
        ctx.refs += 1
        temp = f"__ara_parts{ctx.refs}"
        rows = ", ".join(
            "(" + ", ".join([str(i)] + ["NULL" if v is None else _literal(v) for v in part]) + ")"
            for i, part in enumerate(parts)
        )
        names = ", ".join(f'"{k}"' for k in keys)
        casts = ", ".join(f'CAST("{k}" AS {_ice_read_type(types[k])}) AS "{k}"' for k in keys)
        try:
            ctx.con.execute(
                f"CREATE TEMP TABLE {temp} AS SELECT __ara_i, {casts} "
                f"FROM (VALUES {rows}) AS v(__ara_i, {names})"
            )
            tree = exp.select("__ara_i").from_(temp).where(exp.and_(*[c.copy() for c in conjuncts]))
            keep = {int(r[0]) for r in ctx.con.execute(rewrite_tree(tree)).fetchall()}
        except (duckdb.Error, EmulationError, AthenaQueryError) as exc:
            if strict:
                raise _duckdb_failure(exc) if isinstance(exc, duckdb.Error) else exc from None
            return files  # pruning only saves reading: the query applies its predicates anyway
        kept = {parts[i] for i in keep}
        return [f for f in files if tuple(f["partition"].get(k) for k in keys) in kept]

    def _iceberg_scan(
        self,
        meta: Meta,
        ctx: _Context,
        snapshot: dict[str, Any] | None,
        conjuncts: list[exp.Expression],
        *,
        only: set[str] | None = None,
    ) -> str:
        """DuckDB SQL of the snapshot's live rows (data files minus position deletes), with the
        hidden columns __ara_path (the data file) and __ara_pos (the row's position in it)."""
        columns = meta.columns
        data = list(snapshot["data_files"]) if snapshot else []
        data = self._prune(ctx, meta, data, conjuncts)
        if only is not None:
            data = [f for f in data if f["path"] in only]
        paths = {f["path"] for f in data}
        deletes = [
            f
            for f in (snapshot["delete_files"] if snapshot else [])
            if paths.intersection(f.get("referenced_data_files", []))
        ]
        if not data:
            nulls = ", ".join(f'CAST(NULL AS {_ice_read_type(t)}) AS "{n}"' for n, t in columns)
            return (
                f"SELECT {nulls}, CAST(NULL AS VARCHAR) AS __ara_path, "
                "CAST(NULL AS BIGINT) AS __ara_pos LIMIT 0"
            )
        local: list[tuple[str, str]] = []
        table = next((key for key, m in ctx.iceberg.items() if m is meta), ("", ""))
        for f in data + deletes:
            obj = self.catalog.object_at(f["path"])
            path = str(self.catalog.local_copy(obj))
            local.append((path, f["path"]))
            values = tuple((f.get("partition") or {}).get(k) for k in meta.partition_keys)
            ctx.read_files[path] = (obj.size, *table, values)
        data_local = local[: len(data)]
        delete_local = local[len(data) :]
        exprs = ", ".join(f'CAST(f."{n}" AS {_ice_read_type(t)}) AS "{n}"' for n, t in columns)
        files = "[" + ", ".join(_literal(p) for p, _ in data_local) + "]"
        mapping = ", ".join(f"({_literal(p)}, {_literal(u)})" for p, u in data_local)
        sql = (
            f"SELECT {exprs}, m.__ara_path, f.file_row_number AS __ara_pos "
            f"FROM read_parquet({files}, union_by_name = true, filename = '__ara_local', "
            f"file_row_number = true) AS f JOIN (VALUES {mapping}) AS m(__ara_local, __ara_path) "
            "ON f.__ara_local = m.__ara_local"
        )
        if delete_local:
            dfiles = "[" + ", ".join(_literal(p) for p, _ in delete_local) + "]"
            sql = (
                f"SELECT r.* FROM ({sql}) AS r ANTI JOIN read_parquet({dfiles}) AS d "
                "ON d.file_path = r.__ara_path AND d.pos = r.__ara_pos"
            )
        return sql

    @staticmethod
    def _iceberg_public(meta: Meta, scan: str) -> str:
        cols = ", ".join(f'"{n}"' for n, _ in meta.columns)
        return f"SELECT {cols} FROM ({scan}) AS __ara_scan"

    def _load_metadata_table(self, db: str, name: str, ctx: _Context) -> str:
        """``"t$files"``, ``"t$snapshots"``, ``"t$partitions"`` of an Iceberg table."""
        base, _, kind = name.partition("$")
        if (db, name) in ctx.loaded:
            return name
        meta = self._iceberg_meta(db, base, ctx)
        keys = meta.partition_keys
        types = dict(meta.columns)
        snapshot = meta.snapshot()

        def part(values: dict[str, Any]) -> str:
            inner = ", ".join(
                f"'{k}': CAST({'NULL' if values.get(k) is None else _literal(values[k])} "
                f"AS {_ice_read_type(types[k])})"
                for k in keys
            )
            return "{" + inner + "}"

        rows: list[list[str]]
        if kind == "files":
            cols = ["content", "file_path", "file_format", "spec_id"]
            cols += ["partition"] if keys else []
            cols += ["record_count", "file_size_in_bytes"]
            rows = []
            for content, group in ((0, "data_files"), (1, "delete_files")):
                for f in snapshot[group] if snapshot else []:
                    row = [str(content), _literal(f["path"]), "'PARQUET'", "0"]
                    row += [part(f["partition"])] if keys else []
                    row += [str(f["record_count"]), str(f["file_size"])]
                    rows.append(row)
            casts = ["INTEGER", "VARCHAR", "VARCHAR", "INTEGER"]
            casts += [""] if keys else []
            casts += ["BIGINT", "BIGINT"]
        elif kind == "snapshots":
            cols = ["committed_at", "snapshot_id", "parent_id", "operation", "manifest_list"]
            cols += ["summary"]
            rows = []
            for snap in meta.doc["snapshots"]:
                summary = snap.get("summary") or {}
                rows.append(
                    [
                        f"make_timestamptz({int(snap['timestamp_ms']) * 1000})",
                        str(snap["snapshot_id"]),
                        "NULL" if snap.get("parent_id") is None else str(snap["parent_id"]),
                        _literal(str(snap["operation"])),
                        "NULL",
                        "MAP {"
                        + ", ".join(
                            f"{_literal(k)}: {_literal(str(v))}" for k, v in summary.items()
                        )
                        + "}",
                    ]
                )
            casts = [
                "TIMESTAMPTZ",
                "BIGINT",
                "BIGINT",
                "VARCHAR",
                "VARCHAR",
                "MAP(VARCHAR, VARCHAR)",
            ]
        elif kind == "partitions":
            cols = (["partition"] if keys else []) + ["record_count", "file_count", "total_size"]
            groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for f in snapshot["data_files"] if snapshot else []:
                groups.setdefault(tuple(f["partition"].get(k) for k in keys), []).append(f)
            rows = []
            for files in groups.values():
                row = [part(files[0]["partition"])] if keys else []
                row += [
                    str(sum(int(f["record_count"]) for f in files)),
                    str(len(files)),
                    str(sum(int(f["file_size"]) for f in files)),
                ]
                rows.append(row)
            casts = ([""] if keys else []) + ["BIGINT", "BIGINT", "BIGINT"]
        else:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"Iceberg metadata table ${kind} is not supported by the local Athena endpoint "
                "($files, $snapshots, $partitions are)",
            )
        if rows:
            body = " UNION ALL ".join(
                "SELECT "
                + ", ".join(
                    (f"CAST({v} AS {c})" if c else v) + f' AS "{n}"'
                    for v, c, n in zip(row, casts, cols, strict=True)
                )
                for row in rows
            )
        else:
            empty = [
                (f"CAST(NULL AS {c})" if c else part({})) + f' AS "{n}"'
                for c, n in zip(casts, cols, strict=True)
            ]
            body = f"SELECT {', '.join(empty)} LIMIT 0"
        ctx.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
        self._run(ctx, f'CREATE VIEW {CATALOG}."{db}"."{name}" AS {body}')
        ctx.loaded[(db, name)] = name
        return name

    # --- Iceberg: writing and committing -----------------------------------------------------

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _iceberg_partitions(self, ctx: _Context, meta: Meta, source: str) -> list[tuple[Any, ...]]:
        keys = meta.partition_keys
        if not keys:
            return [()] if _count(ctx.con, source) else []
        cols = ", ".join(f'"{k}"' for k in keys)
        return [
            tuple(r) for r in ctx.con.execute(f"SELECT DISTINCT {cols} FROM {source}").fetchall()
        ]

    @staticmethod
    def _check_open_writers(count: int) -> None:
        if count > MAX_OPEN_WRITERS:
            raise AthenaQueryError(
                "ICEBERG_TOO_MANY_OPEN_PARTITIONS",
                f"Exceeded limit of {MAX_OPEN_WRITERS} open writers for partitions",
            )

    def _iceberg_write(
        self,
        ctx: _Context,
        meta: Meta,
        source: str,
        partitions: list[tuple[Any, ...]],
        *,
        target_size: int | None = None,
    ) -> list[dict[str, Any]]:
        """Parquet data files of the rows of ``source`` (the table's columns), one per
        partition (or as many as ``target_size`` needs): <location>/data/<k=v/…>/…"""
        keys = meta.partition_keys
        codec = _codec(str(meta.doc["properties"].get("write_compression", "zstd")))
        cols = ", ".join(f'CAST("{n}" AS {_ice_store_type(t)}) AS "{n}"' for n, t in meta.columns)
        entries: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            for n, values in enumerate(partitions):
                where = (
                    " AND ".join(
                        f'"{k}" IS NULL' if v is None else f'"{k}" = ?'
                        for k, v in zip(keys, values, strict=True)
                    )
                    or "TRUE"
                )
                params = [v for v in values if v is not None]
                row = ctx.con.execute(
                    f"SELECT count(*) FROM {source} WHERE {where}", params
                ).fetchone()
                total = int(row[0]) if row else 0
                if total == 0:
                    continue
                pieces = 1
                if target_size:
                    probe = Path(tmp) / f"probe-{n}.parquet"
                    ctx.con.execute(
                        f"COPY (SELECT {cols} FROM {source} WHERE {where}) TO '{probe}' "
                        f"(FORMAT parquet, COMPRESSION {codec})",
                        params,
                    )
                    pieces = max(1, math.ceil(probe.stat().st_size / target_size))
                texts = [_ice_text(v) for v in values]
                folder = f"{meta.table_location}/data/"
                if keys:
                    folder += iceberg_partition_path(keys, texts) + "/"
                for piece in range(pieces):
                    path = Path(tmp) / f"part-{n}-{piece}.parquet"
                    split = f" AND hash(__ara_rn) % {pieces} = {piece}" if pieces > 1 else ""
                    ctx.con.execute(
                        f"COPY (SELECT {cols} FROM (SELECT *, row_number() OVER () AS __ara_rn "
                        f"FROM {source} WHERE {where}) WHERE TRUE{split}) TO '{path}' "
                        f"(FORMAT parquet, COMPRESSION {codec})",
                        params,
                    )
                    got = ctx.con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
                    url = f"{folder}{n:05d}-{piece}-{ctx.query_id[:8]}-{uuid.uuid4()}.parquet"
                    self.catalog.put_file(url, path)
                    entries.append(
                        {
                            "path": url,
                            "partition": dict(zip(keys, texts, strict=True)),
                            "record_count": int(got[0]) if got else 0,
                            "file_size": path.stat().st_size,
                        }
                    )
        return entries

    def _iceberg_write_deletes(
        self, ctx: _Context, meta: Meta, snapshot: dict[str, Any] | None, source: str
    ) -> list[dict[str, Any]]:
        """Position delete files (file_path, pos) of the rows in ``source`` (__ara_path,
        __ara_pos): one per partition, under the partition's data folder."""
        by_path = {f["path"]: f for f in (snapshot["data_files"] if snapshot else [])}
        keys = meta.partition_keys
        found = ctx.con.execute(
            f"SELECT __ara_path, count(*) FROM {source} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        groups: dict[tuple[Any, ...], list[str]] = {}
        for path, _ in found:
            part = by_path[str(path)]["partition"]
            groups.setdefault(tuple(part.get(k) for k in keys), []).append(str(path))
        entries: list[dict[str, Any]] = []
        codec = _codec(str(meta.doc["properties"].get("write_compression", "zstd")))
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            for n, (values, paths) in enumerate(sorted(groups.items(), key=str)):
                local = Path(tmp) / f"deletes-{n}.parquet"
                listed = ", ".join(_literal(p) for p in paths)
                ctx.con.execute(
                    f"COPY (SELECT __ara_path AS file_path, CAST(__ara_pos AS BIGINT) AS pos "
                    f"FROM {source} WHERE __ara_path IN ({listed}) ORDER BY 1, 2) TO '{local}' "
                    f"(FORMAT parquet, COMPRESSION {codec})"
                )
                row = ctx.con.execute(f"SELECT count(*) FROM read_parquet('{local}')").fetchone()
                folder = f"{meta.table_location}/data/"
                if keys:
                    folder += iceberg_partition_path(keys, list(values)) + "/"
                url = f"{folder}{n:05d}-{ctx.query_id[:8]}-{uuid.uuid4()}-deletes.parquet"
                self.catalog.put_file(url, local)
                entries.append(
                    {
                        "path": url,
                        "partition": dict(zip(keys, values, strict=True)),
                        "record_count": int(row[0]) if row else 0,
                        "file_size": local.stat().st_size,
                        "referenced_data_files": paths,
                    }
                )
        return entries

    def _iceberg_commit(self, db: str, name: str, base: Meta, new: Meta) -> None:
        """Writes the new metadata object, then swaps Glue's metadata_location from the one
        the statement started from (compare-and-swap under the DDL lock)."""
        url = new.object_url()
        self.catalog.put_bytes(url, new.encoded())
        new.location = url
        if self.commit_hook is not None:
            self.commit_hook(db, name)
        with self._ddl_lock:
            table = self.catalog.get_table(db, name)
            params = dict((table or {}).get("Parameters") or {})
            if table is None or params.get("metadata_location") != base.location:
                raise AthenaQueryError(
                    "ICEBERG_COMMIT_ERROR",
                    f"Failed to commit Iceberg update to table: {db}.{name}: its "
                    f"metadata_location is no longer {base.location} (another commit won)",
                    category=1,
                )
            params["metadata_location"] = url
            params["previous_metadata_location"] = str(base.location)
            self.catalog.glue.update_table(
                DatabaseName=db, TableInput={**_table_input(table), "Parameters": params}
            )

    def _iceberg_target(self, node: exp.Expression, ctx: _Context, what: str) -> tuple[str, str]:
        if not isinstance(node, exp.Table):
            raise AthenaQueryError("SYNTAX_ERROR", f"{what}: cannot read the target table")
        db = node.db.lower() if node.db else ctx.database
        name = node.name.lower()
        table = self._table_or_fail(db, name)
        if not is_iceberg(table):
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"{what} is only supported for Iceberg tables: {db}.{name} is not one",
            )
        return db, name

    # --- Iceberg: CTAS, INSERT -------------------------------------------------------------

    def _ctas_iceberg(
        self,
        ctx: _Context,
        db: str,
        name: str,
        props: dict[str, str],
        query: str,
        with_data: bool,
        if_not_exists: bool,
    ) -> Outcome:
        location = props.pop("location", None)
        if props.pop("external_location", None) is not None:
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY",
                "external_location is not allowed for Iceberg tables: use location",
            )
        if props.pop("is_external", "false").lower() != "false":
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY", "is_external must be false for Iceberg tables"
            )
        partitioning = _array_items(props.pop("partitioning", "ARRAY[]"))
        parse_partitioning(partitioning, None)  # a transform fails before anything runs
        if "partitioned_by" in props or "bucketed_by" in props or "bucket_count" in props:
            bad = next(k for k in ("partitioned_by", "bucketed_by", "bucket_count") if k in props)
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY",
                f"{bad} is not a property of Iceberg tables (use partitioning=ARRAY[...])",
            )
        properties = check_properties(props)
        if self._ctas_target_exists(db, name, if_not_exists=if_not_exists):
            return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=0)
        if location is None:
            location = f"{ctx.output_location.rstrip('/')}/tables/{ctx.query_id}"
        result = self._ctas_result(query, ctx, with_data=with_data)
        columns = [(c.lower(), hive_type_of(t)) for c, t in result]
        names = [c for c, _ in columns]
        for col, hive_t in columns:
            check_iceberg_type(col, hive_t)
        keys = parse_partitioning(partitioning, names)
        meta = new_table(
            location=location,
            columns=columns,
            partition_keys=keys,
            properties=properties,
            now_ms=self._now_ms(),
        )
        count = 0
        if with_data:
            partitions = self._iceberg_partitions(ctx, meta, "__ara_result")
            self._check_open_writers(len(partitions))
            files = self._iceberg_write(ctx, meta, "__ara_result", partitions)
            count = _count(ctx.con, "__ara_result")
            meta = meta.next(
                now_ms=self._now_ms(),
                operation="append",
                data_files=files,
                summary={"added-records": str(count), "added-data-files": str(len(files))},
            )
        else:
            meta = meta.next(now_ms=self._now_ms())
        url = meta.object_url()
        self.catalog.put_bytes(url, meta.encoded())
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"table_type": "ICEBERG", "metadata_location": url},
            "PartitionKeys": [],
            "StorageDescriptor": {
                "Columns": [
                    {
                        "Name": n,
                        "Type": t,
                        "Parameters": {
                            "iceberg.field.current": "true",
                            "iceberg.field.id": str(i + 1),
                            "iceberg.field.optional": "true",
                        },
                    }
                    for i, (n, t) in enumerate(columns)
                ],
                "Location": meta.table_location,
                "InputFormat": "org.apache.hadoop.mapred.FileInputFormat",
                "OutputFormat": "org.apache.hadoop.mapred.FileOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
                },
            },
        }
        with self._ddl_lock:
            if self.catalog.get_table(db, name) is not None:
                raise AthenaQueryError(
                    "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
                )
            self.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
        return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=count)

    def _insert_iceberg(self, ctx: _Context, db: str, name: str, source: str) -> Outcome:
        """Appends ``source`` (the table's columns, cast) as one commit."""
        meta = self._iceberg_meta(db, name, ctx)
        partitions = self._iceberg_partitions(ctx, meta, source)
        self._check_open_writers(len(partitions))
        files = self._iceberg_write(ctx, meta, source, partitions)
        count = _count(ctx.con, source)
        snapshot = meta.snapshot()
        new = meta.next(
            now_ms=self._now_ms(),
            operation="append",
            data_files=(snapshot["data_files"] if snapshot else []) + files,
            delete_files=snapshot["delete_files"] if snapshot else [],
            summary={"added-records": str(count), "added-data-files": str(len(files))},
        )
        self._iceberg_commit(db, name, meta, new)
        return Outcome("DML", "INSERT", update_count=count)

    # --- Iceberg: MERGE, DELETE ------------------------------------------------------------

    def _merge(self, text: str, ctx: _Context) -> Outcome:
        tree = self._parse(text)
        if not isinstance(tree, exp.Merge):
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: cannot read the statement")
        target = tree.this
        db, name = self._iceberg_target(target, ctx, "MERGE INTO")
        meta = self._iceberg_meta(db, name, ctx)
        snapshot = meta.snapshot()
        keys = set(meta.partition_keys)
        t_alias = target.alias_or_name.lower()
        using = tree.args.get("using")
        if using is None:
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: no USING")
        s_alias = using.alias_or_name.lower()
        on = tree.args.get("on")
        if on is None:
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: no ON condition")
        # the target's rows at statement start, pruned by the ON clause's partition predicates
        on_target = [
            c for c in _conjuncts(on) if _only_columns(c, keys, {t_alias, name}, single=False)
        ]
        scan = self._iceberg_scan(meta, ctx, snapshot, [_unqualified(c) for c in on_target])
        self._run(ctx, f"CREATE TEMP TABLE __ara_tgt AS {scan}")
        source_tree = exp.select("*").from_(using.copy())
        source_sql = self._prepare(source_tree, ctx, ctx.database)
        self._run(
            ctx,
            "CREATE TEMP TABLE __ara_src AS SELECT *, row_number() OVER () AS __ara_sid "
            f"FROM ({source_sql}) AS __ara_s",
        )
        columns = meta.columns
        whens = tree.args.get("whens")
        clauses = list(whens.expressions) if whens is not None else []
        if not clauses:
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: no WHEN clause")
        matched_ids: list[tuple[int, exp.Expression | None]] = []
        unmatched_ids: list[tuple[int, exp.Expression | None]] = []
        deleting: list[int] = []
        writing: dict[int, dict[str, exp.Expression]] = {}
        for i, when in enumerate(clauses, start=1):
            if when.args.get("source"):
                raise AthenaQueryError("NOT_SUPPORTED", "MERGE: WHEN NOT MATCHED BY SOURCE")
            cond = when.args.get("condition")
            then = when.args.get("then")
            if when.args.get("matched"):
                matched_ids.append((i, cond))
                if isinstance(then, exp.Update):
                    values: dict[str, exp.Expression] = {
                        n: exp.column(n, table=t_alias) for n, _ in columns
                    }
                    for eq in then.expressions:
                        col = eq.this.name.lower()
                        if col not in values:
                            raise AthenaQueryError(
                                "COLUMN_NOT_FOUND", f"Column '{col}' cannot be resolved"
                            )
                        values[col] = eq.expression
                    writing[i] = values
                    deleting.append(i)
                elif isinstance(then, exp.Var) and then.name.upper() == "DELETE":
                    deleting.append(i)
                else:
                    raise AthenaQueryError(
                        "SYNTAX_ERROR", "MERGE: WHEN MATCHED needs UPDATE or DELETE"
                    )
            else:
                unmatched_ids.append((i, cond))
                if not isinstance(then, exp.Insert):
                    raise AthenaQueryError("SYNTAX_ERROR", "MERGE: WHEN NOT MATCHED needs INSERT")
                listed = (
                    [c.name.lower() for c in then.this.expressions]
                    if then.this is not None
                    else [n for n, _ in columns]
                )
                given = list(then.expression.expressions) if then.expression is not None else []
                if len(listed) != len(given):
                    raise AthenaQueryError(
                        "SYNTAX_ERROR",
                        f"MERGE INSERT: {len(listed)} columns but {len(given)} values",
                    )
                unknown = [c for c in listed if c not in dict(columns)]
                if unknown:
                    raise AthenaQueryError(
                        "COLUMN_NOT_FOUND",
                        f"Insert column name does not exist in target table: {unknown[0]}",
                    )
                values = {n: exp.Null() for n, _ in columns}
                values.update(dict(zip(listed, given, strict=True)))
                writing[i] = values

        def chooser(ids: list[tuple[int, exp.Expression | None]]) -> exp.Expression:
            if not ids:
                return exp.Null()
            case = exp.Case()
            for i, cond in ids:
                case = case.when(
                    cond.copy() if cond is not None else exp.true(), exp.Literal.number(i)
                )
            return case

        matched = exp.Not(
            this=exp.Is(this=exp.column("__ara_path", table=t_alias), expression=exp.Null())
        )
        clause = exp.Case().when(matched, chooser(matched_ids)).else_(chooser(unmatched_ids))
        frm = exp.to_table("__ara_src").as_(s_alias)
        join_target = exp.to_table("__ara_tgt").as_(t_alias)

        def joined(select: list[exp.Expression]) -> exp.Select:
            return (
                exp.select(*select)
                .from_(frm.copy())
                .join(join_target.copy(), on=on.copy(), join_type="left")
            )

        # types: every value must be assignable to its column (Trino checks it at analysis)
        checks: list[exp.Expression] = [
            cast(exp.Expression, exp.alias_(e.copy(), f"__ara_v{i}_{n}", quoted=True))
            for i, vals in writing.items()
            for n, e in vals.items()
            if not isinstance(e, exp.Null)
        ]
        if checks:
            described = self._run(
                ctx, "DESCRIBE " + self._prepare(joined(checks), ctx, ctx.database)
            ).fetchall()
            want = dict(columns)
            for row in described:
                label, got = str(row[0]), str(row[1])
                col = label.split("_", 4)[-1]  # __ara_v<i>_<column>
                if got.upper() == '"NULL"' or got.upper() == "NULL":
                    continue
                got_hive = hive_type_of(got)
                if not _coercible(got_hive, want[col].lower()):
                    raise AthenaQueryError(
                        "TYPE_MISMATCH",
                        f"MERGE table column types don't match: column {col} is {want[col]}, "
                        f"the value is {got_hive}",
                    )
        selects: list[exp.Expression] = [
            cast(exp.Expression, exp.alias_(clause.copy(), "__ara_clause")),
            exp.column("__ara_sid", table=s_alias),
            exp.column("__ara_path", table=t_alias),
            exp.column("__ara_pos", table=t_alias),
        ]
        for n, t in columns:
            case = exp.Case()
            for i, vals in writing.items():
                case = case.when(
                    exp.EQ(this=clause.copy(), expression=exp.Literal.number(i)),
                    exp.cast(vals[n].copy(), _ice_store_type(t), dialect="duckdb"),
                )
            value = case if writing else exp.Null()
            selects.append(cast(exp.Expression, exp.alias_(value, n, quoted=True)))
        self._run(
            ctx,
            "CREATE TEMP TABLE __ara_merge AS " + self._prepare(joined(selects), ctx, ctx.database),
        )
        dup = ctx.con.execute(
            "SELECT 1 FROM __ara_merge WHERE __ara_path IS NOT NULL "
            "GROUP BY __ara_path, __ara_pos HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if dup:
            raise AthenaQueryError(
                "MERGE_TARGET_ROW_MULTIPLE_MATCHES",
                "One MERGE target table row matched more than one source row",
            )
        del_ids = ", ".join(str(i) for i in deleting) or "NULL"
        write_ids = ", ".join(str(i) for i in writing) or "NULL"
        ctx.con.execute(
            "CREATE TEMP TABLE __ara_gone AS SELECT DISTINCT __ara_path, __ara_pos "
            f"FROM __ara_merge WHERE __ara_path IS NOT NULL AND __ara_clause IN ({del_ids})"
        )
        cols = ", ".join(f'"{n}"' for n, _ in columns)
        ctx.con.execute(
            f"CREATE TEMP TABLE __ara_new AS SELECT {cols} FROM __ara_merge "
            f"WHERE __ara_clause IN ({write_ids})"
        )
        found = ctx.con.execute(
            "SELECT count(*) FROM __ara_merge WHERE __ara_clause IS NOT NULL"
        ).fetchone()
        affected = int(found[0]) if found else 0
        self._commit_row_changes(ctx, db, name, meta, snapshot, "__ara_gone", "__ara_new")
        return Outcome("DML", "MERGE", update_count=affected)

    def _commit_row_changes(
        self,
        ctx: _Context,
        db: str,
        name: str,
        meta: Meta,
        snapshot: dict[str, Any] | None,
        gone: str,
        new_rows: str | None,
    ) -> None:
        """One commit: position deletes of ``gone``'s rows, data files of ``new_rows``."""
        removed = _count(ctx.con, gone)
        added = _count(ctx.con, new_rows) if new_rows else 0
        if removed == 0 and added == 0:
            return  # nothing changed: no new snapshot
        keys = meta.partition_keys
        by_path = {f["path"]: f for f in (snapshot["data_files"] if snapshot else [])}
        paths = [
            str(r[0]) for r in ctx.con.execute(f"SELECT DISTINCT __ara_path FROM {gone}").fetchall()
        ]
        delete_parts = {tuple(by_path[p]["partition"].get(k) for k in keys) for p in paths}
        partitions = self._iceberg_partitions(ctx, meta, new_rows) if new_rows and added else []
        written = {tuple(_ice_text(v) for v in part) for part in partitions}
        self._check_open_writers(len(written | delete_parts))
        deletes = self._iceberg_write_deletes(ctx, meta, snapshot, gone) if removed else []
        files = self._iceberg_write(ctx, meta, new_rows, partitions) if new_rows and added else []
        operation = "overwrite" if deletes and files else ("delete" if deletes else "append")
        new = meta.next(
            now_ms=self._now_ms(),
            operation=operation,
            data_files=(snapshot["data_files"] if snapshot else []) + files,
            delete_files=(snapshot["delete_files"] if snapshot else []) + deletes,
            summary={
                "added-records": str(added),
                "added-position-deletes": str(removed),
                "added-data-files": str(len(files)),
                "added-delete-files": str(len(deletes)),
            },
        )
        self._iceberg_commit(db, name, meta, new)

    def _delete(self, text: str, ctx: _Context) -> Outcome:
        tree = self._parse(text)
        if not isinstance(tree, exp.Delete):
            raise AthenaQueryError("SYNTAX_ERROR", "DELETE: cannot read the statement")
        target = tree.this
        db, name = self._iceberg_target(target, ctx, "DELETE")
        meta = self._iceberg_meta(db, name, ctx)
        snapshot = meta.snapshot()
        alias = target.alias_or_name.lower()
        where = tree.args.get("where")
        pred = where.this if where is not None else exp.true()
        keys = set(meta.partition_keys)
        pruning = [
            _unqualified(c)
            for c in _conjuncts(pred)
            if _only_columns(c, keys, {alias, name}, single=True)
        ]
        self._run(
            ctx,
            f"CREATE TEMP TABLE __ara_tgt AS {self._iceberg_scan(meta, ctx, snapshot, pruning)}",
        )
        select = (
            exp.select("__ara_path", "__ara_pos")
            .from_(exp.to_table("__ara_tgt").as_(alias))
            .where(pred.copy())
        )
        self._run(
            ctx, "CREATE TEMP TABLE __ara_gone AS " + self._prepare(select, ctx, ctx.database)
        )
        count = _count(ctx.con, "__ara_gone")
        self._commit_row_changes(ctx, db, name, meta, snapshot, "__ara_gone", None)
        return Outcome("DML", "DELETE", update_count=count)

    # --- Iceberg: OPTIMIZE, VACUUM -----------------------------------------------------------

    def _optimize(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"optimize\s+("
            + _NAME
            + r")\s+rewrite\s+data\s+using\s+bin_pack(?:\s+where\s+(.*))?\Z",
            text,
            re.I | re.S,
        )
        if not m:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                "OPTIMIZE: only OPTIMIZE [db.]table REWRITE DATA USING BIN_PACK [WHERE predicate]",
            )
        db, name = _split_name(m.group(1), ctx.database)
        self._iceberg_target(exp.to_table(f'"{db}"."{name}"'), ctx, "OPTIMIZE")
        meta = self._iceberg_meta(db, name, ctx)
        snapshot = meta.snapshot()
        if snapshot is None:
            return Outcome("DML", "OPTIMIZE", update_count=0)
        data = list(snapshot["data_files"])
        if m.group(2):
            pred = self._parse(f"SELECT 1 FROM t WHERE {m.group(2)}").args["where"].this
            keys = set(meta.partition_keys)
            for col in pred.find_all(exp.Column):
                if col.name.lower() not in keys:
                    raise AthenaQueryError(
                        "NOT_SUPPORTED",
                        "Unexpected FilterNode found in plan; probably connector was not able to "
                        f"handle provided WHERE expression (column {col.name} is not a partition "
                        "column: OPTIMIZE's WHERE may name partition columns only)",
                    )
            data = self._prune(ctx, meta, data, [_unqualified(pred)], strict=True)
        target = meta.prop("write_target_data_file_size_bytes")
        small = meta.prop("optimize_rewrite_min_data_file_size_bytes")
        large = meta.prop("optimize_rewrite_max_data_file_size_bytes")
        file_threshold = meta.prop("optimize_rewrite_data_file_threshold")
        delete_threshold = meta.prop("optimize_rewrite_delete_file_threshold")
        deletes_of: dict[str, int] = {}
        for d in snapshot["delete_files"]:
            for p in d.get("referenced_data_files", []):
                deletes_of[p] = deletes_of.get(p, 0) + 1
        keys_list = meta.partition_keys
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for f in data:
            groups.setdefault(tuple(f["partition"].get(k) for k in keys_list), []).append(f)
        selected: list[dict[str, Any]] = []
        chosen_parts = []
        for part, files in sorted(groups.items(), key=str):
            by_size = [
                f for f in files if int(f["file_size"]) < small or int(f["file_size"]) > large
            ]
            by_deletes = [f for f in files if deletes_of.get(f["path"], 0) >= delete_threshold]
            pick = {f["path"]: f for f in by_size + by_deletes}
            if by_deletes or len(pick) >= file_threshold:
                selected.extend(pick.values())
                chosen_parts.append(part)
        if not selected:
            return Outcome("DML", "OPTIMIZE", update_count=0)
        self._check_open_writers(len(chosen_parts))
        only = {f["path"] for f in selected}
        scan = self._iceberg_scan(meta, ctx, snapshot, [], only=only)
        self._run(ctx, f"CREATE TEMP TABLE __ara_opt AS {scan}")
        partitions = self._iceberg_partitions(ctx, meta, "__ara_opt")
        files = self._iceberg_write(ctx, meta, "__ara_opt", partitions, target_size=target)
        kept = [f for f in snapshot["data_files"] if f["path"] not in only]
        kept_paths = {f["path"] for f in kept}
        kept_deletes = [
            d
            for d in snapshot["delete_files"]
            if kept_paths.intersection(d.get("referenced_data_files", []))
        ]
        count = _count(ctx.con, "__ara_opt")
        new = meta.next(
            now_ms=self._now_ms(),
            operation="replace",
            data_files=kept + files,
            delete_files=kept_deletes,
            summary={
                "rewritten-data-files": str(len(selected)),
                "added-data-files": str(len(files)),
                "removed-delete-files": str(len(snapshot["delete_files"]) - len(kept_deletes)),
            },
        )
        self._iceberg_commit(db, name, meta, new)
        return Outcome("DML", "OPTIMIZE", update_count=count)

    def _protected(self) -> set[str]:
        """Every object the CURRENT metadata of any Iceberg table in the catalog references."""
        found: set[str] = set()
        for table in self.catalog.all_tables():
            if not is_iceberg(table):
                continue
            params = table.get("Parameters") or {}
            for key in ("metadata_location", "previous_metadata_location"):
                if params.get(key):
                    found.add(str(params[key]))
            location = str(params.get("metadata_location") or "")
            if not location:
                continue
            try:
                found |= parse_meta(self.catalog.get_bytes(location), location).referenced()
            except AthenaQueryError:
                # unreadable metadata: protect everything under that table's location
                sd_location = str((table.get("StorageDescriptor") or {}).get("Location") or "")
                if sd_location:
                    found.update(
                        f"s3://{o.bucket}/{o.key}"
                        for o in self.catalog.list_objects(sd_location.rstrip("/") + "/")
                    )
        return found

    def _vacuum(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"vacuum\s+(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "VACUUM: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        self._iceberg_target(exp.to_table(f'"{db}"."{name}"'), ctx, "VACUUM")
        meta = self._iceberg_meta(db, name, ctx)
        bucket, prefix = split_s3(meta.table_location)
        if not prefix.strip("/"):
            raise AthenaQueryError(
                "GENERIC_INTERNAL_ERROR", f"Path missing in file system location: s3://{bucket}"
            )
        now = self.clock()
        cutoff_ms = int((now - meta.prop("vacuum_max_snapshot_age_seconds")) * 1000)
        snaps = sorted(meta.doc["snapshots"], key=lambda s: int(s["timestamp_ms"]))
        keep_ids = {
            int(s["snapshot_id"]) for s in snaps[-meta.prop("vacuum_min_snapshots_to_keep") :]
        }
        keep_ids |= {int(s["snapshot_id"]) for s in snaps if int(s["timestamp_ms"]) >= cutoff_ms}
        current = meta.doc.get("current_snapshot_id")
        if current is not None:
            keep_ids.add(int(current))
        new = meta.next(now_ms=self._now_ms())
        new.doc["snapshots"] = [
            s for s in new.doc["snapshots"] if int(s["snapshot_id"]) in keep_ids
        ]
        log = new.doc["metadata_log"]
        keep_meta = max(meta.prop("vacuum_max_metadata_files_to_keep"), 0)
        new.doc["metadata_log"] = log[len(log) - keep_meta :] if keep_meta else []
        self._iceberg_commit(db, name, meta, new)
        # after the commit: delete what no kept snapshot, no kept metadata file and no current
        # metadata of any table references
        keep = new.referenced() | self._protected()
        doomed = (meta.referenced() - keep) | {
            str(x["metadata_file"]) for x in log if str(x["metadata_file"]) not in keep
        }
        for obj in self.catalog.list_objects(meta.table_location + "/"):
            url = f"s3://{obj.bucket}/{obj.key}"
            if url not in keep and self.catalog.last_modified(obj) < now - meta.prop(
                "vacuum_max_snapshot_age_seconds"
            ):
                doomed.add(url)  # an orphan older than the retention period
        under = meta.table_location + "/"
        doomed = {u for u in doomed if u.startswith(under) and u not in keep}
        self.catalog.delete_urls(sorted(doomed))
        return Outcome("DML", "VACUUM", update_count=len(doomed))

    # --- Iceberg: DROP, RENAME, properties -----------------------------------------------------

    def _drop_iceberg(self, db: str, name: str, table: dict[str, Any]) -> None:
        """Athena's DROP TABLE of an Iceberg table deletes its data: the objects under its
        location (refused when another table's current metadata references one of them)."""
        location = str((table.get("StorageDescriptor") or {}).get("Location") or "").rstrip("/")
        self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        if not location or not split_s3(location)[1]:
            return
        protected = self._protected()
        objects = [f"s3://{o.bucket}/{o.key}" for o in self.catalog.list_objects(location + "/")]
        shared = [u for u in objects if u in protected]
        if shared:
            # put the table back: Athena would delete objects another table reads
            self.catalog.glue.create_table(DatabaseName=db, TableInput=_table_input(table))
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"DROP TABLE {db}.{name}: Athena deletes an Iceberg table's data, and another "
                f"Glue table's current metadata references {shared[0]} under its location "
                f"{location}/ (drop the Glue entry with the Glue API instead)",
            )
        self.catalog.delete_urls(objects)

    def _rename(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+rename\s+to\s+(" + _NAME + r")\s*\Z", text, re.I
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "ALTER TABLE RENAME TO: cannot read it")
        db, name = _split_name(m.group(1), ctx.database)
        new_db, new_name = _split_name(m.group(2), db)
        with self._ddl_lock:
            table = self._table_or_fail(db, name)
            if not is_iceberg(table):
                raise AthenaQueryError(
                    "NOT_SUPPORTED",
                    f"ALTER TABLE RENAME TO is only supported for Iceberg tables: {db}.{name}",
                )
            self.catalog.require_database(new_db)
            if self.catalog.get_table(new_db, new_name) is not None:
                raise AthenaQueryError(
                    "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{new_db}.{new_name}' already exists"
                )
            self.catalog.glue.create_table(
                DatabaseName=new_db, TableInput={**_table_input(table), "Name": new_name}
            )
            self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        return Outcome("DDL", "ALTER_TABLE_RENAME")

    def _set_iceberg_properties(
        self, ctx: _Context, db: str, name: str, given: dict[str, str]
    ) -> None:
        meta = self._iceberg_meta(db, name, ctx)
        new = meta.next(now_ms=self._now_ms())
        new.doc["properties"] = {**new.doc["properties"], **check_properties(given)}
        self._iceberg_commit(db, name, meta, new)

    # --- SHOW ----------------------------------------------------------------------------------

    def _show_databases(self, text: str, ctx: _Context) -> Outcome:
        names = sorted(d["Name"] for d in self.catalog.glue.get_databases()["DatabaseList"])
        return Outcome(
            "UTILITY", "SHOW_DATABASES", [("database_name", "varchar")], [[n] for n in names]
        )

    def _show_tables(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"show\s+tables(?:\s+(?:in|from)\s+(" + _NAME + r"))?\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("NOT_SUPPORTED", "SHOW TABLES: only SHOW TABLES [IN db]")
        db = _ident(m.group(1)) if m.group(1) else ctx.database
        self.catalog.require_database(db)
        names = sorted(
            t["Name"] for t in self.catalog.glue.get_tables(DatabaseName=db)["TableList"]
        )
        return Outcome("UTILITY", "SHOW_TABLES", [("tab_name", "varchar")], [[n] for n in names])

    def _show_partitions(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"show\s+partitions\s+(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "SHOW PARTITIONS: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "SHOW PARTITIONS")
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        rows = sorted(
            "/".join(f"{k}={v}" for k, v in zip(keys, p["Values"], strict=True))
            for p in self.catalog.partitions(db, name)
        )
        return Outcome(
            "UTILITY", "SHOW_PARTITIONS", [("partition", "varchar")], [[r] for r in rows]
        )


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


def _unescape(text: str) -> str:
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


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
    return got.startswith("decimal") and want.startswith("decimal")


def _hive_text(kind: exp.Expression) -> str:
    return re.sub(r"\s+", "", str(kind.sql(dialect="hive"))).lower()


def _view_hive_type(duck_type: str) -> str:
    try:
        return hive_type_of(duck_type)
    except AthenaQueryError:
        return "string"


def _prop_value(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, exp.Literal):
        return str(node.this)
    return str(node.name if hasattr(node, "name") and node.name else node.sql())


def _props(node: Any) -> dict[str, str]:
    if node is None:
        return {}
    return {p.name: _prop_value(p.args.get("value")) for p in node.find_all(exp.Property)}


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (quotes respected)."""
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c == "'":
            j = i + 1
            while j < len(text):
                if text[j] == "'" and text[j + 1 : j + 2] == "'":
                    j += 2
                    continue
                if text[j] == "'":
                    break
                j += 1
            i = j
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise AthenaQueryError("SYNTAX_ERROR", "unbalanced parentheses")


def _with_properties(text: str) -> dict[str, str]:
    props: dict[str, str] = {}
    depth = 0
    current: list[str] = []
    parts: list[str] = []
    quoted = False
    for c in text:
        if c == "'":
            quoted = not quoted
        if not quoted:
            if c in "([":
                depth += 1
            elif c in ")]":
                depth -= 1
            elif c == "," and depth == 0:
                parts.append("".join(current))
                current = []
                continue
        current.append(c)
    if "".join(current).strip():
        parts.append("".join(current))
    for part in parts:
        m = re.match(r"\s*([\w.]+)\s*=\s*(.*?)\s*\Z", part, re.S)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", f"table property {part.strip()!r}")
        value = m.group(2)
        if value.startswith("'") and value.endswith("'"):
            value = value[1:-1].replace("''", "'")
        props[m.group(1).lower()] = value
    return props


def _array(text: str) -> list[str]:
    m = re.fullmatch(r"\s*ARRAY\s*\[(.*)\]\s*", text, re.I | re.S)
    if not m:
        raise AthenaQueryError("INVALID_TABLE_PROPERTY", f"expected ARRAY[...], got {text}")
    return [v.lower() for v in re.findall(r"'((?:[^']|'')*)'", m.group(1))]


def _duckdb_failure(exc: duckdb.Error) -> AthenaQueryError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
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


def _array_items(text: str) -> list[str]:
    """The items of ``ARRAY['a', 'bucket(16, b)']`` as written (quotes removed)."""
    m = re.fullmatch(r"\s*ARRAY\s*\[(.*)\]\s*", text, re.I | re.S)
    if not m:
        raise AthenaQueryError("INVALID_TABLE_PROPERTY", f"expected ARRAY[...], got {text}")
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(1))]


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
