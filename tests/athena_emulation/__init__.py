"""An offline Athena: the athena target's compiled SQL, run on DuckDB with Trino's semantics.

Reusable by any test (tests/test_athena_emulation.py is the main user):

- :func:`to_duckdb` (local_athena, the local Athena endpoint's engine) transpiles one
  Athena (Trino) statement to DuckDB with sqlglot and swaps the Trino functions whose semantics
  differ from DuckDB's for the ports in local_athena/sql/_trino.py; SQL it cannot follow
  (approx_percentile) raises :class:`EmulationError`.
- :class:`AthenaEmulation` is a DuckDB database laid out like Athena: catalog
  ``awsdatacatalog``, the bootstrap's external tables as views over the exported Parquet (columns
  and types parsed from exporter/athena/sql/create_table_*.sql, read by name as Athena reads
  Parquet, timestamps as UTC wall clock in milliseconds), dbt's schema for the models.
  :meth:`~AthenaEmulation.build` runs every compiled model in dependency order,
  :meth:`~AthenaEmulation.data_test_failures` every compiled data test.
- :func:`compiled_nodes` reads the compiled models and data tests of a `dbt compile --target
  athena`; the session fixtures in :mod:`athena_emulation.fixtures` (athena_compiled: the first
  build's SQL; athena_incremental_compiled: the marts' incremental branch and the data tests
  scoped to the run window) compile the project against the moto server (tests/conftest.py).

What the emulation cannot follow is listed in docs/athena-parity.md.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from exporter._contract import SCHEMA_VERSION
from exporter.athena import SQL_DIR
from local_athena import EmulationError, to_duckdb
from local_athena.sql._trino import register

__all__ = [
    "CATALOG",
    "AthenaEmulation",
    "CompiledNode",
    "EmulationError",
    "athena_env",
    "compiled_nodes",
    "to_duckdb",
]

CATALOG = "awsdatacatalog"
SOURCE_TABLES = ("run_context", "effective_params", "outcomes")


def _ddl_columns(table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a bootstrap table, data columns then partition keys, from its DDL."""
    text = (SQL_DIR / f"create_table_{table}.sql").read_text()
    sql = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--"))
    sql = (
        sql.replace("${database}", "db")
        .replace("${root}", "s3://b")
        .replace("${schema_version}", SCHEMA_VERSION)
    )
    tree = sqlglot.parse_one(sql, read="athena")
    columns = [
        (c.name, c.args["kind"].sql(dialect="duckdb"))
        for c in tree.this.expressions
        if isinstance(c, exp.ColumnDef)
    ]
    partitioned = tree.find(exp.PartitionedByProperty)
    assert partitioned is not None, table
    columns += [
        (c.name, c.args["kind"].sql(dialect="duckdb"))
        for c in partitioned.this.expressions
        if isinstance(c, exp.ColumnDef)
    ]
    return columns


@dataclass(frozen=True)
class CompiledNode:
    unique_id: str
    name: str
    resource_type: str  # model | test
    relation: str | None  # "awsdatacatalog"."schema"."name" for a model
    materialized: str
    sql: str
    depends_on: tuple[str, ...]
    severity: str = "error"


