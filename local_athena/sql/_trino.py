"""Trino functions whose semantics differ from DuckDB's, ported to Python from Trino's source
(io.trino.operator.scalar.JsonExtract / JsonPathTokenizer / JsonFunctions, the VARCHAR cast
operators) and from Jackson's and Java's documented output, and registered on a DuckDB
connection as UDFs and macros.

A Trino ``json`` value is represented as DuckDB's JSON type holding the text Trino would hold:
Jackson's serialisation (numbers re-serialised: a float by Java's ``Double.toString``, 1e-07 ->
1.0E-7); its result column is Trino's ``json``. :func:`register` also registers the macros of
:mod:`._macros` and :mod:`._overloads`.
"""

from __future__ import annotations

import functools
import json
import math
import re
from decimal import Decimal
from typing import Any

import duckdb
from duckdb.sqltypes import BIGINT, BOOLEAN, DOUBLE, INTEGER, SMALLINT, TINYINT, VARCHAR

from ..errors import EmulationError
from ._errors import TrinoFunctionError
from ._macros import register_macros

__all__ = [
    "CAST_TYPES",
    "jackson_json",
    "java_double_to_string",
    "json_extract",
    "json_extract_scalar",
    "register",
]


class _Number(str):
    """A JSON number kept as its token text (the parser's getText())."""


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_Number, parse_int=_Number)


def java_double_to_string(value: float) -> str:
    """Java's Double.toString (JDK 19+, shortest decimal with at least two digits)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest(abs(value))
    # value = 0.d1d2... x 10^exponent; scientific exponent = exponent - 1
    sci = exponent - 1
    if 1e-3 <= abs(value) < 1e7:
        if exponent <= 0:
            return f"{sign}0.{'0' * -exponent}{digits}"
        whole = digits[:exponent].ljust(exponent, "0")
        fraction = digits[exponent:] or "0"
        return f"{sign}{whole}.{fraction}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{sci}"


def _shortest(value: float) -> tuple[str, int]:
    """Digits and exponent (value = 0.DIGITS x 10^exp) of the shortest round-trip decimal (the
    digits of Python's repr); a one-digit result becomes the closest two-digit decimal that
    still round-trips, as JDK 19+ does (5e-324 -> 4.9E-324)."""
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:e([+-]\d+))?", repr(value))
    assert m, repr(value)
    whole, fraction, e = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    every = whole + fraction
    leading = len(every) - len(every.lstrip("0"))
    digits, point = every.strip("0"), len(whole) + e - leading
    if len(digits) == 1:
        two = f"{Decimal(value):.1e}"  # the closest two-significant-digit decimal
        if two[2] != "0" and float(two) == value:
            return two[0] + two[2], int(two.partition("e")[2]) + 1
    return digits, point


def _jackson_string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20:
            short = {8: "b", 9: "t", 10: "n", 12: "f", 13: "r"}.get(code)
            out.append("\\" + short if short else f"\\u{code:04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def jackson_json(value: Any) -> str:
    """Jackson's compact text of a parsed value (copyCurrentStructure: key order kept)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, _Number):
        if re.fullmatch(r"-?\d+", value):
            return str(value)  # integers keep their digits (int, long, BigInteger)
        return java_double_to_string(float(value))
    if isinstance(value, str):
        return _jackson_string(value)
    if isinstance(value, list):
        return "[" + ",".join(jackson_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{_jackson_string(k)}:{jackson_json(v)}" for k, v in value.items())
            + "}"
        )
    raise TypeError(type(value))


def _path_tokens(path: str) -> list[str]:
    """Trino's JsonPathTokenizer: $, .name, ["quoted \\" name"], [name-or-index]."""
    if not path.startswith("$"):
        raise EmulationError(f"Invalid JSON path: '{path}'")
    tokens: list[str] = []
    i = 1
    while i < len(path):
        if path[i] == ".":
            m = re.compile(r"[\w:]+").match(path, i + 1)
            if not m:
                raise EmulationError(f"Invalid JSON path: '{path}'")
            tokens.append(m.group(0))
            i = m.end()
        elif path[i] == "[":
            if path.startswith('["', i):
                j, token = i + 2, []
                while j < len(path) and path[j] != '"':
                    if path[j] == "\\":
                        if j + 1 >= len(path) or path[j + 1] not in '"\\':
                            raise EmulationError(f"Invalid JSON path: '{path}'")
                        j += 1
                    token.append(path[j])
                    j += 1
                if not path.startswith('"]', j):
                    raise EmulationError(f"Invalid JSON path: '{path}'")
                tokens.append("".join(token))
                i = j + 2
            else:
                m = re.compile(r"\w+\]").match(path, i + 1)
                if not m:
                    raise EmulationError(f"Invalid JSON path: '{path}'")
                tokens.append(m.group(0)[:-1])
                i = m.end()
        else:
            raise EmulationError(f"Invalid JSON path: '{path}'")
    return tokens


_MISSING = object()


def _walk(text: str, path: str) -> Any:
    try:
        value = _loads(text)
    except ValueError:
        return _MISSING  # Trino: a parse failure gives null
    for token in _path_tokens(path):
        if isinstance(value, dict):
            value = value.get(token, _MISSING)
        elif isinstance(value, list) and re.fullmatch(r"\d+", token):
            value = value[int(token)] if int(token) < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def json_extract_scalar(text: str, path: str) -> str | None:
    """ScalarValueJsonExtractor: a scalar's token text (getText), null for null/array/object."""
    value = _walk(text, path)
    if value is _MISSING or value is None or isinstance(value, list | dict):
        return None
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def json_extract(text: str, path: str) -> str | None:
    """JsonValueJsonExtractor: the value re-serialised by Jackson (a Trino json value)."""
    value = _walk(text, path)
    return None if value is _MISSING else jackson_json(value)


def json_parse(text: str) -> str:
    """json_parse: the value as Trino's json (Jackson text); invalid JSON is an error."""
    try:
        return jackson_json(_loads(text))
    except ValueError:
        raise ValueError(f"Cannot convert value to JSON: '{text}'") from None


def json_to_map(text: str) -> dict[str, str]:
    """CAST(json AS map(varchar, json)): the object's entries, values as Trino json text."""
    value = _loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"Cannot cast to map(varchar, json). Expected a json object: {text}")
    return {k: jackson_json(v) for k, v in value.items()}


