"""One Athena (Trino) statement as DuckDB SQL, with Trino's semantics where DuckDB's differ.

:func:`to_duckdb` transpiles with sqlglot (read="athena", write="duckdb") and swaps the Trino
functions whose semantics differ from DuckDB's for ports: here the JSON functions
(json_extract_scalar, json_extract, json_format, json_parse, CAST(json AS map(varchar, json))),
casts and try_casts from VARCHAR (and double-to-integer casts), UNNEST of a map, count_if over
no rows and reduce; :mod:`._rewrite` the date/time, number, string, array and aggregate
functions, operators and literals (the ports themselves in :mod:`._trino`, :mod:`._macros`,
:mod:`._overloads`, :mod:`._datetime`). SQL it cannot follow raises :class:`EmulationError`.
"""

from __future__ import annotations

from typing import Any, cast

import sqlglot
from sqlglot import exp

from ..errors import EmulationError
from ._rewrite import port

__all__ = ["rewrite_tree", "to_duckdb"]

_CAST_PORTS = {
    exp.DataType.Type.BIGINT: "bigint",
    exp.DataType.Type.INT: "integer",
    exp.DataType.Type.SMALLINT: "smallint",
    exp.DataType.Type.TINYINT: "tinyint",
    exp.DataType.Type.DOUBLE: "double",
    exp.DataType.Type.BOOLEAN: "boolean",
}


def _path_text(path: exp.Expression) -> exp.Expression:
    """The JSON path argument as the text Trino's tokenizer would get."""
    if not isinstance(path, exp.JSONPath):
        return path  # computed at run time (e.g. '$["' || key || '"]')
    text = "$"
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            continue
        if isinstance(part, exp.JSONPathKey):
            key = str(part.this).replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{key}"]'
        elif isinstance(part, exp.JSONPathSubscript):
            text += f"[{part.this}]"
        else:
            raise EmulationError(f"JSON path part {part!r} is not emulated")
    return exp.Literal.string(text)


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _rewrite(node: exp.Expression) -> exp.Expression:
    ported = port(node)  # functions, operators and literals (._rewrite)
    if ported is not node and type(ported) is not type(node):
        return ported
    node = ported
    if isinstance(node, exp.Reduce) and node.args.get("finish") is not None:
        # Trino's reduce(array, initial, input, output) is a left fold, as DuckDB's list_reduce
        # with an initial value; only an identity output function (s -> s) is emulated
        finish = node.args["finish"]
        params = finish.expressions if isinstance(finish, exp.Lambda) else []
        if not (
            len(params) == 1
            and isinstance(finish.this, exp.Column | exp.Identifier)
            and finish.this.name == params[0].name
        ):
            raise EmulationError(f"reduce with the output function {finish.sql()} is not emulated")
        node = node.copy()
        node.set("finish", None)
        return node
    if isinstance(node, exp.CountIf):
        # Trino's count_if is a count: 0 over no rows (DuckDB's count_if gives null there)
        return exp.Count(this=exp.If(this=node.this, true=exp.Literal.number(1)))
    if isinstance(node, exp.JSONExtractScalar):
        return _call("trino_json_extract_scalar", node.this, _path_text(node.expression))
    if isinstance(node, exp.JSONExtract):
        return _call("trino_json_extract", node.this, _path_text(node.expression))
    if isinstance(node, exp.JSONFormat):  # a Trino json value is DuckDB's JSON of its text
        return _call("trino_json_format", cast(exp.Expression, node.this))
    if isinstance(node, exp.ParseJSON):
        return _call("trino_json_parse", node.this)
    if isinstance(node, exp.Cast):
        to = node.args["to"]
        if to.this == exp.DataType.Type.MAP and [e.this for e in to.expressions] == [
            exp.DataType.Type.VARCHAR,
            exp.DataType.Type.JSON,
        ]:
            return _call("trino_json_to_map", node.this)
        if to.this in _CAST_PORTS:
            kind = "try_cast" if isinstance(node, exp.TryCast) else "cast"
            return _call(f"trino_{kind}_{_CAST_PORTS[to.this]}", node.this)
        if to.this == exp.DataType.Type.JSON:
            return _call("trino_to_json", node.this)
        varchar = to.this == exp.DataType.Type.VARCHAR and not to.expressions
        if varchar and not isinstance(node, exp.TryCast):
            return _call("trino_cast_varchar", node.this)
    if isinstance(node, exp.Unnest):
        alias = node.args.get("alias")
        if (
            isinstance(alias, exp.TableAlias)
            and len(alias.columns) == 2
            and len(node.expressions) == 1
        ):
            # Trino: UNNEST(map) AS t (key, value); DuckDB: keys and values side by side
            key_col, value_col = (c.name for c in alias.columns)
            sub = exp.select(*_map_unnest(node.expressions[0], key_col, value_col))
            return exp.Lateral(this=sub.subquery(), alias=exp.TableAlias(this=alias.this))
    return node


