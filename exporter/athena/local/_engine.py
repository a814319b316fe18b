"""Executes one Athena statement against the endpoint's Glue catalog and S3 objects.

SELECTs are transpiled Trino -> DuckDB (:mod:`._transpile`, with the Trino function ports) and
run over the Parquet objects of the Glue tables they read (views expanded from their Presto view
text). DDL keeps the catalog the way Athena does; CTAS and INSERT INTO write Parquet in the Hive
layout and register the partitions they wrote. Anything else raises :class:`AthenaQueryError`
naming what is not supported: nothing succeeds without having been executed.
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
from ._functions import unsupported_function
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


@dataclass
class _Context:
    database: str
    output_location: str
    query_id: str
    con: duckdb.DuckDBPyConnection
    loaded: dict[tuple[str, str], str] = field(default_factory=dict)
    loading: set[tuple[str, str]] = field(default_factory=set)
    scanned: int = 0


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
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
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

    def __init__(self, catalog: Catalog, workdir: Path) -> None:
        self.catalog = catalog
        self.workdir = workdir
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
            outcome.data_scanned = ctx.scanned
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
                return con
        con = duckdb.connect(config={"threads": 1})
        con.execute("SET TimeZone = 'UTC'")  # Athena's session zone
        con.execute("SET integer_division = true")  # Trino: 5 / 2 = 2, -7 / 2 = -3
        con.execute(f"ATTACH ':memory:' AS {CATALOG}")
        register(con)
        return con

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
        }

    # --- SELECT -------------------------------------------------------------------------------

    def _parse(self, sql: str) -> exp.Expression:
        try:
            statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
        except ParseError as exc:
            raise AthenaQueryError("SYNTAX_ERROR", str(exc).splitlines()[0]) from None
        if len(statements) != 1:
            raise AthenaQueryError("SYNTAX_ERROR", "Only one sql statement is allowed")
        return cast(exp.Expression, statements[0])

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
            db = db_part.name.lower() if db_part is not None else default_db
            name = table.name.lower()
            self._load(db, name, ctx)
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
        if params.get("table_type", "").upper() == "ICEBERG":
            raise AthenaQueryError("NOT_SUPPORTED", f"Iceberg table {db}.{name} is not supported")
        serde = str((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "")
        if serde != PARQUET_SERDE and str(sd.get("InputFormat")) != PARQUET_INPUT:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"table {db}.{name}: only Parquet tables are read by the local endpoint "
                f"(SerDe {serde or 'none'})",
            )
        columns = [(c["Name"].lower(), c["Type"]) for c in sd.get("Columns", [])]
        keys = [(c["Name"].lower(), c["Type"]) for c in table.get("PartitionKeys", [])]
        files: list[tuple[str, list[str | None]]] = []  # (local path, partition values)
        if keys:
            if str(params.get("projection.enabled", "")).lower() == "true":
                parts = self._projected_partitions(table, keys)
            else:
                parts = [
                    (p["Values"], p["StorageDescriptor"]["Location"])
                    for p in self.catalog.partitions(db, name)
                ]
            for values, location in parts:
                for obj in self.catalog.data_files(location):
                    files.append((str(self.catalog.local_copy(obj)), list(values)))
                    ctx.scanned += obj.size
        else:
            for obj in self.catalog.data_files(str(sd.get("Location", ""))):
                files.append((str(self.catalog.local_copy(obj)), []))
                ctx.scanned += obj.size
        typed = [(n, duckdb_type(t)) for n, t in columns]
        typed_keys = [(n, duckdb_type(t)) for n, t in keys]
        if not files:
            nulls = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in typed + typed_keys)
            return f"SELECT {nulls} LIMIT 0"
        paths = "[" + ", ".join(_literal(p) for p, _ in files) + "]"
        reader = f"read_parquet({paths}, union_by_name = true, filename = '__ara_file')"
        described = ctx.con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        in_file = {str(r[0]).lower(): (str(r[0]), str(r[1]).upper()) for r in described}
        exprs = []
        for n, t in typed:
            if n not in in_file:
                exprs.append(f'CAST(NULL AS {t}) AS "{n}"')
                continue
            original, file_type = in_file[n]
            source = f'f."{original}"'
            if t == "TIMESTAMP(3)" and "TIME ZONE" in file_type:
                source = f"timezone('UTC', {source})"  # UTC-adjusted Parquet -> wall clock
            exprs.append(f'CAST({source} AS {t}) AS "{n}"')
        if not keys:
            return f"SELECT {', '.join(exprs)} FROM {reader} AS f"
        for n, t in typed_keys:
            exprs.append(f'CAST(p."{n}" AS {t}) AS "{n}"')
        rows_sql = ", ".join(
            "("
            + ", ".join(
                [_literal(path)]
                + [
                    "NULL" if v is None or v == "__HIVE_DEFAULT_PARTITION__" else _literal(v)
                    for v in vals
                ]
            )
            + ")"
            for path, vals in files
        )
        key_names = ", ".join(f'"{n}"' for n, _ in keys)
        return (
            f"SELECT {', '.join(exprs)} FROM {reader} AS f JOIN (VALUES {rows_sql}) "
            f"AS p(__ara_file, {key_names}) ON f.__ara_file = p.__ara_file"
        )

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
        table = self._table_or_fail(db, name)
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
        table = self._table_or_fail(db, name)
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
        table = self._table_or_fail(db, name)
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
        if table_type != "hive":
            raise AthenaQueryError(
                "NOT_SUPPORTED", f"CTAS with table_type='{table_type}' is not supported (Hive only)"
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
        self.catalog.require_database(db)
        if self.catalog.get_table(db, name) is not None:
            if m.group(1):
                return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=0)
            raise AthenaQueryError(
                "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
            )
        if location is None:
            location = f"{ctx.output_location.rstrip('/')}/tables/{ctx.query_id}"
        if any(True for _ in self.catalog.data_files(location)):
            raise AthenaQueryError(
                "HIVE_PATH_ALREADY_EXISTS",
                f"Target directory for table '{db}.{name}' already exists: {location}. You may "
                "need to manually clean the data at location before retrying. Athena will not "
                "delete data in your account.",
            )
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
        if (sd.get("SerdeInfo") or {}).get("SerializationLibrary") != PARQUET_SERDE:
            raise AthenaQueryError("NOT_SUPPORTED", f"INSERT INTO {db}.{name}: only Parquet tables")
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
                selects.append(f'CAST(NULL AS {duckdb_type(hive_t)}) AS "{col}"')
                continue
            src_name, src_type = source[col]
            got = hive_type_of(src_type) if src_type.upper() != "NULL" else hive_t
            if not _coercible(got, hive_t.lower()):
                raise AthenaQueryError(
                    "TYPE_MISMATCH",
                    f"Insert query has mismatched column types: column {col} is {hive_t}, "
                    f"the query gives {got}",
                )
            selects.append(f'CAST("{src_name}" AS {duckdb_type(hive_t)}) AS "{col}"')
        ctx.con.execute(
            f"CREATE TEMP TABLE __ara_result AS SELECT {', '.join(selects)} FROM __ara_query"
        )
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
        table = self._table_or_fail(db, name)
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
