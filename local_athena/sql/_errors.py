"""Trino's error names raised from inside DuckDB: a port (a DuckDB macro's ``error(...)`` or a
Python UDF's exception) marks its message ``[trino:<ERROR_NAME>] <message>``; the engine turns
a DuckDB failure carrying the mark into Athena's ``<ERROR_NAME>: <message>``
(:func:`trino_error`, read by ``engine/_base._duckdb_failure``)."""

from __future__ import annotations

import re

__all__ = ["TrinoFunctionError", "error_sql", "marked", "trino_error"]

_MARK = re.compile(r"\[trino:([A-Z_]+)\] (.*)$")


def marked(code: str, message: str) -> str:
    """The message as a port raises it."""
    return f"[trino:{code}] {message}"


def error_sql(code: str, message_sql: str) -> str:
    """DuckDB SQL raising Trino's error: ``message_sql`` is a SQL expression of the message."""
    prefix = marked(code, "").replace("'", "''")
    return f"error('{prefix}' || ({message_sql}))"


class TrinoFunctionError(ValueError):
    """An error a Python port raises as Trino does (INVALID_FUNCTION_ARGUMENT …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(marked(code, message))


def trino_error(duckdb_message: str) -> tuple[str, str] | None:
    """(error name, message) of a DuckDB failure a port raised, or None."""
    found = _MARK.search(duckdb_message)
    return (found.group(1), found.group(2)) if found else None
