"""The Trino functions the local endpoint executes, and the check that a query uses no other.

A function not listed here fails the query with its name (NOT_SUPPORTED), even when DuckDB has
a function of that name: DuckDB's may differ from Trino's (docs/athena-parity.md). Each name was
checked to transpile to a DuckDB function with Trino's result on the types this project uses,
or is one of the ports in :mod:`._trino`.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["SUPPORTED_FUNCTIONS", "function_name", "unsupported_function"]

SUPPORTED_FUNCTIONS = frozenset(
    {
        # aggregates
        "count",
        "count_if",
        "sum",
        "min",
        "max",
        "avg",
        "array_agg",
        "bool_and",
        "bool_or",
        "arbitrary",
        "any_value",
        # conditionals, casts
        "coalesce",
        "if",
        "nullif",
        "case",
        "cast",
        "try_cast",
        "try",
        "greatest",
        "least",
        # strings
        "concat",
        "length",
        "lower",
        "upper",
        "trim",
        "ltrim",
        "rtrim",
        "substr",
        "substring",
        "replace",
        "strpos",
        "split",
        "starts_with",
        "reverse",
        "lpad",
        "rpad",
        "regexp_like",
        "regexp_extract",
        "regexp_replace",
        # numbers
        "abs",
        "round",
        "floor",
        "ceil",
        "ceiling",
        "sqrt",
        "power",
        "pow",
        "ln",
        "exp",
        "mod",
        "sign",
        "is_nan",
        "is_finite",
        "is_infinite",
        "nan",
        "infinity",
        # dates and times
        "current_date",
        "current_timestamp",
        "now",
        "date",
        "date_add",
        "date_diff",
        "date_trunc",
        "date_format",
        "from_iso8601_timestamp",
        "from_iso8601_date",
        "to_unixtime",
        "from_unixtime",
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "extract",
        "at_timezone",
        "with_timezone",
        # arrays and maps
        "array",
        "cardinality",
        "element_at",
        "array_sort",
        "array_join",
        "array_distinct",
        "contains",
        "sequence",
        "slice",
        "reduce",
        "transform",
        "filter",
        "map",
        "map_keys",
        "map_values",
        "map_from_entries",
        "unnest",
        "flatten",
        "array_position",
        # JSON (ports of Trino's code: exporter/athena/local/_trino.py)
        "json_extract_scalar",
        "json_extract",
        "json_format",
        "json_parse",
        # hashing
        "to_hex",
        "md5",
        "sha256",
        "to_utf8",
        # window functions
        "row_number",
        "rank",
        "dense_rank",
        "lag",
        "lead",
        "first_value",
        "last_value",
    }
)

#: sqlglot expression classes that are syntax, not a function call Athena resolves by name
_SYNTAX = (
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.Unnest,
    exp.Lambda,
    exp.Array,
    exp.Struct,
    exp.Anonymous,
    exp.Extract,
    exp.Explode,
    exp.Paren,
    exp.Window,
    exp.Filter,
    exp.Bracket,
    exp.Coalesce,
    exp.Exists,
    exp.Subquery,
)
#: sqlglot names that differ from the Trino spelling
_ALIASES = {
    "array_size": "cardinality",
    "sort_array": "array_sort",
    "array_to_string": "array_join",
    "array_contains": "contains",
    "array_join": "array_join",
    "array_unique_agg": "array_agg",
    "str_position": "strpos",
    "split": "split",
    "stddev": "stddev",
    "count_if": "count_if",
    "ts_or_ds_to_date": "date",
    "time_str_to_time": "from_iso8601_timestamp",
    "json_extract_scalar": "json_extract_scalar",
    "parse_json": "json_parse",
    "json_format": "json_format",
    "regexp_extract": "regexp_extract",
    "regexp_like": "regexp_like",
    "current_timestamp": "current_timestamp",
    "date_add": "date_add",
    "date_diff": "date_diff",
    "timestamp_trunc": "date_trunc",
    "date_trunc": "date_trunc",
    "time_to_str": "date_format",
    "unix_to_time": "from_unixtime",
    "time_to_unix": "to_unixtime",
    "var_map": "map",
    "map_from_arrays": "map",
    "approx_quantile": "approx_percentile",
    "array_filter": "filter",
    "substring": "substr",
    "struct_extract": "element_at",
    "generate_series": "sequence",
    "generate_date_array": "sequence",
}


def function_name(node: exp.Func) -> str:
    """A function call's name as the Trino user wrote it (lower case)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    name = str(node.sql_name()).lower()
    return _ALIASES.get(name, name)


def unsupported_function(tree: exp.Expression) -> str | None:
    """The first function call in the tree the endpoint does not execute, or None."""
    for node in tree.find_all(exp.Func):
        if isinstance(node, _SYNTAX) and not isinstance(node, exp.Anonymous):
            continue
        if isinstance(node, exp.Binary | exp.Unary | exp.Connector):
            continue  # operators (and, =, like, not …), not calls by name
        name = function_name(node)
        if name not in SUPPORTED_FUNCTIONS:
            return name
    return None
