"""The Trino functions, operators and literals whose DuckDB counterparts answer differently,
swapped for the ports of :mod:`._macros`, :mod:`._overloads` and :mod:`._datetime`
(:func:`port`, one node at a time, called by :func:`._transpile.rewrite_tree`; calls of the
overloaded macros through :func:`._witness.overloaded_call`).

sqlglot parses a Trino call into an expression type of its own (``date_diff`` into DateDiff,
its arguments reordered); each rule reads the arguments back in Trino's order. SQL a port cannot
follow raises :class:`EmulationError` (the statement fails NOT_SUPPORTED, naming the function as
Athena does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from sqlglot import exp
from sqlglot.dialects.presto import Presto

from ..errors import EmulationError
from ._witness import overloaded_call

__all__ = ["port"]


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _arg(node: exp.Expression, key: str) -> exp.Expression:
    return cast(exp.Expression, node.args[key])


def _unit(node: exp.Expression) -> exp.Expression:
    """A date/time unit as the text Trino's function reads (``'day'``)."""
    unit = node.args.get("unit")
    if isinstance(unit, exp.Var | exp.Literal) and not isinstance(unit, exp.Column):
        return exp.Literal.string(str(unit.name).lower())
    if unit is None:
        raise EmulationError(f"{node.sql(dialect='athena')}: a date/time unit is required")
    return cast(exp.Expression, unit)


#: sqlglot's parser turns a literal MySQL-style format into Python's strftime codes (Presto's
#: TIME_MAPPING); each code read back, one at a time, as the Trino specifier it came from (%I
#: and %h, %S and %s are the same specifier; %r and %T come back as the codes they expand to).
#: sqlglot's own inverse mapping reads longest matches and leaves '%H:%M' as it is.
_MYSQL_OF_PYTHON = {python: trino for trino, python in Presto.TIME_MAPPING.items()}


def _mysql_format(fmt: exp.Expression) -> exp.Expression:
    """The MySQL-style format as written (%i minutes, %M month name …)."""
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        return fmt
    text = re.sub(r"%-?.", lambda m: _MYSQL_OF_PYTHON.get(m.group(0), m.group(0)), fmt.name)
    return exp.Literal.string(text)


def _numeric_literal(node: exp.Expression | None) -> bool:
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal) and not node.is_string


def _nonzero_literal(node: exp.Expression) -> bool:
    inner: exp.Expression = node
    while isinstance(inner, exp.Paren | exp.Neg):
        inner = inner.this
    return _numeric_literal(inner) and float(inner.name) != 0


# --- date and time ----------------------------------------------------------------------------


def _date_add(node: exp.Expression) -> exp.Expression:
    return overloaded_call("trino_date_add", _unit(node), _arg(node, "expression"), node.this)


def _date_diff(node: exp.Expression) -> exp.Expression:
    return overloaded_call("trino_date_diff", _unit(node), _arg(node, "expression"), node.this)


def _date_trunc(node: exp.Expression) -> exp.Expression:
    return overloaded_call("trino_date_trunc", _unit(node), node.this)


def _date_parse(node: exp.Expression) -> exp.Expression:
    return _call("trino_date_parse", node.this, _mysql_format(_arg(node, "format")))


def _date_format(node: exp.Expression) -> exp.Expression:
    return _call("trino_date_format", node.this, _mysql_format(_arg(node, "format")))


def _parse_datetime(node: exp.Expression) -> exp.Expression:
    fmt = _arg(node, "format")
    if isinstance(fmt, exp.Literal) and re.search(r"[zZ]", re.sub(r"'[^']*'", "", fmt.name)):
        raise EmulationError(
            "parse_datetime with a time zone field is not emulated (the local endpoint holds "
            "timestamp with time zone values in UTC only)"
        )
    return _call("trino_parse_datetime", node.this, fmt)


