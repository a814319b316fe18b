"""dbt end to end on the local target (embedded DuckDB) over a reference sweep.

One export and one ``dbt build`` for the module; every check reads what dbt built and compares
it with what was handed to the exporter, never with dbt's own output.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from _dbt_scenario import Dbt, ExportedRun, export_reference_sweep

from exporter import _contract as contract
from exporter.reference import SimulationError, plan_points, simulate

pytestmark = pytest.mark.dbt

Built = tuple[Dbt, dict[str, ExportedRun]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    base = tmp_path_factory.mktemp("dbt_local")
    root = base / "raw"
    runs = export_reference_sweep(str(root))
    dbt = Dbt(base / "dbt", str(root))
    dbt.run("build", "--target", "local")
    # the build's results, kept: the module's later invocations (docs generate, show) write
    # run_results.json again
    shutil.copy(dbt.target_path / "run_results.json", dbt.workdir / BUILD_RESULTS)
    yield dbt, runs


#: the copy of the module build's run_results.json, in its dbt workdir
BUILD_RESULTS = "build_run_results.json"


def test_build_passes_models_data_tests_and_unit_tests(built: Built) -> None:
    dbt, _ = built
    results = dbt.results(dbt.workdir / BUILD_RESULTS)
    assert results, "dbt build ran nothing"
    assert set(results.values()) <= {"success", "pass"}, results
    for node in (
        "fct_point_outcomes",
        "dim_runs",
        "fct_run_metric_summary",
        "outcomes_point_is_unique",
        "outcomes_point_has_params",
        "outcomes_param_hash_matches_params",
        "effective_params_point_is_unique",
        "unique_stg_sweep__run_contexts_run_id",
        "dim_runs_derives_status_from_planned_and_observed",
        "fct_point_comparisons_presence_of_an_uneven_pair",
    ):
        assert node in results, f"{node} did not run"


def test_a_local_build_warns_about_no_athena_only_config(built: Built) -> None:
    """The marts' Athena-only config (partitioned_by, table_type, …) is unset on the local
    target: dbt-duckdb would warn once per mart that it ignores partitioned_by."""
    dbt, _ = built
    log = (dbt.workdir / "logs" / "dbt.log").read_text()
    assert "Concurrency: 2 threads" in log  # the build's log, not an empty file
    assert "DuckLake" not in log
    assert "ignoring" not in log.lower()


def test_one_fact_row_per_exported_outcome_with_its_exported_params(
    built: Built,
) -> None:
    dbt, runs = built
    rows = dbt.query(
        "select run_id, point_index, shard_id, params_json, param_beta, param_gamma, "
        "param_population, param_model, param_r0, request_source, config_fingerprint "
        "from fct_point_outcomes"
    )
    keys = [(r[0], r[1]) for r in rows]
    expected = {(run_id, i) for run_id, run in runs.items() for i in run.params}
    assert len(keys) == len(set(keys)) == len(expected)
    assert set(keys) == expected
    for run_id, index, shard_id, params_json, *typed, source, fp in rows:
        params = runs[run_id].params[index]
        assert json.loads(params_json) == params
        assert shard_id == index // 4
        names = ("beta", "gamma", "population", "model", "r0")
        assert tuple(typed) == tuple(params[n] for n in names)
        assert isinstance(typed[2], int) and isinstance(typed[0], float)
        assert source == "cli"
        assert fp is not None and len(fp) == 64


def test_outcome_and_metrics_match_the_simulation(built: Built) -> None:
    dbt, runs = built
    rows = dbt.query(
        "select run_id, point_index, outcome_status, error_message, metric_peak_infected, "
        "metric_attack_rate from fct_point_outcomes"
    )
    failed = 0
    for run_id, index, status, error, peak, attack in rows:
        try:
            metrics = simulate(runs[run_id].params[index])
        except SimulationError:
            failed += 1
            assert (status, peak, attack) == ("failed", None, None) and error
            continue
        assert status == "succeeded" and error is None
        assert peak == pytest.approx(metrics["peak_infected"], rel=1e-12)
        assert attack == pytest.approx(metrics["attack_rate"], rel=1e-12)
    assert failed == 12  # the baseline's unstable steps: its beta = 2.5 column


def test_dim_runs_completeness_and_status(built: Built) -> None:
    dbt, runs = built
    rows = dbt.query(
        "select run_id, run_status, planned_shard_count, observed_shard_count, "
        "missing_shard_count, planned_point_count, observed_point_count, failed_point_count, "
        "request_source from dim_runs"
    )
    got = {r[0]: r[1:] for r in rows}
    assert set(got) == set(runs)
    for run_id, run in runs.items():
        status, planned_s, observed_s, missing_s, planned_p, observed_p, _, src = got[run_id]
        assert planned_s == run.planned_shards
        assert observed_s == run.planned_shards - len(run.skipped_shards)
        assert missing_s == len(run.skipped_shards)
        assert observed_p == len(run.params)
        assert planned_p >= observed_p
        assert src == "cli"
        assert status == ("partial" if run.skipped_shards else "complete"), run_id
    assert got["sir-fine-step-20261121"][0] == "partial"
    assert got["sir-baseline-20261120"][0] == "complete"
    assert got["sir-baseline-20261120"][6] == 12
    assert set(contract.RUN_STATUSES) >= {r[1] for r in rows}


def test_metric_summary_matches_the_simulation(built: Built) -> None:
    dbt, runs = built
    rows = dbt.query(
        "select run_id, metric_name, point_count, mean_value, min_value, max_value, p50_value, "
        "p95_value from fct_run_metric_summary"
    )
    assert len(rows) == len(runs) * 4
    for run_id, metric, count, mean, low, high, p50, p95 in rows:
        values = []
        for params in runs[run_id].params.values():
            with contextlib.suppress(SimulationError):
                values.append(simulate(params)[metric])
        assert count == len(values)
        assert mean == pytest.approx(statistics.fmean(values), rel=1e-9)
        assert (low, high) == (pytest.approx(min(values)), pytest.approx(max(values)))
        assert p50 == pytest.approx(statistics.median(values), rel=1e-9)
        assert low <= p50 <= p95 <= high


def test_unpivoted_params_are_typed_from_the_canonical_json(
    built: Built,
) -> None:
    dbt, runs = built
    rows = dbt.query(
        "select run_id, point_index, param_name, param_type, param_value_bigint, "
        "param_value_double, param_value_string from int_effective_params_unpivoted"
    )
    expected = sum(len(p) for run in runs.values() for p in run.params.values())
    assert len(rows) == expected
    for run_id, index, name, type_, as_int, as_double, as_text in rows:
        value = runs[run_id].params[index][name]
        if isinstance(value, str):
            assert (type_, as_text) == ("string", value)
        elif isinstance(value, int):
            assert (type_, as_int, as_double) == ("integer", value, float(value))
        else:
            assert (type_, as_int, as_double) == ("float", None, value)


def test_a_run_query_reads_no_raw_file(built: Built) -> None:
    """Staging is a DuckDB table on the local target: a one-run query reads no Parquet object
    (and lists none), so it costs the same at any store size."""
    dbt, runs = built
    run_id = "sir-large-town-20261121"
    import duckdb

    with duckdb.connect(str(dbt.duckdb_path), read_only=True) as con:
        con.execute("set explain_output = 'all'")
        for model in ("stg_sweep__outcomes", "fct_point_outcomes"):
            plan = "\n".join(
                str(row[1])
                for row in con.sql(
                    f"explain analyze select count(*) from {model} where run_id = '{run_id}'"
                ).fetchall()
            )
            assert "Table Scan" in plan, plan
            assert not re.search(r"READ_PARQUET|Files Read", plan, re.I), plan
            total = con.sql(f"select count(*) from {model} where run_id = '{run_id}'").fetchall()
            assert total == [(len(runs[run_id].params),)]


def test_the_local_database_file_has_128_kib_blocks(built: Built) -> None:
    """profiles.example.yml creates the DuckDB file with 128 KiB blocks, not DuckDB's default
    256 KiB: a one-run query from a fresh connection reads (and checksums) whole blocks, so half
    the bytes per block it touches (docs/dbt.md, "Target local")."""
    dbt, _ = built
    sizes = dbt.query(
        "select block_size from pragma_database_size() where database_name = current_database()"
    )
    assert sizes == [(128 * 1024,)]


def test_docs_generate_on_the_local_target(built: Built) -> None:
    dbt, _ = built
    dbt.run("docs", "generate", "--target", "local")
    catalog = json.loads((dbt.target_path / "catalog.json").read_text())
    manifest = json.loads((dbt.target_path / "manifest.json").read_text())
    nodes = catalog["nodes"]
    assert any(k.endswith(".fct_point_outcomes") for k in nodes)
    assert any(k.endswith(".dim_runs") for k in nodes)
    source = manifest["sources"]["source.athena_run_analytics.sweep.outcomes"]
    assert "one row per executed point" in source["description"]
    for model in manifest["nodes"].values():
        if model["resource_type"] == "model":
            assert re.search(r"one row per", model["description"], re.I), model["name"]


def _best_by_simulation(run: ExportedRun) -> tuple[int, float, int, int]:
    """(point_index, peak_infected) of the lowest peak, and (succeeded, failed), by simulating."""
    peaks: dict[int, float] = {}
    failed = 0
    for index, params in run.params.items():
        try:
            peaks[index] = simulate(params)["peak_infected"]
        except SimulationError:
            failed += 1
    index = min(peaks, key=lambda i: (peaks[i], i))
    return index, peaks[index], len(peaks), failed


def test_ara_summary_states_status_counts_and_best_point_per_run(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    from exporter.cli import main

    dbt, runs = built
    assert main(["summary", "--duckdb", str(dbt.duckdb_path)]) == 0
    out = capsys.readouterr().out
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in out.split("\n\n")[1:]}
    assert out.splitlines()[0].startswith("3 runs in ")
    assert set(blocks) == set(runs)
    for run_id, run in runs.items():
        status, best, value_range, config = blocks[run_id]
        index, _peak, succeeded, failed = _best_by_simulation(run)
        planned = len(plan_points(run.config))
        assert (
            status.split(None, 1)[1]
            .split(":")[1]
            .startswith(f" {succeeded} of {planned} points succeeded, {failed} failed")
        ), status
        params = run.params[index]
        assert f" at point {index} (beta {params['beta']:g}, gamma {params['gamma']:g}" in best
        assert best.split()[:3] == ["best", "point", "peak_infected"]
        assert value_range.split()[0] == "range"
        assert config.split()[:3] == ["config", "fingerprint", config.split()[2]]
        assert len(config.split()[2]) == 12 and "code version reference-sir" in config
    assert blocks["sir-fine-step-20261121"][0].split()[1] == "partial:"
    assert "not run (1 of 2 shards arrived)" in blocks["sir-fine-step-20261121"][0]
    assert blocks["sir-baseline-20261120"][0].split()[1] == "complete:"


def test_ara_summary_without_a_build_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from exporter.cli import main

    assert main(["summary", "--duckdb", str(tmp_path / "none.duckdb")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no DuckDB file at" in err[0] and "dbt build" in err[0]


def test_best_point_analysis_agrees_with_the_simulation(built: Built) -> None:
    """analyses/best_point_per_run.sql through `dbt show`: the lowest peak of each run."""
    dbt, runs = built
    shown = dbt.run("show", "--select", "best_point_per_run", "--output", "json", "--log-format",
                    "json", "--limit", "10")  # fmt: skip
    preview = next(
        json.loads(line)["data"]["preview"]
        for line in shown.stdout.splitlines()
        if '"preview"' in line
    )
    rows = {row["run_id"]: row for row in json.loads(preview)}
    assert set(rows) == set(runs)
    for run_id, run in runs.items():
        index, peak, _, _ = _best_by_simulation(run)
        assert rows[run_id]["point_index"] == index
        assert rows[run_id]["metric_value"] == pytest.approx(peak)
        assert json.loads(rows[run_id]["params_json"]) == run.params[index]
