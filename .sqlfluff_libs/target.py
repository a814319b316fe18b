"""sqlfluff jinja templater stand-in for dbt's ``target``: models lint as the local target's
SQL (``target.type == 'duckdb'``), like ``adapter.dispatch`` in adapter.py."""

type = "duckdb"  # the attribute of dbt's target
name = "local"