def _from_unixtime(node: exp.Expression) -> exp.Expression:
    if any(node.args.get(k) is not None for k in ("zone", "hours", "minutes")):
        raise EmulationError(
            "from_unixtime with a time zone is not emulated (the local endpoint holds timestamp "
            "with time zone values in UTC only)"
        )
    return node


_STAMP = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(.*)$")
#: a zone that is UTC: its names, and a zero offset in each form Java's ZoneOffset reads
#: (+h, +hh, +hh:mm, +hhmm, +hh:mm:ss; dbt's microbatch filters send '…-0')
_UTC = re.compile(
    r"\s*(?:UTC|Z|GMT|UT|Etc/UTC|Etc/GMT|[+-]0{1,2}(?::?00(?::?00)?)?)\s*", re.IGNORECASE
)


def _literal_cast(node: exp.Cast) -> exp.Expression:
    """TIMESTAMP '… <zone>' (UTC only) and DECIMAL '1.2' (Trino: decimal(2,1))."""
    to = cast(exp.DataType, node.args["to"])
    value = node.this
    if not (isinstance(value, exp.Literal) and value.is_string):
        if to.this == exp.DataType.Type.DECIMAL and not to.expressions:
            node = node.copy()
            node.set("to", exp.DataType.build("DECIMAL(38, 0)"))  # Trino's DECIMAL
        return node
    text = value.name
    found = _STAMP.fullmatch(text)
    if to.this == exp.DataType.Type.TIMESTAMPTZ and found and found.group(1).strip():
        if not _UTC.fullmatch(found.group(1)):
            raise EmulationError(
                f"timestamp with time zone {text!r}: the local endpoint holds timestamp with time "
                "zone values in UTC only"
            )
        node = node.copy()  # DuckDB reads a zone name, not an offset: the same instant in UTC
        node.set("this", exp.Literal.string(text[: found.start(1)] + " UTC"))
        return node
    if to.this == exp.DataType.Type.DECIMAL and not to.expressions:
        m = re.fullmatch(r"\s*[+-]?(\d*)(?:\.(\d*))?\s*", text)
        if m and (m.group(1) or m.group(2)):
            scale = len(m.group(2) or "")
            precision = max(len(m.group(1).lstrip("0")) + scale, 1)
            node = node.copy()
            node.set("to", exp.DataType.build(f"DECIMAL({precision}, {scale})"))
    return node


def _in_utc(value: exp.Expression, zone: exp.Expression | None, name: str) -> exp.Expression:
    """at_timezone / with_timezone / AT TIME ZONE to UTC: a timestamp with time zone in UTC (the
    session zone); any other zone is refused, the endpoint holding such values in UTC only."""
    if isinstance(zone, exp.Literal) and zone.is_string and _UTC.fullmatch(zone.name):
        return exp.cast(value, "TIMESTAMPTZ")
    raise EmulationError(
        f"{name} to a time zone other than UTC is not emulated (the local endpoint holds "
        "timestamp with time zone values in UTC only)"
    )


# --- numbers, strings, arrays -----------------------------------------------------------------


def _random(node: exp.Expression) -> exp.Expression:
    low, high = node.this, node.args.get("lower")
    if low is None:
        return _call("random")
    return overloaded_call("trino_random", *([low] if high is None else [low, high]))


def _typeof(node: exp.Expression) -> exp.Expression:
    value = node.this
    if isinstance(value, exp.Literal) and value.is_string:  # Trino: varchar(<length>)
        return exp.Literal.string(f"varchar({len(value.name)})")
    if isinstance(value, exp.Null):
        return exp.Literal.string("unknown")
    if isinstance(value, exp.Cast):
        to = value.args["to"]
        if to.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR) and to.expressions:
            kind = "char" if to.this == exp.DataType.Type.CHAR else "varchar"
            return exp.Literal.string(f"{kind}({to.expressions[0].name})")
    return _call("trino_typeof", value)