def json_quote(text: str) -> str:
    """CAST(varchar AS json): a JSON string holding the text (Jackson's escapes)."""
    return jackson_json(text)


def json_normalize(text: str) -> str:
    """CAST(<number, boolean, array, map, row> AS json): DuckDB's to_json text, re-serialised as
    Trino's Jackson writes it (a double by Java's Double.toString)."""
    return jackson_json(_loads(text))


def json_to_varchar(text: str) -> str | None:
    """CAST(json AS varchar), Trino's JsonUtil.currentTokenAsVarchar: a string's text, an
    integer's digits, true/false; null is null; an array or object fails. A floating-point
    number, which Trino writes as CAST(double AS varchar), is not emulated."""
    value = _loads(text)
    if value is None:
        return None
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, _Number):
        if re.fullmatch(r"-?\d+", value):
            return str(value)
        raise TrinoFunctionError(
            "NOT_SUPPORTED",
            "CAST(json AS varchar) of a floating-point number is not emulated by the local "
            "endpoint",
        )
    if isinstance(value, str):
        return value
    raise TrinoFunctionError("INVALID_CAST_ARGUMENT", f"Cannot cast '{text}' to VARCHAR")


# VARCHAR -> type casts (Trino's VarcharOperators): strict, an error for any other text.
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")


