"""The statements' text: their kind, names and WITH/TBLPROPERTIES values, read the way
Athena reads them (before any parsing into a tree)."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from ..errors import AthenaQueryError

CATALOG = "awsdatacatalog"


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
        second = (alter.group(2) or "").upper()
        if action in ("ADD", "REPLACE") and second == "COLUMNS":
            return f"ALTER TABLE {action} COLUMNS"
        if (action in ("CHANGE", "DROP") and second in ("COLUMN", "COLUMNS")) or action == "CHANGE":
            return f"ALTER TABLE {action} COLUMN"
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


def _unescape(text: str) -> str:
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


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


def _array_items(text: str) -> list[str]:
    """The items of ``ARRAY['a', 'bucket(16, b)']`` as written (quotes removed)."""
    m = re.fullmatch(r"\s*ARRAY\s*\[(.*)\]\s*", text, re.I | re.S)
    if not m:
        raise AthenaQueryError("INVALID_TABLE_PROPERTY", f"expected ARRAY[...], got {text}")
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(1))]
