"""The athena target without an AWS account: dbt-athena compiles every model against a moto
server (Glue/Athena/S3 over HTTP), and every compiled model and data test parses as Athena SQL.

sqlglot checks syntax, not which functions exist, so the compiled SQL is also checked for
DuckDB-only functions that must never reach Athena.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from _dbt_scenario import PROJECT_MODELS, Dbt
from athena_emulation.fixtures import MARTS
from sqlglot.errors import ErrorLevel

pytestmark = pytest.mark.dbt

MODELS = set(PROJECT_MODELS)
DUCKDB_ONLY = re.compile(
    r"\b(json_each|json_extract_string|quantile_cont|list_extract|list_sum|read_parquet|timezone|map_keys"
    r"|map_values)\s*\(|::",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def athena(athena_compiled: Dbt) -> Dbt:
    """The session's one `dbt compile --target athena` against moto (athena_emulation.fixtures:
    the reference columns plus the awkward-types columns in point_param_columns)."""
    return athena_compiled


def _compiled(dbt: Dbt) -> dict[str, Path]:
    base = dbt.target_path / "compiled" / "athena_run_analytics"
    return {p.stem: p for p in base.rglob("*.sql")}


def _manifest(dbt: Dbt) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((dbt.target_path / "manifest.json").read_text())
    return data


def test_every_model_compiles_for_athena(athena: Dbt) -> None:
    assert set(_compiled(athena)) >= MODELS
    models = {
        n["name"] for n in _manifest(athena)["nodes"].values() if n["resource_type"] == "model"
    }
    assert models == MODELS


def test_every_compiled_model_and_test_parses_as_athena_sql(athena: Dbt) -> None:
    compiled = _compiled(athena)
    assert len(compiled) > len(MODELS)  # the data tests too
    for name, path in compiled.items():
        sql = path.read_text()
        statements = sqlglot.parse(sql, read="athena", error_level=ErrorLevel.RAISE)
        assert [s for s in statements if s is not None], name
        assert not DUCKDB_ONLY.search(sql), f"{name} uses DuckDB-only SQL"


def test_sources_are_the_bootstrap_tables(athena: Dbt) -> None:
    compiled = _compiled(athena)
    for model, table in (
        ("stg_sweep__run_contexts", "run_context"),
        ("stg_sweep__effective_params", "effective_params"),
        ("stg_sweep__outcomes", "outcomes"),
    ):
        sql = compiled[model].read_text()
        assert f'"awsdatacatalog"."sweep_analytics"."{table}"' in sql
        assert "read_parquet" not in sql


def test_cross_engine_macros_use_the_athena_forms(athena: Dbt) -> None:
    fct = _compiled(athena)["fct_point_outcomes"].read_text()
    assert "element_at(points.metrics, 'peak_infected') as metric_peak_infected" in fct
    # a number is read from the token text (json_extract_scalar), never from a re-serialisation
    assert """cast(json_extract_scalar(points.params_json, '$["beta"]') as double)""" in fct
    assert "try_cast(json_extract_scalar(points.params_json, '$[\"population\"]') as bigint)" in fct
    summary = _compiled(athena)["fct_run_metric_summary"].read_text()
    # exact percentiles from the sorted values: Athena's approx_percentile is not used
    assert "approx_percentile" not in summary
    assert "array_sort(array_agg(metric_value) filter (where metric_value is not null))" in summary
    # the mean sums the sorted values left to right (reduce), never avg()'s unspecified order
    assert "avg(" not in summary and "reduce(" in summary


def test_marts_are_compressed_parquet_outside_the_raw_export(athena: Dbt) -> None:
    raw_root = athena.env["ARA_ROOT"]
    for node in _manifest(athena)["nodes"].values():
        if node["resource_type"] != "model":
            continue
        config = node["config"]
        location = config.get("external_location")
        assert not location or not str(location).startswith(raw_root), node["name"]
        if node["fqn"][1] == "marts":
            assert config["materialized"] == "incremental"
            assert config["incremental_strategy"] == "merge"
            assert config["table_type"] == "iceberg"
            # OPTIMIZE rewrites a partition as soon as it holds two small files or a delete file
            assert config["table_properties"]["optimize_rewrite_data_file_threshold"] == 1
            assert config["table_properties"]["optimize_rewrite_delete_file_threshold"] == 1
            assert config["partitioned_by"][0] == "run_date"
            assert (config["format"], config["write_compression"]) == ("parquet", "snappy")
        else:
            assert config["materialized"] == "view"
    partitioned = {
        n["name"]: n["config"]["partitioned_by"]
        for n in _manifest(athena)["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    }
    # a one-run query on the point facts reads one partition
    assert partitioned["fct_point_outcomes"] == ["run_date", "run_id"]


@pytest.mark.parametrize("where", ["inside", "parent"])
def test_a_data_dir_overlapping_the_raw_export_is_refused(athena: Dbt, where: str) -> None:
    bucket_root = athena.env["ARA_ROOT"].rsplit("/", 1)[0] + "/"  # s3://bucket/, holds exports/
    data_dir = {"inside": athena.env["ARA_ROOT"] + "/dbt/", "parent": bucket_root}[where]
    overlapping = Dbt(
        athena.workdir / where,
        athena.warehouse_root,
        env={**athena.env, "ARA_ATHENA_DATA_DIR": data_dir},
    )
    proc = overlapping.run(
        "run-operation", "assert_outside_raw_export", "--target", "athena", check=False
    )
    assert proc.returncode != 0
    assert "overlaps the raw export root" in proc.stdout


def test_a_data_dir_beside_the_raw_export_is_accepted(athena: Dbt) -> None:
    # its own workdir: the shared compile's target/ (manifest.json) must stay as compiled
    beside = Dbt(athena.workdir / "beside", athena.warehouse_root, env=athena.env)
    beside.run("run-operation", "assert_outside_raw_export", "--target", "athena")


@pytest.fixture(scope="module")
def athena_incremental(athena_incremental_compiled: Dbt) -> Dbt:
    """The session's compile with the marts already in the Glue catalog (athena_emulation.
    fixtures): their incremental branch, a late retry named in var reprocess_run_ids."""
    return athena_incremental_compiled


def test_the_incremental_branch_compiles_and_parses_as_athena_sql(
    athena_incremental: Dbt,
) -> None:
    compiled = _compiled(athena_incremental)
    for name in MARTS:
        sql = compiled[name].read_text()
        assert re.search(r"run_date >= date '\d{4}-\d{2}-\d{2}'", sql), name
        statements = sqlglot.parse(sql, read="athena", error_level=ErrorLevel.RAISE)
        assert [s for s in statements if s is not None], name
        assert not DUCKDB_ONLY.search(sql), f"{name} uses DuckDB-only SQL"
    # Athena Hive tables need the partition columns last, in partitioned_by order
    last = {
        "fct_point_outcomes": r"points\.run_date,\s*points\.run_id\s+from points",
        "dim_runs": r"run_date\s+from counted",
        "fct_run_metric_summary": r"as run_date\s+from metrics",
        "fct_point_params": r"run_date,\s*run_id\s+from params",
    }
    for name, pattern in last.items():
        assert re.search(pattern, compiled[name].read_text()), name


def test_descriptions_are_persisted_to_the_glue_catalog(athena: Dbt) -> None:
    """persist_docs (relation and columns) on the athena target, for every model, and the
    descriptions it would write are there (a model and its columns documented)."""
    models = [n for n in _manifest(athena)["nodes"].values() if n["resource_type"] == "model"]
    assert {m["name"] for m in models} == MODELS
    for model in models:
        assert model["config"]["persist_docs"] == {"relation": True, "columns": True}, model["name"]
        assert model["description"].strip(), model["name"]
    fct = next(m for m in models if m["name"] == "fct_run_metric_summary")
    assert "linear interpolation" in fct["columns"]["p95_value"]["description"]