def _map_unnest(
    value: exp.Expression, key_col: str, value_col: str, *, quoted: bool = False
) -> list[Any]:
    """Trino's UNNEST(map) AS t (key, value) in DuckDB: keys and values unnested side by side
    (select-list UNNESTs advance together)."""
    return [
        exp.alias_(exp.Unnest(expressions=[_call(f, value.copy())]), col, quoted=quoted)
        for f, col in (("map_keys", key_col), ("map_values", value_col))
    ]


def _unnest_in_select_list(select: exp.Select) -> None:
    """``FROM r AS s CROSS JOIN UNNEST(<map>) AS e (k, v)``, e's columns qualified, no star:
    the unnest moves into a derived table's select list, ``FROM (SELECT s.*, UNNEST(map_keys(
    <map>)) AS __ara_e_k, UNNEST(map_values(<map>)) AS __ara_e_v FROM r AS s) AS s``, and
    ``e.k`` reads ``s.__ara_e_k``. Same rows as the LATERAL form below; unlike it, DuckDB's
    optimizer pushes a filter on s's columns through this unnest into r, as Trino's pushes one
    through UnnestNode (a run_date filter then prunes r's partitions). Any other shape keeps
    the LATERAL form."""
    source = select.args.get("from_")
    joins = select.args.get("joins") or []
    if not isinstance(source, exp.From) or len(joins) != 1:
        return
    join, relation = joins[0], source.this
    unnest = join.this
    if (
        not isinstance(unnest, exp.Unnest)
        or (join.args.get("kind") or "").upper() != "CROSS"
        or join.args.get("on") is not None
        or unnest.args.get("offset")
        or len(unnest.expressions) != 1
        or not isinstance(relation, exp.Table | exp.Subquery)
        or not relation.alias
    ):
        return
    alias = unnest.args.get("alias")
    if not isinstance(alias, exp.TableAlias) or not alias.name or len(alias.columns) != 2:
        return
    outer, inner = relation.alias, alias.name
    columns = [c.name for c in alias.columns]
    names = {outer, inner}
    if any(True for _ in select.find_all(exp.Star)):
        return  # a star would read the moved columns
    for node in select.find_all(exp.Column):
        if node.table not in names:
            return  # unqualified (or another scope's): leave the statement as it is
        if node.table == inner and node.name not in columns:
            return
    derived = exp.select(
        exp.Column(this=exp.Star(), table=exp.to_identifier(outer)),
        *_map_unnest(unnest.expressions[0], *(f"__ara_{inner}_{c}" for c in columns), quoted=True),
    ).from_(relation.copy())
    for item in list(select.expressions):
        if isinstance(item, exp.Column) and item.table == inner:  # keeps its output name
            item.replace(exp.alias_(item.copy(), item.name))
    for node in list(select.find_all(exp.Column)):
        if node.table == inner:
            node.replace(exp.column(f"__ara_{inner}_{node.name}", table=outer, quoted=True))
    select.set("joins", None)
    select.set("from_", exp.From(this=derived.subquery(exp.to_identifier(outer))))


def rewrite_tree(tree: Any) -> str:
    """A parsed Athena statement as DuckDB SQL (the ports swapped in)."""
    for select in list(tree.find_all(exp.Select)):
        _unnest_in_select_list(select)
    # transform() does not revisit the nodes it builds (a port's arguments): repeat to a
    # fixpoint, one level of nested ports per pass (a || b || c … is a chain of them)
    after = tree.sql(dialect="athena")
    for _ in range(1000):
        before = after
        tree = tree.transform(_rewrite)
        after = tree.sql(dialect="athena")
        if after == before:
            break
    else:
        raise EmulationError("the statement's rewrite did not settle")
    for join in tree.find_all(exp.Join):
        if isinstance(join.this, exp.Lateral):
            join.set("kind", None)  # CROSS JOIN LATERAL (...) -> , LATERAL (...)
    return str(tree.sql(dialect="duckdb"))


def to_duckdb(sql: str) -> str:
    """One Athena statement (a compiled model, data test or runbook query) as DuckDB SQL."""
    statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    if len(statements) != 1:
        raise EmulationError(f"expected one statement, got {len(statements)}")
    return rewrite_tree(statements[0])