def compiled_nodes(target_path: Path) -> dict[str, CompiledNode]:
    """The compiled models and data tests of a `dbt compile --target athena`, by unique id."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    nodes: dict[str, CompiledNode] = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "test") or not node.get("compiled_code"):
            continue
        nodes[uid] = CompiledNode(
            unique_id=uid,
            name=node["name"],
            resource_type=node["resource_type"],
            relation=node.get("relation_name"),
            materialized=node["config"].get("materialized", "view"),
            sql=node["compiled_code"],
            depends_on=tuple(node["depends_on"]["nodes"]),
            severity=str(node["config"].get("severity", "error")).lower(),
        )
    return nodes


def athena_env(moto_env: Mapping[str, str], bucket: str) -> dict[str, str]:
    """The env the athena profile target needs, pointed at a moto server and one bucket."""
    return {
        **moto_env,
        "ARA_ROOT": f"s3://{bucket}/exports",
        "ARA_ATHENA_OUTPUT_LOCATION": f"s3://{bucket}/athena-results/",
        "ARA_ATHENA_DATA_DIR": f"s3://{bucket}/dbt/",
        "ARA_ATHENA_DATABASE": "sweep_analytics",
        "ARA_ATHENA_WORKGROUP": "primary",
    }


@dataclass
class AthenaEmulation:
    """A DuckDB database that reads the exported Parquet as Athena's bootstrap tables would."""

    root: Path
    database: str = "sweep_analytics"
    con: duckdb.DuckDBPyConnection = field(init=False)

    def __post_init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")  # Athena's session zone
        self.con.execute(f"ATTACH ':memory:' AS {CATALOG}")
        self.con.execute(f"CREATE SCHEMA {CATALOG}.{self.database}")
        register(self.con)
        for table in SOURCE_TABLES:
            self._create_source(table)

    def close(self) -> None:
        self.con.close()

    def _create_source(self, table: str) -> None:
        columns = _ddl_columns(table)
        files = sorted((self.root / table).glob("run_date=*/run_id=*/*.parquet"))
        target = f"{CATALOG}.{self.database}.{table}"
        if not files:  # an empty table: registered, no partition
            select = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in columns)
            self.con.execute(f"CREATE VIEW {target} AS SELECT {select} LIMIT 0")
            return
        glob = str(self.root / table / "*" / "*" / "*.parquet").replace("'", "''")
        exprs = []
        for name, type_ in columns:
            if type_.upper() == "TIMESTAMP":  # Parquet UTC-adjusted (ms) -> Athena's timestamp
                exprs.append(f"CAST(timezone('UTC', {name}) AS TIMESTAMP(3)) AS {name}")
            else:
                exprs.append(f"CAST({name} AS {type_}) AS {name}")
        self.con.execute(
            f"CREATE VIEW {target} AS SELECT {', '.join(exprs)} FROM read_parquet('{glob}', "
            "hive_partitioning = true, hive_types_autocast = false, "
            "hive_types = {'run_date': 'date', 'run_id': 'varchar'}, union_by_name = true)"
        )

    def build(self, nodes: Mapping[str, CompiledNode]) -> None:
        """Every compiled model, in dependency order: tables as tables, the rest as views."""
        models = {uid: n for uid, n in nodes.items() if n.resource_type == "model"}
        done: set[str] = set()
        for node in models.values():
            assert node.relation, node.name
            schema = node.relation.split(".")[1].strip('"')
            self.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{schema}"')

        def visit(uid: str) -> None:
            if uid in done or uid not in models:
                return
            for dep in models[uid].depends_on:
                visit(dep)
            node = models[uid]
            kind = "TABLE" if node.materialized in ("table", "incremental") else "VIEW"
            try:
                self.con.execute(
                    f"CREATE OR REPLACE {kind} {node.relation} AS {to_duckdb(node.sql)}"
                )
            except duckdb.Error as exc:
                raise AssertionError(f"{node.name} failed in the Athena emulation: {exc}") from exc
            done.add(uid)

        for uid in sorted(models):
            visit(uid)

    def data_test_failures(self, nodes: Mapping[str, CompiledNode]) -> dict[str, int]:
        """Failing rows of every compiled data test, by test name."""
        failures: dict[str, int] = {}
        for node in nodes.values():
            if node.resource_type == "test":
                sql = f"SELECT count(*) FROM ({to_duckdb(node.sql)}) AS failing_rows"
                failures[node.name] = int(self.query(sql)[0][0])
        return failures

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def run_athena(self, sql: str) -> list[tuple[Any, ...]]:
        """An ad-hoc Athena query (e.g. from the runbook), tables named as in Athena
        (``database.table`` resolves in the default catalog, awsdatacatalog)."""
        tree = sqlglot.parse_one(sql, read="athena")
        for table in tree.find_all(exp.Table):
            if table.args.get("db") is not None and table.args.get("catalog") is None:
                table.set("catalog", exp.to_identifier(CATALOG))
        return self.query(to_duckdb(tree.sql(dialect="athena")))


def unique_bucket() -> str:
    return f"ara-emul-{uuid.uuid4().hex[:12]}"


def sql_blocks(markdown: str) -> list[str]:
    """The ```sql blocks of a markdown document that are queries (SELECT / WITH)."""
    blocks = re.findall(r"```sql\n(.*?)```", markdown, flags=re.DOTALL)
    return [b.strip() for b in blocks if re.match(r"\s*(SELECT|WITH)\b", b, re.IGNORECASE)]


def differences(
    emulation: AthenaEmulation,
    local_duckdb: Path,
    model: str,
    *,
    schema: str = "sweep_analytics_dbt",
    equal_as: Mapping[str, Any] | None = None,
    rel_tol: Mapping[str, float] | None = None,
) -> list[str]:
    """How the emulated athena build of ``model`` differs from the local target's (empty when
    every row and value is equal). Rows are matched as multisets, columns by name; a column in
    ``equal_as`` is compared through that function (e.g. json.loads for JSON text whose spelling
    is documented as engine-specific) instead of exactly; a column in ``rel_tol`` may differ by
    that relative amount (a documented rounding difference)."""
    with duckdb.connect(str(local_duckdb), read_only=True) as con:
        columns = [r[0] for r in con.execute(f"DESCRIBE main.{model}").fetchall()]
        local = con.execute(f"SELECT {', '.join(columns)} FROM main.{model}").fetchall()
    quoted = ", ".join(f'"{c}"' for c in columns)
    athena = emulation.query(f'SELECT {quoted} FROM {CATALOG}."{schema}"."{model}"')
    convert = equal_as or {}

    def normal(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            convert[c](v) if c in convert and v is not None else v
            for c, v in zip(columns, row, strict=True)
        )

    def key(row: tuple[Any, ...]) -> str:
        return repr(row)

    local_rows = sorted((normal(r) for r in local), key=key)
    athena_rows = sorted((normal(r) for r in athena), key=key)
    found: list[str] = []
    if len(local_rows) != len(athena_rows):
        found.append(f"{model}: {len(local_rows)} rows locally, {len(athena_rows)} on Athena")
    for lrow, arow in zip(local_rows, athena_rows, strict=False):
        for column, lval, aval in zip(columns, lrow, arow, strict=True):
            tol = (rel_tol or {}).get(column)
            if (
                tol is not None
                and isinstance(lval, float)
                and isinstance(aval, float)
                and math.isclose(lval, aval, rel_tol=tol)
            ):
                continue
            if lval != aval or type(lval) is not type(aval):
                found.append(f"{model}.{column}: local {lval!r} != athena {aval!r}")
    return found
