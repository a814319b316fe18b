"""Trino's type rules, checked before a statement runs: the implicit conversions DuckDB makes
and Trino does not.

DuckDB converts a varchar to the other side's type in a comparison (``1 = '1'`` is true), makes
text of anything in ``||`` and ``concat`` (``'a' || 1`` is ``'a1'``), takes an integer as a
condition and adds integers to dates. Trino has none of these: an implicit coercion exists only
along numeric widening and a few others (https://trino.io/docs/current/language/types.html,
"Implicit type conversion"; https://trino.io/docs/current/functions/conditional.html: IF's
condition is a boolean, COALESCE/CASE/IN need one common type). Athena fails such statements
at analysis, whatever the data, so this check runs on the tree with the types of the tables it
reads (sqlglot's type annotation over the DuckDB relations the statement loaded), before any
row is read. Where a type is not known the check stays silent: it refuses only what is sure to
be refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, cast

import duckdb
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ..errors import AthenaQueryError
from ._base import _Context

__all__ = ["check_types", "relation_schema"]

#: statements (with the column types they read) that passed, oldest first
_PASSED: dict[tuple[str, str, str], None] = {}
_PASSED_MAX = 4096
_PASSED_LOCK = threading.Lock()

_T = exp.DataType.Type
_TEXT = {_T.VARCHAR, _T.CHAR, _T.TEXT, _T.NVARCHAR, _T.NCHAR, _T.NAME}
_NUMERIC = exp.DataType.NUMERIC_TYPES
_TEMPORAL = exp.DataType.TEMPORAL_TYPES
_COMPARISONS: tuple[type[Any], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
)
_SYMBOL: dict[type[Any], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.NullSafeEQ: "IS NOT DISTINCT FROM",
    exp.NullSafeNEQ: "IS DISTINCT FROM",
    exp.Add: "+",
    exp.Sub: "-",
}


def _family(node: Any) -> str | None:
    """text, number, boolean, temporal — or None when the type is not known (or NULL)."""
    kind = node.type
    if kind is None:
        return None
    this = kind.this
    if this in _TEXT:
        return "text"
    if this in _NUMERIC:
        return "number"
    if this == _T.BOOLEAN:
        return "boolean"
    if this in _TEMPORAL:
        return "date" if this == _T.DATE else "temporal"
    return None


def _trino_name(node: Any) -> str:
    """The operand's type as Trino names it (``integer``, ``varchar``, ``timestamp(3)``)."""
    kind = node.type
    if kind is None:
        return "unknown"
    this = kind.this
    names = {
        _T.INT: "integer",
        _T.TINYINT: "tinyint",
        _T.SMALLINT: "smallint",
        _T.BIGINT: "bigint",
        _T.DOUBLE: "double",
        _T.FLOAT: "real",
        _T.BOOLEAN: "boolean",
        _T.DATE: "date",
        _T.TIMESTAMP: "timestamp(3)",
    }
    if this in _TEXT:
        if isinstance(node, exp.Literal) and node.is_string:
            return f"varchar({len(node.this)})"
        return "varchar"
    if this in names:
        return names[this]
    return str(kind.sql(dialect="trino")).lower()


def _compatible(a: str, b: str) -> bool:
    # date and timestamp: Trino coerces date to timestamp
    return a == b or {a, b} == {"date", "temporal"}


def _mismatch(message: str) -> AthenaQueryError:
    return AthenaQueryError("TYPE_MISMATCH", message)


def _common(nodes: Iterable[Any], what: str) -> None:
    """All operands of ``what`` (COALESCE, CASE, IF, IN) of one type family."""
    known = [(n, f) for n in nodes if (f := _family(n)) is not None]
    for node, family in known[1:]:
        if not _compatible(family, known[0][1]):
            raise _mismatch(
                f"All {what} operands must be the same type or coercible to a common type. "
                f"Cannot find common type between {_trino_name(known[0][0])} and "
                f"{_trino_name(node)}"
            )


