"""DuckDB macros (and the date/time UDFs of :mod:`._datetime`) giving Trino's answers where
DuckDB's built-ins differ: the names the transpiler (:mod:`._rewrite`) emits, ``trino_*``.

The macros here are untyped (one body for any argument, a ``typeof`` test where the type
matters); those whose result type follows their arguments' are in :mod:`._overloads`. A Trino
error is raised with ``error('[trino:<NAME>] …')`` (:mod:`._errors`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import duckdb
from duckdb.sqltypes import BIGINT, TIMESTAMP, VARCHAR

from ._datetime import (
    format_timestamp,
    joda_format,
    months_between,
    mysql_format,
    parse_timestamp,
    years_between,
)
from ._errors import error_sql
from ._overloads import overload_macros
from ._types import trino_type_name

__all__ = ["register_macros"]

_INVALID = "INVALID_FUNCTION_ARGUMENT"
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")


def _err(message_sql: str, code: str = _INVALID) -> str:
    return error_sql(code, message_sql)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ARRAYS = [
    # element_at(array, 0) fails; out of bounds is null; a map's missing key is null
    "CREATE OR REPLACE MACRO trino_element_at(c, i) AS CASE "
    "WHEN typeof(c) LIKE '%[]' AND CAST(i AS VARCHAR) = '0' THEN "
    + _err(_lit("SQL array indices start at 1"))
    + " ELSE c[i] END",
    # array[i]: Trino's ArraySubscriptOperator checks (a map's subscript: its value or null)
    "CREATE OR REPLACE MACRO trino_subscript(c, i) AS CASE "
    "WHEN c IS NULL OR i IS NULL THEN NULL "
    "WHEN typeof(c) NOT LIKE '%[]' THEN c[i] "
    "WHEN CAST(i AS VARCHAR) = '0' THEN "
    + _err(_lit("SQL array indices start at 1"))
    + " WHEN TRY_CAST(CAST(i AS VARCHAR) AS BIGINT) < 0 THEN "
    + _err("'Array subscript is negative: ' || CAST(i AS VARCHAR)")
    + " WHEN TRY_CAST(CAST(i AS VARCHAR) AS BIGINT) > cardinality(c) THEN "
    + _err(
        "'Array subscript must be less than or equal to array length: ' || CAST(i AS VARCHAR) "
        "|| ' > ' || CAST(cardinality(c) AS VARCHAR)"
    )
    + " ELSE c[i] END",
    # contains: null when not found and the array holds a null (Trino's ArrayContains)
    "CREATE OR REPLACE MACRO trino_contains(a, e) AS CASE "
    "WHEN a IS NULL OR e IS NULL THEN NULL WHEN list_contains(a, e) THEN true "
    "WHEN list_contains(list_transform(a, lambda v: v IS NULL), true) THEN NULL ELSE false END",
    # slice(array, start, length): Trino's ArraySliceFunction
    "CREATE OR REPLACE MACRO trino_slice(x, s, n) AS CASE "
    "WHEN x IS NULL OR s IS NULL OR n IS NULL THEN NULL "
    "WHEN n < 0 THEN " + _err(_lit("length must be greater than or equal to 0")) + " "
    "WHEN s = 0 THEN " + _err(_lit("SQL array indices start at 1")) + " "
    "WHEN s < 0 AND len(x) + s + 1 < 1 THEN list_slice(x, 1, 0) "
    "WHEN s < 0 THEN list_slice(x, len(x) + s + 1, len(x) + s + n) "
    "ELSE list_slice(x, s, s + n - 1) END",
]

_STRINGS = [
    # substr/substring: Trino's StringFunctions.substring (start 0 or before the start: '')
    "CREATE OR REPLACE MACRO trino_substr(s, st) AS CASE "
    "WHEN s IS NULL OR st IS NULL THEN NULL WHEN st = 0 OR st < -length(s) THEN '' "
    "ELSE substring(s, st) END, "
    "(s, st, n) AS CASE WHEN s IS NULL OR st IS NULL OR n IS NULL THEN NULL "
    "WHEN st = 0 OR n <= 0 OR st < -length(s) THEN '' ELSE substring(s, st, n) END",
    # split_part: index from 1, beyond the parts null
    "CREATE OR REPLACE MACRO trino_split_part(s, d, i) AS CASE "
    "WHEN s IS NULL OR d IS NULL OR i IS NULL THEN NULL "
    "WHEN i <= 0 THEN " + _err(_lit("Index must be greater than zero")) + " "
    "WHEN i > len(string_split(s, d)) THEN NULL ELSE string_split(s, d)[i] END",
]

_NUMBERS = [
    # round(decimal, n) keeps the scale (Trino: decimal(p + 1, s)); other types as DuckDB's
    "CREATE OR REPLACE MACRO trino_round(x, d) AS CASE WHEN typeof(x) LIKE 'DECIMAL%' "
    "THEN x - x + round(x, d) ELSE round(x, d) END",
    # sum of integers: bigint (DuckDB: hugeint), overflowing as Trino's; of any other type
    # DuckDB's sum (decimal(38, s), double, real). One overload per input type (a DECIMAL is no
    # integer's implicit cast: it takes the untyped overload). A typed overload cannot take an
    # aggregate as its argument (DuckDB binds it before the aggregate's type is known), so
    # trino_sum_result(sum(x) [FILTER …] [OVER …], x) dispatches on the summed value x; its
    # body does not read x.
    "CREATE OR REPLACE MACRO trino_checked_bigint(x) AS CASE "
    "WHEN x > 9223372036854775807 OR x < -9223372036854775808 THEN "
    + _err(_lit("bigint addition overflow"), "NUMERIC_VALUE_OUT_OF_RANGE")
    + " ELSE CAST(x AS BIGINT) END",
    "CREATE OR REPLACE MACRO trino_sum_result"
    + ", ".join(f"(r, x {t}) AS trino_checked_bigint(r)" for t in _INTEGERS)
    + ", (r, x) AS r",
    # approx_percentile over the sorted non-null values (docs/athena-parity.md, "Functions"):
    # the value at 0-based position min(floor(p * n), n - 1); bigint for integers (Trino's
    # q-digest), double for decimals and doubles, real for reals
    "CREATE OR REPLACE MACRO trino_percentile_at(l, p) AS CASE WHEN p IS NULL THEN NULL "
    "WHEN p < 0 OR p > 1 THEN " + _err(_lit("Percentile must be between 0 and 1")) + " "
    "WHEN len(l) = 0 THEN NULL "
    "ELSE l[least(CAST(floor(p * len(l)) AS BIGINT), len(l) - 1) + 1] END",
    "CREATE OR REPLACE MACRO trino_approx_percentile"
    + ", ".join(
        f"(x {t}, p) AS trino_percentile_at(list_sort(list(CAST(x AS {cast}))"
        " FILTER (WHERE x IS NOT NULL)), p)"
        for t, cast in (
            *((i, "BIGINT") for i in _INTEGERS),
            ("FLOAT", "FLOAT"),
            ("DOUBLE", "DOUBLE"),
        )
    ),
]

_DATETIME = [
    "CREATE OR REPLACE MACRO trino_date_format(x, f) AS "
    "trino_format_mysql(CAST(x AS TIMESTAMP), f)",
    "CREATE OR REPLACE MACRO trino_format_datetime(x, f) AS "
    "trino_format_joda(CAST(x AS TIMESTAMP), f)",
    "CREATE OR REPLACE MACRO trino_parse_datetime(s, f) AS "
    "CAST(trino_parse_joda(s, f) AS TIMESTAMPTZ)",
    "CREATE OR REPLACE MACRO trino_typeof(x) AS trino_type_name(typeof(x))",
]


def _null_in_null_out(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return wrapped


@functools.lru_cache(maxsize=256)
def _mysql(pattern: str) -> Any:
    return mysql_format(pattern)


@functools.lru_cache(maxsize=256)
def _joda(pattern: str) -> Any:
    return joda_format(pattern)


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The date/time UDFs and every macro, on one connection."""

    def udf(name: str, fn: Callable[..., Any], params: list[Any], result: Any) -> None:
        con.create_function(  # type: ignore[call-overload]
            name, _null_in_null_out(fn), params, result, null_handling="special"
        )

    udf("trino_months_between", months_between, [TIMESTAMP, TIMESTAMP], BIGINT)
    udf("trino_years_between", years_between, [TIMESTAMP, TIMESTAMP], BIGINT)
    udf(
        "trino_format_mysql",
        lambda value, f: format_timestamp(_mysql(f), value),
        [TIMESTAMP, VARCHAR],
        VARCHAR,
    )
    udf(
        "trino_date_parse",
        lambda s, f: parse_timestamp(_mysql(f), s),
        [VARCHAR, VARCHAR],
        TIMESTAMP,
    )
    udf(
        "trino_format_joda",
        lambda value, f: format_timestamp(_joda(f), value),
        [TIMESTAMP, VARCHAR],
        VARCHAR,
    )
    udf(
        "trino_parse_joda", lambda s, f: parse_timestamp(_joda(f), s), [VARCHAR, VARCHAR], TIMESTAMP
    )
    udf("trino_type_name", trino_type_name, [VARCHAR], VARCHAR)
    for statement in (*overload_macros(), *_DATETIME, *_ARRAYS, *_STRINGS, *_NUMBERS):
        con.execute(statement)
