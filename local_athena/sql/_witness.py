"""Calls of the overloaded ports (:mod:`._overloads`) on arguments holding aggregates or window
functions: DuckDB cannot pick a typed overload for ``max(d)``, so the call becomes the witness
form, each typed argument followed by a *witness* of its type without aggregates (``d`` for
``max(d)``, ``CAST(NULL AS BIGINT)`` for ``count(*)``), which only selects the overload."""

from __future__ import annotations

from typing import cast

from sqlglot import exp

from ..errors import EmulationError
from ._overloads import OVERLOADED

__all__ = ["has_aggregate", "overloaded_call"]

#: the macros (emitted by the ports) holding an aggregate of their argument
_AGGREGATING = frozenset({"trino_sum_result", "trino_approx_percentile"})


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _typed_null(kind: str) -> exp.Expression:
    return exp.cast(exp.Null(), kind)


def _aggregating(node: exp.Expression) -> bool:
    if isinstance(node, exp.AggFunc | exp.Window):
        return True
    return isinstance(node, exp.Anonymous) and str(node.name).lower() in _AGGREGATING


def has_aggregate(node: exp.Expression) -> bool:
    """Does the expression hold an aggregate or a window function (not in a subquery)?"""
    for sub in node.walk(prune=lambda n: isinstance(n, exp.Subquery | exp.Select)):
        if isinstance(sub, exp.Subquery | exp.Select):
            continue
        if _aggregating(cast(exp.Expression, sub)):
            return True
    return False


_BIGINT = (
    exp.Count,
    exp.CountIf,
    exp.ApproxDistinct,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.Ntile,
)
_DOUBLE = (
    exp.Avg,
    exp.Stddev,
    exp.StddevPop,
    exp.StddevSamp,
    exp.Variance,
    exp.VariancePop,
    exp.Corr,
    exp.CovarPop,
    exp.CovarSamp,
    exp.PercentRank,
    exp.CumeDist,
)
#: aggregates (and window functions) of the type of their first argument
_SAME = (
    exp.Max,
    exp.Min,
    exp.AnyValue,
    exp.ArgMax,
    exp.ArgMin,
    exp.FirstValue,
    exp.LastValue,
    exp.NthValue,
    exp.Lag,
    exp.Lead,
    exp.First,
    exp.Last,
)


def _stand_in(node: exp.Expression) -> exp.Expression:
    """An aggregate-free expression of the aggregate's type."""
    if isinstance(node, exp.Window | exp.Filter):
        return _stand_in(cast(exp.Expression, node.this))
    value = node.this
    if isinstance(value, exp.Distinct):
        value = value.expressions[0]
    if isinstance(node, exp.Anonymous):
        name, args = str(node.name).lower(), node.expressions
        if name == "trino_sum_result":
            return _call("trino_sum_witness", witness(args[1]))
        if name == "trino_approx_percentile":
            return _call("trino_percentile_witness", witness(args[0]))
    if isinstance(node, _BIGINT):
        return _typed_null("BIGINT")
    if isinstance(node, _DOUBLE):
        return _typed_null("DOUBLE")
    if isinstance(node, exp.LogicalOr | exp.LogicalAnd):
        return _typed_null("BOOLEAN")
    if isinstance(node, exp.GroupConcat):
        return _typed_null("VARCHAR")
    if isinstance(node, exp.Sum) and value is not None:
        return _call("trino_sum_witness", witness(value))
    if isinstance(node, exp.ArrayAgg) and value is not None:
        return exp.Array(expressions=[witness(value)])
    if isinstance(node, _SAME) and value is not None:
        return witness(value)
    raise EmulationError(
        f"{node.sql(dialect='athena')} as the argument of a function whose result type follows "
        "its arguments' is not emulated"
    )


def witness(node: exp.Expression) -> exp.Expression:
    """The expression with each aggregate replaced by a stand-in of its type."""
    if not has_aggregate(node):
        return node.copy()

    def swap(sub: exp.Expression) -> exp.Expression:
        if isinstance(sub, exp.Subquery | exp.Select):
            return sub
        if _aggregating(sub) or (isinstance(sub, exp.Filter) and _aggregating(sub.this)):
            return _stand_in(sub)
        if isinstance(sub, exp.Anonymous) and str(sub.name).lower().endswith("_w"):
            return _typed_form(sub)
        return sub

    return node.copy().transform(swap)


def _typed_form(node: exp.Expression) -> exp.Expression:
    """``m_w(values…, witnesses…)`` as ``m(…)`` over the witnesses (and the other arguments'
    witnesses): a witness of the call itself."""
    name = str(node.name).lower()[:-2]
    positions = OVERLOADED[name]
    args = list(node.expressions)
    count = next(
        k for k in range(len(args), -1, -1) if k + sum(1 for p in positions if p < k) == len(args)
    )
    values, witnesses = args[:count], args[count:]
    typed = [witness(v) for v in values]
    for position, value_witness in zip([p for p in positions if p < count], witnesses, strict=True):
        typed[position] = value_witness.copy()
    return _call(name, *typed)


def overloaded_call(name: str, *args: exp.Expression) -> exp.Expression:
    """``name(args)``, or its witness form when a typed argument holds an aggregate."""
    positions = [p for p in OVERLOADED[name] if p < len(args)]
    if not any(has_aggregate(args[p]) for p in positions):
        return _call(name, *args)
    return _call(f"{name}_w", *args, *(witness(args[p]) for p in positions))