def _summed(node: exp.Expression) -> exp.Expression | None:
    """The value a sum (as written, under a FILTER or OVER) adds up, or None."""
    inner = node.this if isinstance(node, exp.Window | exp.Filter) else node
    if isinstance(node, exp.Window) and isinstance(inner, exp.Filter):
        inner = inner.this
    if not isinstance(inner, exp.Sum):
        return None
    value = inner.this
    return cast(exp.Expression, value.expressions[0] if isinstance(value, exp.Distinct) else value)


def _sum(node: exp.Expression) -> exp.Expression:
    """sum(x) of integers is bigint on Trino (hugeint on DuckDB): trino_sum_result(<the sum with
    its FILTER and OVER>, x) narrows it, dispatching on x's type."""
    parent = node.parent
    if isinstance(parent, exp.Anonymous) and str(parent.name).lower() == "trino_sum_result":
        return node
    if isinstance(node, exp.Sum) and isinstance(parent, exp.Filter | exp.Window):
        return node  # the FILTER or window is wrapped
    if isinstance(node, exp.Filter) and isinstance(parent, exp.Window):
        return node
    value = _summed(node)
    return node if value is None else _call("trino_sum_result", node, value.copy())


def _approx_percentile(node: exp.Expression) -> exp.Expression:
    if node.args.get("weight") is not None or node.args.get("accuracy") is not None:
        raise EmulationError("approx_percentile with a weight or accuracy is not emulated")
    if isinstance(node.parent, exp.Window):
        raise EmulationError("approx_percentile as a window function is not emulated")
    value, quantile = node.this, _arg(node, "quantile")
    if isinstance(quantile, exp.Array):
        return exp.Array(
            expressions=[
                _call("trino_approx_percentile", value.copy(), p) for p in quantile.expressions
            ]
        )
    if isinstance(quantile, exp.Literal | exp.Neg | exp.Paren | exp.Column | exp.Cast):
        return _call("trino_approx_percentile", value, quantile)
    raise EmulationError("approx_percentile with a computed array of percentiles is not emulated")


def _concat(node: exp.Expression) -> exp.Expression:
    parts: list[exp.Expression] = list(node.expressions)
    out = parts[0]
    for part in parts[1:]:
        out = overloaded_call("trino_concat", out, part)
    return out


def _bracket(node: exp.Expression) -> exp.Expression:
    if len(node.expressions) != 1:
        return node
    (index,) = node.expressions
    if node.args.get("safe"):  # element_at(c, i): written 1-based
        return _call("trino_element_at", node.this, index)
    value = index.this if isinstance(index, exp.Neg) else index
    if isinstance(value, exp.Literal) and not value.is_string and value.is_int:
        # the parser keeps a literal subscript 0-based (sqlglot's index offset): x[0] is -1
        written = (-int(value.name) if isinstance(index, exp.Neg) else int(value.name)) + 1
        index = exp.Literal.number(written)
    return _call("trino_subscript", node.this, index)


def _slice(node: exp.Expression) -> exp.Expression:
    return _call("trino_slice", node.this, _arg(node, "start"), _arg(node, "end"))


def _sequence(node: exp.Expression) -> exp.Expression:
    args = [node.args.get(k) for k in ("start", "end", "step")]
    return overloaded_call("trino_sequence", *(a for a in args if a is not None))


def _substr(node: exp.Expression) -> exp.Expression:
    args = [node.this, node.args.get("start"), node.args.get("length")]
    return _call("trino_substr", *(a for a in args if a is not None))


def _strpos(node: exp.Expression) -> exp.Expression:
    if node.args.get("occurrence") is not None or node.args.get("position") is not None:
        raise EmulationError("strpos with an instance is not emulated")
    return node


def _listagg(node: exp.Expression) -> exp.Expression:
    if node.args.get("separator") is None:  # Trino's default separator is ''
        node = node.copy()
        node.set("separator", exp.Literal.string(""))
    return node


def _arith(name: str) -> Callable[[exp.Expression], exp.Expression]:
    def rule(node: exp.Expression) -> exp.Expression:
        left, right = node.this, node.args.get("expression")
        if _numeric_literal(left) or _numeric_literal(right):
            return node  # number arithmetic: DuckDB's operator
        return overloaded_call(name, left, cast(exp.Expression, right))

    return rule


