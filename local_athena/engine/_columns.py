"""A table's columns: ALTER TABLE ADD / REPLACE / CHANGE / DROP COLUMN(S) (what dbt-athena's
``on_schema_change`` sends), SHOW COLUMNS, DESCRIBE, and EXPLAIN.

Sources: https://docs.aws.amazon.com/athena/latest/ug/alter-table-add-columns.html,
…/alter-table-replace-columns.html, …/alter-table-change-column.html (Hive tables: the Glue
schema changes, the files stay; a Parquet file read by name gives NULL for a column it lacks),
…/querying-iceberg-evolving-table-schema.html (Iceberg: ADD COLUMNS, DROP COLUMN, CHANGE
COLUMN), …/show-columns.html, …/describe-table.html, …/athena-explain-statement.html.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .._iceberg import is_iceberg
from ..errors import AthenaQueryError
from ._base import Outcome, _Context, _hive_text, _table_input
from ._iceberg_maintenance import IcebergMaintenance
from ._text import _NAME, _ident, _split_name

__all__ = ["ColumnStatements"]

_ALTER = re.compile(
    r"alter\s+table\s+(" + _NAME + r")\s+(add|replace|change|drop)\s+(?:columns?\b)?\s*(.*)\Z",
    re.I | re.S,
)


def _column_defs(text: str) -> list[dict[str, str]]:
    """``(a string, `b` int COMMENT 'x')`` as Glue columns (Hive type names)."""
    try:
        tree = sqlglot.parse_one(f"CREATE TABLE t {text}", read="athena")
    except ParseError as exc:
        raise AthenaQueryError("SYNTAX_ERROR", str(exc).splitlines()[0]) from None
    schema = tree.this if isinstance(tree, exp.Create) else None
    if not isinstance(schema, exp.Schema) or not schema.expressions:
        raise AthenaQueryError("SYNTAX_ERROR", f"no column definitions in {text.strip()!r}")
    columns = []
    for c in schema.expressions:
        if not isinstance(c, exp.ColumnDef) or c.args.get("kind") is None:
            raise AthenaQueryError("SYNTAX_ERROR", f"not a column definition: {c.sql()}")
        column = {"Name": c.name.lower(), "Type": _hive_text(c.args["kind"])}
        comment = c.find(exp.CommentColumnConstraint)
        if comment is not None:
            column["Comment"] = comment.this.name
        columns.append(column)
    return columns


def _unique(names: list[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise AthenaQueryError(
            "DUPLICATE_COLUMN_NAME", f"Column name '{repeated[0]}' specified more than once"
        )


class ColumnStatements(IcebergMaintenance):
    """ALTER TABLE … COLUMNS, SHOW COLUMNS, DESCRIBE, EXPLAIN."""

    def _alter_columns(self, text: str, ctx: _Context) -> Outcome:
        m = _ALTER.match(text)
        if not m:
            raise AthenaQueryError(
                "SYNTAX_ERROR", "ALTER TABLE … COLUMNS: cannot read the statement"
            )
        db, name = _split_name(m.group(1), ctx.database)
        action, rest = m.group(2).lower(), m.group(3).strip()
        with self._ddl_lock:
            table = self._table_or_fail(db, name)
            if is_iceberg(table):
                raise AthenaQueryError(
                    "NOT_SUPPORTED",
                    f"ALTER TABLE {action.upper()} COLUMN on the Iceberg table {db}.{name} is not "
                    "supported by the local Athena endpoint (docs/athena-parity.md)",
                )
            if table.get("TableType") == "VIRTUAL_VIEW":
                raise AthenaQueryError("NOT_SUPPORTED", f"{db}.{name} is a view, not a table")
            sd = table["StorageDescriptor"]
            columns: list[dict[str, Any]] = list(sd.get("Columns", []))
            keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
            if action == "add":
                added = _column_defs(rest)
                _unique([c["Name"].lower() for c in columns] + keys + [c["Name"] for c in added])
                columns = columns + added
            elif action == "replace":
                columns = _column_defs(rest)
                _unique([c["Name"] for c in columns] + keys)
            elif action == "change":
                cm = re.match(r"(\S+)\s+(\S+)\s+(.+)\Z", rest, re.S)
                if not cm:
                    raise AthenaQueryError("SYNTAX_ERROR", "CHANGE COLUMN old new type")
                old = _ident(cm.group(1))
                (new,) = _column_defs(f"({cm.group(2)} {cm.group(3)})")
                at = [c["Name"].lower() for c in columns]
                if old not in at:
                    raise AthenaQueryError("COLUMN_NOT_FOUND", f"Column '{old}' does not exist")
                columns[at.index(old)] = new
                _unique([c["Name"].lower() for c in columns] + keys)
            else:  # Hive tables drop columns with REPLACE COLUMNS (alter-table-replace-columns)
                raise AthenaQueryError(
                    "NOT_SUPPORTED",
                    "ALTER TABLE DROP COLUMN is not supported for Hive tables; use ALTER TABLE "
                    "REPLACE COLUMNS",
                )
            table_input = _table_input(copy.deepcopy(table))
            table_input["StorageDescriptor"]["Columns"] = columns
            self.catalog.glue.update_table(DatabaseName=db, TableInput=table_input)
        return Outcome("DDL", f"ALTER_TABLE_{action.upper()}_COLUMNS")

    def _columns_of(self, text: str, ctx: _Context, what: str) -> tuple[str, str, dict[str, Any]]:
        m = re.match(
            r"(?:show\s+columns\s+(?:from|in)|describe(?:\s+formatted|\s+extended)?|desc)\s+("
            + _NAME
            + r")(?:\s+(?:from|in)\s+("
            + _NAME
            + r"))?\s*\Z",
            text,
            re.I,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", f"{what}: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        if m.group(2):
            db = _ident(m.group(2))
        self.catalog.require_database(db)
        table = self._table_or_fail(db, name)
        return db, name, table

    def _show_columns(self, text: str, ctx: _Context) -> Outcome:
        """One row per column, partition columns last, each name padded as Athena pads them."""
        _, _, table = self._columns_of(text, ctx, "SHOW COLUMNS")
        sd = table.get("StorageDescriptor") or {}
        names = [c["Name"] for c in [*sd.get("Columns", []), *table.get("PartitionKeys", [])]]
        rows: list[list[str | None]] = [[f"{n:<20}\t"] for n in names]
        return Outcome("UTILITY", "SHOW_COLUMNS", [("field", "varchar")], rows)

    def _describe(self, text: str, ctx: _Context) -> Outcome:
        """Athena's DESCRIBE text: ``name\\ttype\\tcomment`` per column, then the partition
        columns under ``# Partition Information``."""
        _, _, table = self._columns_of(text, ctx, "DESCRIBE")
        sd = table.get("StorageDescriptor") or {}
        keys = list(table.get("PartitionKeys", []))

        def line(c: dict[str, Any]) -> str:
            return f"{c['Name']:<20}\t{c['Type']:<20}\t{c.get('Comment', '')}"

        lines = [line(c) for c in [*sd.get("Columns", []), *keys]]
        if keys:
            lines += ["", "# Partition Information", f"{'# col_name':<20}\t{'data_type':<20}\t"]
            lines += ["", *(line(c) for c in keys)]
        rows: list[list[str | None]] = [[x] for x in lines]
        return Outcome("DDL", "DESCRIBE_TABLE", [("col_name", "varchar")], rows)

    def _explain(self, text: str, ctx: _Context) -> Outcome:
        """EXPLAIN [ANALYZE] <query>: the query is analysed as it would run (tables, functions,
        types); the plan is the engine's own (DuckDB's), not Trino's distributed plan."""
        m = re.match(r"explain\s+(analyze\s+)?(?:\(\s*[^)]*\)\s*)?(.*)\Z", text, re.I | re.S)
        if not m or not m.group(2).strip():
            raise AthenaQueryError("SYNTAX_ERROR", "EXPLAIN: no statement")
        tree = self._parse(m.group(2))
        duck_sql = self._prepare(tree, ctx, ctx.database)
        prefix = "EXPLAIN ANALYZE " if m.group(1) else "EXPLAIN "
        plan = self._run(ctx, prefix + duck_sql).fetchall()
        lines = [ln for row in plan for ln in str(row[-1]).splitlines() if ln.strip()]
        return Outcome(
            "DML", "EXPLAIN", [("Query Plan", "varchar")], [[ln] for ln in lines] or [[""]]
        )
