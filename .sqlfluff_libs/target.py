"""sqlfluff jinja templater stand-in for dbt's ``target``: models lint as the SQL the local
(DuckDB) target runs, as ``adapter.dispatch`` here picks the duckdb__ implementations."""

from __future__ import annotations

type = "duckdb"  # dbt's attribute name
name = "local"
