"""pytest fixtures around the emulation, for any test module to import:

    athena_compiled, athena_nodes, emulated, emulation_local, emulation_warehouse,
    athena_incremental_compiled

(tests/conftest.py imports them, so every test module can ask for them by name.)

Session-scoped: one export, one `dbt compile --target athena` (against the moto server), one
`dbt build --target local`, one emulated build, shared by every user in the session.
``athena_incremental_compiled`` is a second compile (its own workdir) with the marts already in
the Glue catalog: the incremental branch of each mart and the data tests scoped to the run
window (WINDOW_SINCE), as a `dbt build --target athena` after the first one runs them.

The warehouse holds the reference sweep (tests/_dbt_scenario.py), the baseline re-run with the
reference's model change (VARIANT_RUN_ID: same config, other code version, so
fct_point_comparisons pairs it with the baseline; 12 points go from failed to succeeded) and one
run with awkward parameter types (AWKWARD_RUN_ID), read as the typed columns AWKWARD_COLUMNS of
fct_point_outcomes besides the reference's own (the var `point_param_columns`). The var
`comparison_pairs` names two more pairs, in the run window of athena_incremental_compiled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _dbt_scenario import (
    AS_OF,
    MARTS,
    POINTS_PER_SHARD,
    Dbt,
    ExportedRun,
    export_reference_sweep,
)

from exporter import RunContext, ShardWriter, export_run_context
from exporter.reference import VARIANTS, reference_configs, run_sweep

from . import AthenaEmulation, CompiledNode, athena_env, compiled_nodes, unique_bucket

__all__ = [
    "AWKWARD_COLUMNS",
    "AWKWARD_POINTS",
    "AWKWARD_RUN_ID",
    "DBT_VARS",
    "MARTS",
    "VARIANT_RUN_ID",
    "WINDOW_SINCE",
    "Warehouse",
    "athena_compiled",
    "athena_incremental_compiled",
    "athena_nodes",
    "emulated",
    "emulation_local",
    "emulation_warehouse",
]

AWKWARD_RUN_ID = "awkward-types-1"
AWKWARD_POINTS: list[dict[str, Any]] = [
    {
        "k_int": -3,
        "k_big": 2**62,
        "k_beyond": 2**64 - 1,
        "k_beyond_neg": -(2**70),
        "k_half": 2.5,
        "k_tiny": 1e-07,
        "k_huge": 6.02e23,
        "k_subnormal": 5e-324,
        "k_flag": True,
        "k_label": 'zürich "quoted" ,:',
        "k_numeric_text": "0.15",
        "k_nothing": None,
        "k_list": [1, 2.5, "x"],
        "k_nested": {"b": 1, "a": [True, None], "c": {"d": "e"}},
        "k_nested_float": [1e-07, 6.02e23],
    },
    {"k_int": 0, "k_half": 0.15, "k_tiny": -0.0, "k_flag": False, "k_label": "", "k_list": []},
    {"k_int": 2**63 - 1, "k_huge": 1e16, "k_label": "1e-07", "k_nested": {}},
]
#: each awkward parameter read as one type (a type that does not fit it, on purpose, too)
AWKWARD_COLUMNS = {
    "k_int": "string",
    "k_big": "bigint",
    "k_beyond": "bigint",
    "k_beyond_neg": "double",
    "k_half": "bigint",
    "k_tiny": "string",
    "k_huge": "json",
    "k_subnormal": "string",
    "k_flag": "boolean",
    "k_label": "double",
    "k_numeric_text": "double",
    "k_nothing": "boolean",
    "k_list": "json",
    "k_nested": "json",
    "k_nested_float": "json",
}
REFERENCE_COLUMNS = {
    "beta": "double",
    "gamma": "double",
    "r0": "double",
    "dt": "double",
    "population": "bigint",
    "initial_infected": "bigint",
    "model": "string",
}
VARIANT_RUN_ID = "sir-baseline-substeps-20261120"
DBT_VARS: dict[str, Any] = {
    "point_param_columns": {**REFERENCE_COLUMNS, **AWKWARD_COLUMNS},
    # besides the automatic pair (sir-baseline -> VARIANT_RUN_ID, run_date 2026-11-20): two
    # pairs of different grids (no point in common) on 2026-11-21, in the run window
    "comparison_pairs": [
        ["sir-baseline-20261120", "sir-fine-step-20261121"],
        {"base": "sir-large-town-20261121", "new": "sir-fine-step-20261121"},
    ],
}

#: the run window of athena_incremental_compiled (as of _dbt_scenario.AS_OF): sir-fine-step,
#: sir-large-town and the awkward run are in it, sir-baseline (2026-11-20) is not
WINDOW_SINCE = date(2026, 11, 21)


@dataclass(frozen=True)
class Warehouse:
    root: Path
    runs: dict[str, ExportedRun]


def _export_awkward(root: str) -> None:
    t0 = datetime(2026, 11, 22, 12, 0, 0, 123000, tzinfo=UTC)
    context = RunContext(
        run_id=AWKWARD_RUN_ID,
        accepted_at=t0,
        request_source="api",
        code_version="test",
        points_per_shard=2,
        point_count=len(AWKWARD_POINTS),
        sweep_config={"points": AWKWARD_POINTS},
    )
    export_run_context(root, context)
    for shard_id in range(2):
        with ShardWriter(root, context.ref(), shard_id) as shard:
            for index in range(shard_id * 2, min(shard_id * 2 + 2, len(AWKWARD_POINTS))):
                shard.add_point(
                    index,
                    AWKWARD_POINTS[index],
                    started_at=t0 + timedelta(milliseconds=7 * index),
                    finished_at=t0 + timedelta(seconds=1, milliseconds=index),
                    metrics={"m": [1.0, 2.0, 3.0, 4.0][index], "tiny": 1e-300 * (index + 1)},
                )


@pytest.fixture(scope="session")
def emulation_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("emulation_raw")
    runs = export_reference_sweep(str(root))
    (_, baseline), *_ = reference_configs()
    run_sweep(  # the baseline grid again, with the model change, after the baseline
        str(root),
        VARIANT_RUN_ID,
        baseline,
        points_per_shard=POINTS_PER_SHARD,
        workers=0,
        accepted_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        variant=VARIANTS["substeps"],
    )
    _export_awkward(str(root))
    return Warehouse(root, runs)


@pytest.fixture(scope="session")
def athena_compiled(
    moto_server: Any, tmp_path_factory: pytest.TempPathFactory, emulation_warehouse: Warehouse
) -> Dbt:
    """`dbt compile --target athena` against the moto server, with DBT_VARS."""
    bucket = unique_bucket()
    env = athena_env(moto_server.env(), bucket)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in moto_server.env().items():
            mp.setenv(key, value)
        moto_server.client("s3").create_bucket(Bucket=bucket)
        glue = moto_server.client("glue")
        if "sweep_analytics" not in {d["Name"] for d in glue.get_databases()["DatabaseList"]}:
            glue.create_database(DatabaseInput={"Name": "sweep_analytics"})
    dbt = Dbt(tmp_path_factory.mktemp("emulation_athena"), env["ARA_ROOT"], env=env, vars=DBT_VARS)
    dbt.run("compile", "--target", "athena")
    return dbt


@pytest.fixture(scope="session")
def emulation_local(
    tmp_path_factory: pytest.TempPathFactory, emulation_warehouse: Warehouse
) -> Dbt:
    """`dbt build --target local` over the same warehouse, with DBT_VARS."""
    dbt = Dbt(
        tmp_path_factory.mktemp("emulation_local"), str(emulation_warehouse.root), vars=DBT_VARS
    )
    dbt.run("build", "--target", "local")
    return dbt


@pytest.fixture(scope="session")
def athena_nodes(athena_compiled: Dbt) -> dict[str, CompiledNode]:
    return compiled_nodes(athena_compiled.target_path)


@pytest.fixture(scope="session")
def emulated(
    emulation_warehouse: Warehouse, athena_nodes: dict[str, CompiledNode]
) -> Iterator[AthenaEmulation]:
    """Every compiled model of the athena target, built in the emulation over the warehouse."""
    emulation = AthenaEmulation(emulation_warehouse.root)
    emulation.build(athena_nodes)
    yield emulation
    emulation.close()


@pytest.fixture(scope="session")
def athena_incremental_compiled(
    athena_compiled: Dbt, moto_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Dbt:
    """`dbt compile --target athena` with the marts already in the Glue catalog (as after a first
    build), so dbt-athena compiles their incremental branch, and with the data tests scoped to
    the run window (test_whole_store false): as of AS_OF, lookback_days reaches back to
    WINDOW_SINCE, and a
    late retry is named in var reprocess_run_ids. Its own workdir: the shared compile's
    target/ stays as it is."""
    glue = moto_server.client("glue")
    schema = "sweep_analytics_dbt"
    if schema not in {d["Name"] for d in glue.get_databases()["DatabaseList"]}:
        glue.create_database(DatabaseInput={"Name": schema})
    data_dir = athena_compiled.env["ARA_ATHENA_DATA_DIR"]
    for name in MARTS:
        glue.create_table(
            DatabaseName=schema,
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "StorageDescriptor": {
                    "Columns": [{"Name": "run_date", "Type": "date"}],
                    "Location": f"{data_dir}{schema}/{name}/",
                },
            },
        )
    lookback = (AS_OF - WINDOW_SINCE).days
    dbt = Dbt(
        tmp_path_factory.mktemp("emulation_athena_incremental"),
        athena_compiled.warehouse_root,
        env=athena_compiled.env,
        vars={
            **DBT_VARS,
            "reprocess_run_ids": ["old-run-1"],
            "lookback_days": lookback,
            "test_whole_store": False,
        },
    )
    dbt.run("compile", "--target", "athena")
    return dbt