def _to_integral(name: str, bits: int) -> Any:
    """Java's Long/Integer/Short/Byte.parseX: an optional sign and digits, in range."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", text) or not -(2 ** (bits - 1)) <= int(text) < 2 ** (
            bits - 1
        ):
            raise ValueError(f"Cannot cast '{text}' to {name}")
        return int(text)

    return parse


def _to_double(text: str) -> float:
    stripped = text.strip(" \t\n\r\f\v\x00")  # Double.parseDouble trims chars <= ' '
    if not _JAVA_DOUBLE.fullmatch(stripped):
        raise ValueError(f"Cannot cast '{text}' to DOUBLE")
    return float(stripped.rstrip("fFdD").replace("Infinity", "inf"))


def _to_boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "t", "1"):
        return True
    if lowered in ("false", "f", "0"):
        return False
    raise ValueError(f"Cannot cast '{text}' to BOOLEAN")


def _try(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapped(text: str) -> Any:
        try:
            return fn(text)
        except ValueError:
            return None

    return wrapped


#: DuckDB type -> (Trino's VARCHAR parser, DuckDB result type); Trino's error names the type
#: as its VarcharOperators do (INTEGER as INT)
CAST_TYPES = {
    "BIGINT": (_to_integral("BIGINT", 64), BIGINT),
    "INTEGER": (_to_integral("INT", 32), INTEGER),
    "SMALLINT": (_to_integral("SMALLINT", 16), SMALLINT),
    "TINYINT": (_to_integral("TINYINT", 8), TINYINT),
    "DOUBLE": (_to_double, DOUBLE),
    "BOOLEAN": (_to_boolean, BOOLEAN),
}
_INTEGRAL = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT")


def _null_in_null_out(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return wrapped


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Every port, as the names the transpiler (:func:`to_duckdb`) emits."""

    def udf(name: str, fn: Any, params: list[Any], result: Any) -> None:
        con.create_function(  # type: ignore[call-overload]
            name, _null_in_null_out(fn), params, result, null_handling="special"
        )

    udf("trino_json_extract_scalar", json_extract_scalar, [VARCHAR, VARCHAR], VARCHAR)
    udf("trino_json_extract_text", json_extract, [VARCHAR, VARCHAR], VARCHAR)
    udf("trino_json_parse_text", json_parse, [VARCHAR], VARCHAR)
    udf("trino_json_to_map_text", json_to_map, [VARCHAR], con.map_type(VARCHAR, VARCHAR))
    udf("trino_json_quote", json_quote, [VARCHAR], VARCHAR)
    udf("trino_json_normalize", json_normalize, [VARCHAR], VARCHAR)
    udf("trino_json_to_varchar", json_to_varchar, [VARCHAR], VARCHAR)
    # a Trino json value is DuckDB's JSON type holding the text Trino would hold
    for statement in (
        "trino_json_parse(x) AS CAST(trino_json_parse_text(x) AS JSON)",
        "trino_json_extract(x, p) AS CAST(trino_json_extract_text(x, p) AS JSON)",
        "trino_json_format(x) AS CAST(x AS VARCHAR)",
        "trino_json_to_map(x) AS CAST(trino_json_to_map_text(x) AS MAP(VARCHAR, JSON))",
        "trino_to_json(x) AS CASE WHEN x IS NULL THEN NULL "
        "WHEN typeof(x) = 'JSON' THEN CAST(x AS JSON) "
        "WHEN typeof(x) = 'VARCHAR' THEN CAST(trino_json_quote(CAST(x AS VARCHAR)) AS JSON) "
        "ELSE CAST(trino_json_normalize(CAST(to_json(x) AS VARCHAR)) AS JSON) END",
        "trino_cast_varchar(x) AS CASE WHEN typeof(x) = 'JSON' "
        "THEN trino_json_to_varchar(CAST(x AS VARCHAR)) ELSE CAST(x AS VARCHAR) END",
    ):
        con.execute(f"CREATE OR REPLACE MACRO {statement}")
    for name, (fn, sql_type) in CAST_TYPES.items():
        lower = name.lower()
        udf(f"trino_varchar_to_{lower}", fn, [VARCHAR], sql_type)
        udf(f"trino_try_varchar_to_{lower}", _try(fn), [VARCHAR], sql_type)
        # a cast from VARCHAR follows Trino's parser; a double or real to an integer rounds
        # half away from zero (Trino's DoubleOperators: DoubleMath.roundToLong(x, HALF_UP));
        # from any other type DuckDB's cast, which agrees with Trino for the numeric types
        for prefix, cast in (("", "CAST"), ("try_", "TRY_CAST")):
            rounded = (
                f"WHEN typeof(x) IN ('DOUBLE', 'FLOAT') "
                f"THEN {cast}(round(TRY_CAST(x AS DOUBLE)) AS {name}) "
                if name in _INTEGRAL
                else ""
            )
            # a Python UDF cannot return NaN (DuckDB reads it as null): NaN is parsed here
            nan = (
                "WHEN typeof(x) = 'VARCHAR' AND regexp_full_match(CAST(x AS VARCHAR), "
                "'[\\x00- ]*[+-]?NaN[\\x00- ]*') THEN CAST('NaN' AS DOUBLE) "
                if name == "DOUBLE"
                else ""
            )
            con.execute(
                f"CREATE OR REPLACE MACRO trino_{prefix}cast_{lower}(x) AS CASE {nan}"
                f"WHEN typeof(x) = 'VARCHAR' "
                f"THEN trino_{prefix}varchar_to_{lower}(CAST(x AS VARCHAR)) "
                f"{rounded}ELSE {cast}(x AS {name}) END"
            )
    register_macros(con)