def _divide(node: exp.Expression) -> exp.Expression:
    right = cast(exp.Expression, node.args.get("expression"))
    if _nonzero_literal(right):
        return node  # not a division by zero: DuckDB's operator (integers: integer_division)
    return overloaded_call("trino_divide", node.this, right)


def _round(node: exp.Expression) -> exp.Expression:
    decimals = node.args.get("decimals")
    if decimals is None:
        return node
    return _call("trino_round", node.this, decimals)


def _anonymous(node: exp.Expression) -> exp.Expression:
    name = str(node.name).lower()
    args = list(node.expressions)
    simple: dict[str, Callable[[], exp.Expression]] = {
        "millisecond": lambda: exp.Mod(
            this=_call("date_part", exp.Literal.string("millisecond"), *args),
            expression=exp.Literal.number(1000),
        ),
        "yow": lambda: _call("isoyear", *args),
        "to_milliseconds": lambda: _call("epoch_ms", *args),
        "is_finite": lambda: _call("isfinite", *args),
        "is_infinite": lambda: _call("isinf", *args),
        "infinity": lambda: exp.cast(exp.Literal.string("Infinity"), "DOUBLE"),
        "nan": lambda: exp.cast(exp.Literal.string("NaN"), "DOUBLE"),
        "e": lambda: _call("exp", exp.Literal.number(1)),
        "format_datetime": lambda: _call("trino_format_datetime", *args),
        "at_timezone": lambda: _in_utc(args[0], args[1], "at_timezone"),
        "with_timezone": lambda: _in_utc(args[0], args[1], "with_timezone"),
    }
    return simple[name]() if name in simple else node


_RULES: dict[type[exp.Expression], Callable[[exp.Expression], exp.Expression]] = {
    exp.DateAdd: _date_add,
    exp.DateDiff: _date_diff,
    exp.TimestampTrunc: _date_trunc,
    exp.DateTrunc: _date_trunc,
    exp.StrToTime: _date_parse,
    exp.TimeToStr: _date_format,
    exp.ParseDatetime: _parse_datetime,
    exp.UnixToTime: _from_unixtime,
    exp.CurrentTimezone: lambda node: exp.Literal.string("UTC"),
    exp.AtTimeZone: lambda node: _in_utc(node.this, node.args.get("zone"), "AT TIME ZONE"),
    exp.Rand: _random,
    exp.Typeof: _typeof,
    exp.ApproxDistinct: lambda node: exp.Count(this=exp.Distinct(expressions=[node.this])),
    exp.ApproxQuantile: _approx_percentile,
    exp.Concat: _concat,
    exp.DPipe: lambda node: overloaded_call("trino_concat", node.this, _arg(node, "expression")),
    exp.Bracket: _bracket,
    exp.ArraySize: lambda node: exp.cast(_call("cardinality", node.this), "BIGINT"),
    exp.ArrayContains: lambda node: _call("trino_contains", node.this, _arg(node, "expression")),
    exp.ArraySlice: _slice,
    exp.GenerateSeries: _sequence,
    exp.Substring: _substr,
    exp.SplitPart: lambda node: _call(
        "trino_split_part", node.this, _arg(node, "delimiter"), _arg(node, "part_index")
    ),
    exp.StrPosition: _strpos,
    exp.GroupConcat: _listagg,
    exp.Add: _arith("trino_add"),
    exp.Sub: _arith("trino_subtract"),
    exp.Div: _divide,
    exp.Round: _round,
    exp.Anonymous: _anonymous,
}


def port(node: exp.Expression) -> exp.Expression:
    """The node with Trino's semantics (itself when DuckDB's already are Trino's)."""
    if isinstance(node, exp.Sum | exp.Filter | exp.Window):
        return _sum(node)
    if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
        node = _literal_cast(node)
    rule = _RULES.get(type(node))
    return rule(node) if rule is not None else node
