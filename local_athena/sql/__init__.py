"""Trino SQL as DuckDB SQL: the transpiler (``_transpile``, its function ports in
``_rewrite``), the functions the endpoint executes and refuses by the names as written
(``_functions``), and the ports of the Trino functions whose semantics differ from DuckDB's
(``_trino`` JSON and casts, ``_macros`` and ``_overloads`` DuckDB macros, ``_datetime`` date/time
formats, ``_types`` type names, ``_errors`` Trino's error names)."""

from ._functions import SUPPORTED_FUNCTIONS
from ._transpile import rewrite_tree, to_duckdb
from ._trino import java_double_to_string, register

__all__ = ["SUPPORTED_FUNCTIONS", "java_double_to_string", "register", "rewrite_tree", "to_duckdb"]
