"""The athena target gives the same answers as the local one, proven offline.

The project is compiled for the athena target against moto (dbt-athena's real SQL), every
compiled model and data test is transpiled to DuckDB with the Trino functions
whose semantics differ replaced by ports of Trino's code (tests/athena_emulation), and run over
the exported Parquet laid out as the bootstrap's tables. Every model must equal the local
target's, on the reference sweep and on a run with awkward parameter types.

Where the emulation cannot follow Athena (docs/athena-parity.md): Trino's approx_percentile
beyond small groups (exact here), Athena's engine version and JDK (number text assumes JDK 19+),
and what the Glue catalog / Hive SerDe do beyond reading Parquet columns by name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from _dbt_scenario import PROJECT_MODELS, REPO, Dbt
from athena_emulation import (
    CATALOG,
    AthenaEmulation,
    CompiledNode,
    EmulationError,
    compiled_nodes,
    differences,
    to_duckdb,
)
from athena_emulation.fixtures import (
    AWKWARD_POINTS,
    AWKWARD_RUN_ID,
    DBT_VARS,
    MARTS,
    WINDOW_SINCE,
    Warehouse,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from local_athena.sql._trino import json_extract, json_extract_scalar, register

pytestmark = pytest.mark.dbt

MODELS = PROJECT_MODELS


#: documented as engine-specific (docs/athena-parity.md): JSON text of an array/object holding a
#: float in exponent form (DuckDB 1e-7, Trino 1.0E-7); equal as JSON values
def _nested_as_json(text: str) -> object:
    return json.loads(text) if text[:1] in ("[", "{") else text  # a scalar's text stays exact


ENGINE_SPELLING = {"param_k_nested_float": _nested_as_json, "param_value_json": _nested_as_json}


def _duckdb(sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    register(con)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- the ports reproduce the three discrepancies the review found --------------------------


def test_ports_reproduce_trino_where_duckdb_differs() -> None:
    doc = '{"n":0.15,"tiny":1e-07,"huge":6.02e+23,"s":"x","a":[1e-07]}'
    # json_extract_scalar returns the token text; json_extract re-serialises (Java's Double)
    assert json_extract_scalar(doc, '$["tiny"]') == "1e-07"
    assert json_extract(doc, '$["tiny"]') == "1.0E-7"
    assert json_extract(doc, "$.huge") == "6.02E23"
    assert json_extract(doc, "$.a") == "[1.0E-7]"
    assert json_extract_scalar(doc, "$.a") is None
    # CAST('0.15' AS BIGINT): DuckDB rounds to 0, Trino fails the query
    assert _duckdb("select cast('0.15' as bigint)") == [(0,)]
    with pytest.raises(duckdb.Error, match=r"Cannot cast '0\.15' to BIGINT"):
        _duckdb(to_duckdb("select cast(json_extract_scalar('" + doc + "', '$.n') as bigint)"))
    assert _duckdb(to_duckdb("select try_cast('0.15' as bigint), try_cast('7' as bigint)")) == [
        (None, 7)
    ]
    # approx_percentile: the value at 0-based position min(floor(p * n), n - 1) of the sorted
    # values, what Trino's digests return while every centroid holds one value (small groups;
    # docs/athena-parity.md, "Functions"), never interpolated: 1..4 at p50 is 3, not 2.5
    approx = "select approx_percentile(x, 0.5) from (values 4e0, 1e0, 3e0, 2e0) as t (x)"
    assert _duckdb(to_duckdb(approx)) == [(3.0,)]
    # count_if over no rows: Trino 0, DuckDB null; reduce is a left fold from the initial value
    assert _duckdb(to_duckdb("select count_if(x > 0) from (select 1 as x) as t where x < 0")) == [
        (0,)
    ]
    fold = "select reduce(array[1e0, 2e0, 4e0], 0e0, (s, x) -> s * 2 + x, s -> s)"
    assert _duckdb(to_duckdb(fold)) == [(12.0,)]  # ((0*2+1)*2+2)*2+4
    with pytest.raises(EmulationError, match="reduce"):
        to_duckdb("select reduce(array[1e0], 0e0, (s, x) -> s + x, s -> s * 2)")


def test_exact_percentile_is_one_definition_on_both_engines(athena_nodes: dict) -> None:  # type: ignore[type-arg]
    """Values 1..4: p50 2.5 and p95 3.85 (numpy's linear), from the compiled athena SQL."""
    summary = next(n for n in athena_nodes.values() if n.name == "fct_run_metric_summary")
    assert "approx_percentile" not in summary.sql
    relation = '"awsdatacatalog"."sweep_analytics_dbt"."int_outcome_metrics_unpivoted"'
    assert relation in summary.sql
    values = ", ".join(
        f"('r', 'm', DATE '2026-11-23', 'succeeded', {v})"
        for v in ("1.0", "4.0", "3.0", "2.0", "null")
    )
    rows = f"(values {values}) as v (run_id, metric_name, run_date, outcome_status, metric_value)"
    sql = to_duckdb(
        "select point_count, mean_value, min_value, max_value, p50_value, p95_value from ("
        + summary.sql.replace(relation, rows)
        + ") as summary"
    )
    point_count, mean, low, high, p50, p95 = _duckdb(sql)[0]
    assert (point_count, mean, low, high) == (4, 2.5, 1.0, 4.0)
    assert (p50, p95) == (2.5, pytest.approx(3.85, rel=1e-15))
    # DuckDB's quantile_cont has the same definition (it may round the last bit differently)
    ((p50_duckdb, p95_duckdb),) = _duckdb(
        "select quantile_cont(x, 0.5), quantile_cont(x, 0.95) "
        "from (values (1e0), (2e0), (3e0), (4e0)) t (x)"
    )
    assert (p50, p95) == (
        pytest.approx(p50_duckdb, rel=1e-15),
        pytest.approx(p95_duckdb, rel=1e-15),
    )


@pytest.mark.parametrize(
    "doc", ["README.md", "docs/dbt.md", "docs/athena-parity.md", "models/docs.md"]
)
def test_the_percentile_definition_is_stated(doc: str) -> None:
    """The issue: the README gave p50/p95 without saying which; each reader's page says it."""
    text = " ".join((REPO / doc).read_text().split())
    assert "linear interpolation between the closest ranks" in text, doc
    assert "p50" in text and "2.5" in text and "3.85" in text, doc


# --- the whole project, emulated ------------------------------------------------------------


def test_every_model_builds_and_every_data_test_agrees(
    emulated: AthenaEmulation, athena_nodes: dict[str, CompiledNode], emulation_local: Dbt
) -> None:
    failures = emulated.data_test_failures(athena_nodes)
    local = emulation_local.results()
    assert len(failures) >= 40
    for name, count in failures.items():
        node = next(n for n in athena_nodes.values() if n.name == name)
        if node.severity == "error":
            assert count == 0, f"data test {name} fails on Athena ({count} rows)"
        assert local[name] == ("pass" if count == 0 else "warn"), name


@pytest.mark.parametrize("model", MODELS)
def test_model_equals_the_local_target(
    model: str, emulated: AthenaEmulation, emulation_local: Dbt
) -> None:
    found = differences(emulated, emulation_local.duckdb_path, model, equal_as=ENGINE_SPELLING)
    assert not found, "\n".join(found[:20])


def test_awkward_parameters_read_the_same_and_as_documented(
    emulated: AthenaEmulation, emulation_local: Dbt
) -> None:
    columns = ", ".join(f"param_{n}" for n in DBT_VARS["point_param_columns"] if n.startswith("k_"))
    sql = (
        f"select point_index, {columns} from {{}}fct_point_outcomes "
        f"where run_id = '{AWKWARD_RUN_ID}' order by 1"
    )
    athena = emulated.query(sql.format('awsdatacatalog."sweep_analytics_dbt".'))
    local = emulation_local.query(sql.format("main."))
    assert len(athena) == len(local) == len(AWKWARD_POINTS)
    first = dict(zip(["point_index", *columns.split(", ")], athena[0], strict=True))
    assert first["param_k_tiny"] == "1e-07" and first["param_k_huge"] == "6.02e+23"
    assert first["param_k_subnormal"] == "5e-324"
    assert first["param_k_half"] is None and first["param_k_beyond"] is None
    assert first["param_k_beyond_neg"] == -(2.0**70) and first["param_k_label"] is None
    # the one engine-specific spelling, pinned: a float in exponent form inside an array
    assert athena[0][-1] == "[1.0E-7,6.02E23]"
    assert local[0][-1] == "[1e-7,6.02e23]"
    assert (
        json.loads(athena[0][-1]) == json.loads(local[0][-1]) == AWKWARD_POINTS[0]["k_nested_float"]
    )
    assert [r[:-1] for r in athena] == [r[:-1] for r in local]


def test_awkward_parameters_in_long_format_read_the_same_and_as_documented(
    emulated: AthenaEmulation, emulation_local: Dbt
) -> None:
    """fct_point_params of the awkward run: each value's type and its typed columns as
    docs/athena-parity.md states them, the same on both engines (nested floats aside)."""
    sql = (
        "select point_index, param_name, param_type, param_value_json, param_value_bigint, "
        "param_value_double, param_value_boolean, param_value_string from {}fct_point_params "
        f"where run_id = '{AWKWARD_RUN_ID}' order by 1, 2"
    )
    athena = emulated.query(sql.format('awsdatacatalog."sweep_analytics_dbt".'))
    local = emulation_local.query(sql.format("main."))
    assert len(athena) == sum(len(p) for p in AWKWARD_POINTS)
    rows = {(r[0], r[1]): r[2:] for r in athena}
    assert rows[(0, "k_tiny")] == ("float", "1e-07", None, 1e-07, None, None)
    assert rows[(0, "k_huge")] == ("float", "6.02e+23", None, 6.02e23, None, None)
    assert rows[(0, "k_subnormal")] == ("float", "5e-324", None, 5e-324, None, None)
    assert rows[(1, "k_tiny")][:2] == ("float", "-0.0")
    assert rows[(0, "k_half")] == ("float", "2.5", None, 2.5, None, None)
    assert rows[(0, "k_big")] == ("integer", str(2**62), 2**62, float(2**62), None, None)
    # an integer beyond bigint: no bigint (never rounded, never a failed query), the rest kept
    assert rows[(0, "k_beyond")] == ("integer", str(2**64 - 1), None, float(2**64 - 1), None, None)
    assert rows[(2, "k_int")][2] == 2**63 - 1
    assert rows[(0, "k_numeric_text")] == ("string", '"0.15"', None, None, None, "0.15")
    assert rows[(2, "k_label")] == ("string", '"1e-07"', None, None, None, "1e-07")
    assert rows[(0, "k_flag")] == ("boolean", "true", None, None, True, None)
    assert rows[(0, "k_nothing")] == ("null", "null", None, None, None, None)
    assert rows[(0, "k_nested_float")][:2] == ("array", "[1.0E-7,6.02E23]")  # Athena's spelling

    def normal(row: tuple[object, ...]) -> tuple[object, ...]:
        return (*row[:3], _nested_as_json(str(row[3])), *row[4:])

    assert [normal(r) for r in athena] == [normal(r) for r in local]


# the runbook's example queries run on the local Athena endpoint (tests/test_athena_local.py)


# --- the incremental build: each mart's incremental branch, the window-scoped data tests ----


def _multiset(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted(rows, key=repr)


def test_the_incremental_branch_of_every_mart_equals_the_full_build_in_its_window(
    emulated: AthenaEmulation, athena_incremental_compiled: Dbt
) -> None:
    """What dbt-athena's insert_overwrite writes into the window's partitions (the compiled
    incremental SELECT) is the full build's rows of those run_dates: no run of the window lost
    or half-counted, none from outside it."""
    nodes = {n.name: n for n in compiled_nodes(athena_incremental_compiled.target_path).values()}
    for mart in MARTS:
        sql = nodes[mart].sql
        assert f"run_date >= date '{WINDOW_SINCE.isoformat()}'" in sql, mart
        incremental = emulated.query(to_duckdb(sql))
        relation = f'{CATALOG}."sweep_analytics_dbt"."{mart}"'
        full = emulated.query(f"SELECT * FROM {relation}")
        columns = [r[0] for r in emulated.query(f"DESCRIBE {relation}")]
        in_window = [r for r in full if r[columns.index("run_date")] >= WINDOW_SINCE]
        assert 0 < len(in_window) < len(full), mart  # the window holds some runs, not all
        assert _multiset(incremental) == _multiset(in_window), mart


def test_the_window_scoped_data_tests_run_and_pass(
    emulated: AthenaEmulation,
    athena_incremental_compiled: Dbt,
    athena_nodes: dict[str, CompiledNode],
) -> None:
    """The data tests a `dbt build --target athena` runs after the first (scoped to the run
    window) build and pass in the emulation, and fail no more rows than the whole-store ones."""
    scoped = compiled_nodes(athena_incremental_compiled.target_path)
    tests = {uid: n for uid, n in scoped.items() if n.resource_type == "test"}
    whole = {n.name for n in athena_nodes.values() if n.resource_type == "test"}
    assert {n.name for n in tests.values()} == whole
    windowed = [n for n in tests.values() if f"date '{WINDOW_SINCE.isoformat()}'" in n.sql]
    assert len(windowed) >= len(tests) - 2, [n.name for n in tests.values() if n not in windowed]
    failures = emulated.data_test_failures(tests)
    whole_failures = emulated.data_test_failures(athena_nodes)
    for node in tests.values():
        if node.severity == "error":
            assert failures[node.name] == 0, node.name
        assert failures[node.name] <= whole_failures[node.name], node.name


# --- the emulation fails when the athena SQL behaves differently -----------------------------


def test_a_changed_athena_macro_is_caught(
    tmp_path: Path,
    athena_compiled: Dbt,
    athena_nodes: dict[str, CompiledNode],
    emulation_warehouse: Warehouse,
    emulation_local: Dbt,
) -> None:
    """athena__percentile changed (in a copy of the project) to the nearest-rank percentile, a
    data point as approx_percentile returns on small groups: the emulation reports the marts
    differ."""
    project = tmp_path / "project"
    project.mkdir()
    for part in ("dbt_project.yml", "models", "macros", "data-tests"):
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / part)
    macro = project / "macros" / "cross_engine" / "percentile.sql"
    original = "{{ athena_run_analytics.default__percentile(expression, fraction) }}"
    assert macro.read_text().count(original) == 1
    nearest_rank = (  # another exact definition (nearest rank): a plausible mistake
        "element_at(array_sort(array_agg({{ expression }})), "
        "cast(ceiling(count({{ expression }}) * {{ fraction }}) as bigint))"
    )
    macro.write_text(macro.read_text().replace(original, nearest_rank))
    mutated = Dbt(
        tmp_path / "dbt",
        athena_compiled.warehouse_root,
        env=athena_compiled.env,
        vars=athena_compiled.vars,
        project_dir=project,
    )
    # the first build's SQL, as athena_nodes holds it: --full-refresh, whatever the shared Glue
    # catalog holds by now (athena_incremental_compiled leaves the marts there)
    mutated.run(
        "compile", "--target", "athena", "--full-refresh", "--select", "fct_run_metric_summary"
    )
    compiled = next((mutated.target_path / "compiled").rglob("fct_run_metric_summary.sql"))
    assert "run_date >=" not in compiled.read_text()
    assert nearest_rank.split("(")[0] in compiled.read_text()
    nodes = {
        uid: (
            CompiledNode(**{**node.__dict__, "sql": compiled.read_text()})
            if node.name == "fct_run_metric_summary"
            else node
        )
        for uid, node in athena_nodes.items()
    }
    emulation = AthenaEmulation(emulation_warehouse.root)
    try:
        emulation.build(nodes)
        found = differences(emulation, emulation_local.duckdb_path, "fct_run_metric_summary")
    finally:
        emulation.close()
    assert found
    assert {f.split(":")[0] for f in found} <= {
        "fct_run_metric_summary.p50_value",
        "fct_run_metric_summary.p95_value",
    }


# --- the DuckDB side of "number text survives", over many doubles ----------------------------


def _duckdb_number_text_sql(column: str) -> str:
    """macros/cross_engine/json_number_text.sql's duckdb__ implementation, rendered by Jinja."""
    import jinja2

    text = (REPO / "macros" / "cross_engine" / "json_number_text.sql").read_text()
    module = jinja2.Environment().from_string(text).make_module()
    return str(module.duckdb__json_number_text(column))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_duckdb_number_text_is_the_exported_float_text(values: list[float]) -> None:
    """The exported text of a float is Python's repr (json.dumps); DuckDB re-serialises the
    parsed number (1e-07 -> 1e-7) and json_number_text must give the exported text back."""
    exported = [json.dumps(v) for v in values]
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select token, json_extract_string(doc, '$.x') as t from ("
            "select unnest(?::varchar[]) as token) as tokens, "
            "lateral (select '{\"x\":' || token || '}' as doc) as docs",
            [exported],
        ).fetchall()
        sql = _duckdb_number_text_sql("t")
        got = [
            con.execute(f"select {sql} from (select ?::varchar as t)", [t]).fetchone()[0]  # type: ignore[index]
            for _, t in rows
        ]
    finally:
        con.close()
    assert got == [token for token, _ in rows]