def _check_node(node: Any) -> None:
    if isinstance(node, _COMPARISONS):
        if isinstance(node.left, exp.Any | exp.All) or isinstance(node.right, exp.Any | exp.All):
            return  # x = ANY (subquery): sqlglot types the quantifier as a boolean
        left, right = _family(node.left), _family(node.right)
        if left and right and not _compatible(left, right):
            raise _mismatch(
                f"Cannot apply operator: {_trino_name(node.left)} {_SYMBOL[type(node)]} "
                f"{_trino_name(node.right)}"
            )
    elif isinstance(node, exp.In) and node.expressions:
        _common([node.this, *node.expressions], "IN value and list")
    elif isinstance(node, exp.Between):
        _common([node.this, node.args["low"], node.args["high"]], "BETWEEN")
    elif isinstance(node, exp.DPipe | exp.Concat):
        parts = [node.left, node.right] if isinstance(node, exp.DPipe) else node.expressions
        if any(p.find(exp.Array) is not None or p.is_type(_T.ARRAY) for p in parts):
            return  # array || element chains: sqlglot types the inner result as a varchar
        families = [_family(p) for p in parts]
        if "text" in families and any(f not in (None, "text") for f in families):
            types = ", ".join(_trino_name(p) for p in parts)
            raise AthenaQueryError(
                "FUNCTION_NOT_FOUND", f"Unexpected parameters ({types}) for function concat"
            )
    elif isinstance(node, exp.If):
        case = node.parent if isinstance(node.parent, exp.Case) else None
        if case is not None and node not in (case.args.get("ifs") or []):
            case = None  # an IF() as the CASE's operand or ELSE is an IF of its own
        if case is not None and case.this is not None:  # CASE x WHEN v: v compares with x
            operand, value = _family(case.this), _family(node.this)
            if operand and value and not _compatible(operand, value):
                raise _mismatch(
                    f"CASE operand type does not match WHEN clause operand type: "
                    f"{_trino_name(case.this)} vs {_trino_name(node.this)}"
                )
            return
        condition = _family(node.this)
        if condition not in (None, "boolean"):
            raise _mismatch(
                f"IF/CASE condition must evaluate to a boolean (actual: {_trino_name(node.this)})"
            )
        if not isinstance(node.parent, exp.Case):
            _common([node.args["true"], node.args.get("false") or exp.null()], "IF")
    elif isinstance(node, exp.Case):
        results = [i.args["true"] for i in node.args.get("ifs") or []]
        if node.args.get("default") is not None:
            results.append(node.args["default"])
        _common(results, "CASE")
    elif isinstance(node, exp.Coalesce):
        _common([node.this, *node.expressions], "COALESCE")
    elif isinstance(node, exp.Add | exp.Sub):
        if node.left.find(exp.Interval) is not None or node.right.find(exp.Interval) is not None:
            return  # n * INTERVAL '1' DAY: sqlglot types the product as the number
        left, right = _family(node.left), _family(node.right)
        pair = {left, right}
        dated = bool(pair & {"date", "temporal"}) and "number" in pair
        if None not in pair and (dated or ("text" in pair and len(pair) > 1)):
            raise _mismatch(
                f"Cannot apply operator: {_trino_name(node.left)} {_SYMBOL[type(node)]} "
                f"{_trino_name(node.right)}"
            )


def relation_schema(
    ctx: _Context, relations: Iterable[tuple[str, str, str]]
) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """{catalog: {database: {table: {column: DuckDB type}}}} of the loaded relations (each
    described once per statement)."""
    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for key in relations:
        if key not in ctx.column_types:
            quoted = ".".join('"' + part.replace('"', '""') + '"' for part in key)
            try:
                described = ctx.con.execute(f"DESCRIBE {quoted}").fetchall()
            except duckdb.Error:
                continue
            ctx.column_types[key] = {str(row[0]): str(row[1]) for row in described}
        catalog, db, name = key
        schema.setdefault(catalog, {}).setdefault(db, {})[name] = ctx.column_types[key]
    return schema


def check_types(
    tree: exp.Expression,
    schema: dict[str, dict[str, dict[str, dict[str, str]]]],
    *,
    catalog: str,
    database: str,
) -> None:
    """Raises TYPE_MISMATCH / FUNCTION_NOT_FOUND for an implicit conversion Trino lacks.

    A tree checked once over the same column types is not checked again (dbt sends the same
    view bodies and statements over and over; annotating a mart's SQL takes up to 0.3 s)."""
    key = (
        tree.sql(),
        database,
        repr(
            sorted(
                (c, d, n, sorted(cols.items()))
                for c, ds in schema.items()
                for d, ns in ds.items()
                for n, cols in ns.items()
            )
        ),
    )
    with _PASSED_LOCK:
        if key in _PASSED:
            return
    _check(tree, schema, catalog=catalog, database=database)
    with _PASSED_LOCK:
        if len(_PASSED) >= _PASSED_MAX:
            _PASSED.pop(next(iter(_PASSED)))
        _PASSED[key] = None


def _check(
    tree: exp.Expression,
    schema: dict[str, dict[str, dict[str, dict[str, str]]]],
    *,
    catalog: str,
    database: str,
) -> None:
    try:
        mapping = MappingSchema(cast(dict[str, object], schema), dialect="duckdb", normalize=False)
        typed = qualify(
            tree.copy(),
            schema=mapping,
            dialect="athena",
            catalog=catalog,
            db=database,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
        annotate_types(typed, schema=mapping, dialect="athena")
    except (SqlglotError, KeyError, ValueError, TypeError, AttributeError, RecursionError):
        # a tree the annotator cannot follow (e.g. MERGE's own steps over its temporary tables,
        # whose source was checked as it was read): Athena's own analysis decides on AWS
        return
    for node in typed.walk():
        _check_node(node)
