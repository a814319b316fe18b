"""Executes one Athena statement against the endpoint's Glue catalog and S3 objects.

Split the way moto splits a service's models from its responses, one module per family of
statements, each a mixin of :class:`Engine` over :class:`._base.EngineBase` (the connection,
parsing, loading the tables a statement reads):

* ``_query`` — SELECT: transpiled Trino -> DuckDB (:mod:`..sql`) over the Parquet objects of
  the Glue tables they read (views expanded from their Presto view text);
* ``_ddl`` — databases, external tables, partitions, views, DROP, RENAME, SHOW;
* ``_write`` — CTAS and INSERT INTO in the Hive layout, registering the partitions written;
* ``_columns`` — ALTER TABLE ADD/REPLACE/CHANGE COLUMN(S), SHOW COLUMNS, DESCRIBE, EXPLAIN;
* ``_text_tables`` — CSV and text tables (OpenCSVSerde, LazySimpleSerDe: dbt-athena's seeds);
* ``_types`` — Trino's type rules, checked on the tree before a row is read;
* ``_iceberg_read``, ``_iceberg_write``, ``_iceberg_rows``, ``_iceberg_maintenance`` — Iceberg
  tables read, written (CTAS, INSERT, MERGE, DELETE, OPTIMIZE) and vacuumed with one
  compare-and-swap commit of Glue's metadata_location per statement.

Anything else raises :class:`AthenaQueryError` naming what is not supported: nothing succeeds
without having been executed.
"""

from ._base import MAX_OPEN_WRITERS, Outcome, render_value
from ._engine import Engine
from ._text import CATALOG, statement_kind

__all__ = ["CATALOG", "MAX_OPEN_WRITERS", "Engine", "Outcome", "render_value", "statement_kind"]
