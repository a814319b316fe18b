"""A local Athena endpoint: S3 and Glue from moto, the Athena query API executed here.

* ``_server`` — :class:`LocalAthena`, one port on 127.0.0.1 (``ara athena local``, or in-process
  for tests as a context manager);
* ``_engine`` — executes one statement (SELECT, DDL, CTAS, INSERT INTO) over the Glue catalog
  and the Parquet objects in S3;
* ``_iceberg`` — the Iceberg tables' metadata model (all-or-nothing commits);
* ``_catalog`` — Glue/S3 access and Athena's type names; ``_functions`` — the Trino functions
  it executes; ``_transpile`` and ``_trino`` — Trino SQL as DuckDB SQL, with ports of the Trino
  functions whose semantics differ from DuckDB's.

What it supports and how it differs from Athena: docs/athena-parity.md.
"""

from ._catalog import AthenaQueryError
from ._engine import MAX_OPEN_WRITERS, statement_kind
from ._functions import SUPPORTED_FUNCTIONS
from ._server import ENV_FAIL, TEST_CREDENTIALS, Execution, LocalAthena
from ._transpile import EmulationError, to_duckdb

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
