"""The engine: one class made of the statement families, each statement kind to its handler."""

from __future__ import annotations

from collections.abc import Callable

from ._base import Outcome, _Context
from ._columns import ColumnStatements
from ._ddl import CatalogStatements
from ._iceberg_rows import IcebergRowChanges
from ._write import WriteStatements

__all__ = ["Engine"]


class Engine(CatalogStatements, ColumnStatements, WriteStatements, IcebergRowChanges):
    """Runs statements; one DuckDB connection per statement, the catalog in moto's Glue."""

    def _handlers(self) -> dict[str, Callable[[str, _Context], Outcome]]:
        return {
            "SELECT": self._select,
            "CREATE DATABASE": self._create_database,
            "CREATE SCHEMA": self._create_database,
            "DROP DATABASE": self._drop_database,
            "DROP SCHEMA": self._drop_database,
            "CREATE EXTERNAL TABLE": self._create_external_table,
            "CREATE TABLE AS SELECT": self._ctas,
            "CREATE VIEW": self._create_view,
            "DROP TABLE": self._drop,
            "DROP VIEW": self._drop,
            "ALTER TABLE ADD": self._add_partitions,
            "ALTER TABLE ADD COLUMNS": self._alter_columns,
            "ALTER TABLE REPLACE COLUMNS": self._alter_columns,
            "ALTER TABLE CHANGE COLUMN": self._alter_columns,
            "ALTER TABLE DROP COLUMN": self._alter_columns,
            "SHOW COLUMNS": self._show_columns,
            "DESCRIBE": self._describe,
            "DESC": self._describe,
            "EXPLAIN": self._explain,
            "ALTER TABLE DROP": self._drop_partitions,
            "ALTER TABLE SET TBLPROPERTIES": self._set_tblproperties,
            "MSCK REPAIR TABLE": self._msck_repair,
            "INSERT INTO": self._insert,
            "SHOW DATABASES": self._show_databases,
            "SHOW SCHEMAS": self._show_databases,
            "SHOW TABLES": self._show_tables,
            "SHOW PARTITIONS": self._show_partitions,
            "MERGE": self._merge,
            "DELETE": self._delete,
            "OPTIMIZE": self._optimize,
            "VACUUM": self._vacuum,
            "ALTER TABLE RENAME": self._rename,
        }
