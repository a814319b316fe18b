"""A local Athena endpoint: S3 and Glue from moto, the Athena query API executed here.

* ``_server`` — :class:`LocalAthena`, one port on 127.0.0.1 (``ara athena local``, or in-process
  for tests as a context manager);
* ``engine`` — executes one statement (SELECT, DDL, CTAS, INSERT INTO, MERGE, …) over the
  Glue catalog and the objects in S3, one module per family of statements;
* ``_iceberg`` — the Iceberg tables' metadata model (all-or-nothing commits);
* ``_catalog`` — Glue/S3 access and Athena's type names (the state, as moto's models);
* ``sql`` — Trino SQL as DuckDB SQL: the functions it executes, ports of the Trino functions
  whose semantics differ from DuckDB's;
* ``errors`` — :class:`AthenaQueryError` (a FAILED statement) and :class:`EmulationError`.

A package of its own, next to ``exporter``: the worker's Lambda zip carries ``exporter`` without
it (tests/test_lambda_package.py).

What it supports and how it differs from Athena: docs/athena-parity.md.
"""

from ._server import ENV_FAIL, TEST_CREDENTIALS, Execution, LocalAthena
from .engine import MAX_OPEN_WRITERS, statement_kind
from .errors import AthenaQueryError, EmulationError
from .sql import SUPPORTED_FUNCTIONS, to_duckdb

__all__ = [
    "ENV_FAIL",
    "MAX_OPEN_WRITERS",
    "SUPPORTED_FUNCTIONS",
    "TEST_CREDENTIALS",
    "AthenaQueryError",
    "EmulationError",
    "Execution",
    "LocalAthena",
    "statement_kind",
    "to_duckdb",
]
