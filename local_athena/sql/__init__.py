"""Trino SQL as DuckDB SQL: the transpiler (``_transpile``), the functions the endpoint executes
and refuses by the names as written (``_functions``), and ports of the Trino functions whose
semantics differ from DuckDB's (``_trino``)."""

from ._functions import SUPPORTED_FUNCTIONS
from ._transpile import rewrite_tree, to_duckdb
from ._trino import java_double_to_string, register

__all__ = ["SUPPORTED_FUNCTIONS", "java_double_to_string", "register", "rewrite_tree", "to_duckdb"]
