"""Trino's type names (``typeof``) of DuckDB types, as the endpoint represents Trino's types
(https://trino.io/docs/current/language/types.html): TIMESTAMP and TIMESTAMP_MS are
timestamp(3), TIMESTAMP_NS the marker of timestamp(6), a DuckDB struct a row, JSON json."""

from __future__ import annotations

import re

from sqlglot import exp

from ._errors import TrinoFunctionError

__all__ = ["trino_type_name"]

_T = exp.DataType.Type
_SIMPLE = {
    _T.BOOLEAN: "boolean",
    _T.TINYINT: "tinyint",
    _T.SMALLINT: "smallint",
    _T.INT: "integer",
    _T.BIGINT: "bigint",
    _T.INT128: "bigint",  # an integer sum before the endpoint narrows it (never a result)
    _T.FLOAT: "real",
    _T.DOUBLE: "double",
    _T.VARCHAR: "varchar",
    _T.TEXT: "varchar",
    _T.CHAR: "varchar",
    _T.DATE: "date",
    _T.TIMESTAMP: "timestamp(3)",
    _T.TIMESTAMPNTZ: "timestamp(3)",
    _T.TIMESTAMP_MS: "timestamp(3)",
    _T.TIMESTAMP_S: "timestamp(0)",  # a literal without a fraction: TIMESTAMP(0) (sqlglot)
    _T.TIMESTAMP_NS: "timestamp(6)",
    _T.TIMESTAMPTZ: "timestamp(3) with time zone",
    _T.BLOB: "varbinary",
    _T.VARBINARY: "varbinary",
    _T.JSON: "json",
    _T.UUID: "uuid",
    _T.NULL: "unknown",
    _T.UNKNOWN: "unknown",
}


def _render(dt: exp.DataType) -> str:
    kind = dt.this
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == _T.DECIMAL:
        params = [p.sql() for p in dt.expressions] or ["18", "3"]
        return f"decimal({','.join(params)})"
    if kind == _T.ARRAY:
        return f"array({_render(dt.expressions[0])})"
    if kind == _T.MAP:
        key, value = (_render(e) for e in dt.expressions)
        return f"map({key}, {value})"
    if kind == _T.STRUCT:
        names = [f.name for f in dt.expressions if isinstance(f, exp.ColumnDef)]
        anonymous = bool(names) and all(re.fullmatch(r"_\d+", n) for n in names)
        fields = []
        for field in dt.expressions:
            if isinstance(field, exp.ColumnDef):  # ROW(1, 'a') is DuckDB's {'_0': 1, '_1': 'a'}
                kind_text = _render(field.args["kind"])
                fields.append(kind_text if anonymous else f"{field.name} {kind_text}")
            elif isinstance(field, exp.DataType):
                fields.append(_render(field))
            else:  # an unnamed field (DuckDB's TUPLE): its type as an identifier
                fields.append(_render(exp.DataType.build(field.name, dialect="duckdb")))
        return f"row({', '.join(fields)})"
    raise TrinoFunctionError(
        "NOT_SUPPORTED", f"typeof of DuckDB type {dt.sql('duckdb')} is not emulated"
    )


def trino_type_name(duckdb_type: str) -> str:
    """The Trino name of a DuckDB type (the text DuckDB's ``typeof`` gives)."""
    text = duckdb_type.strip()
    if text.upper() in ("NULL", '"NULL"'):
        return "unknown"
    text = re.sub(r"\bTUPLE\(", "STRUCT(", text)  # an unnamed row
    return _render(exp.DataType.build(text, dialect="duckdb"))
