"""Incremental builds on the Athena target end equal to a full refresh: the scenarios of
tests/test_dbt_incremental.py (tests/_incremental_scenario.py), run on the local Athena
endpoint (local_athena: S3 and Glue from moto, the SQL executed by DuckDB).

The raw objects go to an ``s3://`` root on the endpoint (the exporter's own API with the
endpoint's S3 client), ``ara athena bootstrap`` creates the raw Hive tables over it, and
``MSCK REPAIR TABLE`` registers new partitions after each step, as an operator would. The marts
are the project's Iceberg tables (macros/materializations/athena_incremental.sql), built by
``dbt build --target athena`` with the run window pinned (WINDOWED: as of NOW), read back
through the endpoint's Athena API. The reference is the local target's ``--full-refresh``
build over the same S3 objects (as tests/_athena_scene.py's local_marts), run alongside:

1. step 1 and the first Athena build (every mart created);
2. step 2 and an incremental build: every mart and staging view equals the reference, and the
   Athena marts show the facts the local module checks (run statuses, the rollback run's params
   and summaries gone, retried shards replaced, the retry's params);
3. the late retry of an old run: a plain build leaves it stale, var ``reprocess_run_ids``
   brings it in, equal to the reference, fct_point_comparisons included;

and, in a second warehouse of the same endpoint (its own bucket, raw database, dbt schema), a
window of 1.0 objects (no ``write_id``): the incremental build equals the full refresh.

The Athena builds (ROUTINE) build every model and run the data tests on the marts (selector
skip_slow_tests), without the unit tests: the data tests on the staging and intermediate views
read the same raw objects as the local module's, and tests/test_athena_local.py runs every
test and unit test on the endpoint; leaving them out cuts each of the 6 builds here by about
a third (80 nodes to 45).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import _incremental_scenario as scenario
import pytest
from _athena_endpoint import (
    RAW_TABLES,
    Columns,
    Rows,
    athena_query,
    bootstrapped_env,
    comparable,
    create_results_bucket,
    local_mart,
    read_tables,
)
from _dbt_scenario import MARTS, Dbt
from _incremental_scenario import STAGING, WINDOWED, Raw, Runs

from local_athena import LocalAthena

pytestmark = [pytest.mark.dbt, pytest.mark.s3]

#: this module's endpoint region: its own Glue catalog (moto's backends are one per process)
ATHENA_REGION = "ap-northeast-3"
#: what the comparisons read: every mart, and the staging views over the raw Hive tables
MODELS = (*MARTS, *STAGING)
INTEGERS = {"tinyint", "smallint", "integer", "bigint"}
FLOATS = {"real", "float", "double"}
#: every Athena build here: the models and the data tests on the marts (module docstring)
ROUTINE = ("--selector", "skip_slow_tests", "--exclude-resource-type", "unit_test")

Tables = dict[str, tuple[Columns, list[tuple[Any, ...]]]]


def _typed(columns: Columns, rows: Rows) -> list[tuple[Any, ...]]:
    """Athena's text as Python values by ColumnInfo type (the local module's DuckDB rows)."""

    def value(text: str | None, kind: str) -> Any:
        if text is None:
            return None
        if kind in INTEGERS:
            return int(text)
        if kind in FLOATS:
            return float(text)
        if kind == "boolean":
            return text == "true"
        return text

    return [tuple(value(v, k) for v, (_, k) in zip(row, columns, strict=True)) for row in rows]


@dataclass
class Warehouse:
    """One export root on the endpoint, its raw tables (database) and dbt schema; ``athena``
    builds on the endpoint, ``local`` is the local target's full refresh over the same root."""

    endpoint: LocalAthena
    raw: Raw
    database: str
    schema: str
    athena: Dbt
    local: Dbt

    def repair(self) -> None:
        """Registers the raw tables' new partitions (what `ara athena repair` sends)."""
        for table in RAW_TABLES:
            state, reason, _, _ = athena_query(
                self.endpoint, f"MSCK REPAIR TABLE {table}", self.database
            )
            assert state == "SUCCEEDED", reason

    def build(self, *args: str, reference: bool = False) -> Tables | None:
        """`dbt build --target athena` (every node passes); with ``reference``, the local
        target's --full-refresh build of the same objects runs alongside, its models
        returned."""
        with ThreadPoolExecutor(1) as pool:
            local = pool.submit(self.local_full_refresh) if reference else None
            self.athena.run("build", "--target", "athena", *ROUTINE, *args)
            results = self.athena.results()
            assert set(results.values()) <= {"success", "pass", "warn"}, results
            return local.result() if local is not None else None

    def local_full_refresh(self) -> Tables:
        self.local.run("build", "--target", "local", "--full-refresh")
        return {model: comparable(*local_mart(self.local, model)) for model in MODELS}

    def tables(self, models: tuple[str, ...] = MODELS) -> Tables:
        """Each model as the endpoint's Athena API returns it (comparable)."""
        return read_tables(self.endpoint, self.schema, models)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one query on the dbt schema, typed (scenario.Query)."""
        state, reason, columns, rows = athena_query(self.endpoint, sql, self.schema)
        assert state == "SUCCEEDED", f"{sql}: {reason}"
        return _typed(columns, rows)


def _assert_equal(got: Tables, want: Tables) -> None:
    assert set(got) == set(want)
    for model, (columns, rows) in want.items():
        assert got[model][0] == columns, model
        assert len(got[model][1]) == len(rows), model
        assert got[model][1] == rows, model


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalAthena]:
    with LocalAthena(region=ATHENA_REGION) as server:
        create_results_bucket(server)
        yield server


def _warehouse(
    endpoint: LocalAthena, tmp: pytest.TempPathFactory, name: str, vars_: dict[str, Any]
) -> Warehouse:
    """A new bucket with the raw tables bootstrapped over its export root (database
    ``ara_<name>``), marts in schema ``ara_<name>_dbt``."""
    bucket = f"ara-{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    endpoint.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": ATHENA_REGION}
    )
    database, schema = f"ara_{name}", f"ara_{name}_dbt"
    env = bootstrapped_env(endpoint, bucket, database, ARA_DBT_SCHEMA=schema)
    root = env["ARA_ROOT"]
    dbt_env = {k: v for k, v in env.items() if k.startswith(("AWS_", "ARA_"))}
    return Warehouse(
        endpoint,
        Raw(root, endpoint.client("s3")),
        database,
        schema,
        Dbt(tmp.mktemp(f"{name}_athena"), root, env=dbt_env, vars=vars_),
        Dbt(tmp.mktemp(f"{name}_local"), root, env=dbt_env, vars=vars_),
    )


@dataclass
class Store:
    warehouse: Warehouse
    runs: Runs
    #: after step 2's incremental build: the Athena models, and the local full refresh's
    athena: Tables = field(default_factory=dict)
    reference: Tables = field(default_factory=dict)


@pytest.fixture(scope="module")
def store(endpoint: LocalAthena, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Step 1 and the first Athena build (every mart created)."""
    warehouse = _warehouse(endpoint, tmp_path_factory, "incremental", WINDOWED)
    runs = scenario.first_runs(warehouse.raw)
    warehouse.repair()
    warehouse.build()
    return Store(warehouse, runs)


@pytest.fixture(scope="module")
def new_work(store: Store) -> Store:
    """Step 2 and an incremental Athena build, the local full refresh alongside."""
    scenario.new_work(store.warehouse.raw, store.runs)
    store.warehouse.repair()
    reference = store.warehouse.build(reference=True)
    assert reference is not None
    store.reference = reference
    store.athena = store.warehouse.tables()
    return store


def test_incremental_athena_build_equals_a_full_refresh(new_work: Store) -> None:
    _assert_equal(new_work.athena, new_work.reference)
    # the facts hold on the Athena marts themselves (also once step 3 is built: it changes
    # old-run only)
    scenario.assert_new_work_facts(new_work.warehouse.query)


def test_a_late_retry_outside_the_lookback_needs_reprocess_run_ids(new_work: Store) -> None:
    warehouse = new_work.warehouse
    scenario.late_retry(warehouse.raw, new_work.runs)
    warehouse.repair()  # the partition was registered: nothing new
    before = warehouse.tables(("fct_point_outcomes",))
    warehouse.build()  # plain build: the old run_date is outside the window
    assert warehouse.tables(("fct_point_outcomes",)) == before
    warehouse.athena.vars = {**WINDOWED, "reprocess_run_ids": ["old-run"]}
    try:
        reference = warehouse.build(reference=True)
    finally:
        warehouse.athena.vars = WINDOWED
    assert reference is not None
    assert reference["fct_point_outcomes"] != before["fct_point_outcomes"]  # it was stale
    _assert_equal(warehouse.tables(), reference)
    scenario.assert_late_retry_facts(warehouse.query)


def test_a_window_of_schema_1_0_files_builds_like_a_full_refresh(
    endpoint: LocalAthena, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """1.0 objects (no write_id) among 1.1 ones, in a warehouse of their own: the raw Hive
    tables read both by name; an incremental build whose window holds 1.0 objects only equals
    the Athena full refresh before it and the local one."""
    warehouse = _warehouse(endpoint, tmp_path_factory, "schema_1_0", {"test_whole_store": True})
    scenario.schema_1_0_store(warehouse.raw)
    warehouse.repair()
    reference = warehouse.build("--full-refresh", reference=True)
    assert reference is not None
    full = warehouse.tables()
    _assert_equal(full, reference)
    warehouse.athena.vars = WINDOWED
    warehouse.build()  # the window's outcomes and params objects are all 1.0
    _assert_equal(warehouse.tables(), full)
    scenario.assert_schema_1_0_facts(warehouse.query)
