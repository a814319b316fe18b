"""The local target with the warehouse root on S3 (a moto server over HTTP).

The exporter writes the reference sweep to s3://bucket/prefix; dbt-duckdb reads it through
fsspec/s3fs (the profile's `filesystems`), with the endpoint from AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from _dbt_scenario import Dbt, ExportedRun, export_reference_sweep
from conftest import Moto

pytestmark = [pytest.mark.dbt, pytest.mark.s3]

Built = tuple[Dbt, dict[str, ExportedRun]]


@pytest.fixture(scope="module")
def built_on_s3(moto_server: Moto, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    bucket = f"ara-dbt-{uuid.uuid4().hex[:12]}"
    root = f"s3://{bucket}/sweeps"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in moto_server.env().items():
            mp.setenv(key, value)
        moto_server.client("s3").create_bucket(Bucket=bucket)
        runs = export_reference_sweep(root)
    dbt = Dbt(tmp_path_factory.mktemp("dbt_s3"), root, env=moto_server.env())
    dbt.run("build", "--target", "local")
    yield dbt, runs


def test_build_passes_on_s3(built_on_s3: Built) -> None:
    dbt, _ = built_on_s3
    results = dbt.results()
    assert "fct_point_outcomes" in results and "outcomes_point_is_unique" in results
    assert set(results.values()) <= {"success", "pass"}, results


def test_facts_carry_the_exported_params(built_on_s3: Built) -> None:
    dbt, runs = built_on_s3
    rows = dbt.query("select run_id, point_index, params_json, param_beta from fct_point_outcomes")
    assert {(r[0], r[1]) for r in rows} == {(k, i) for k, run in runs.items() for i in run.params}
    assert len(rows) == sum(len(run.params) for run in runs.values())
    for run_id, index, params_json, beta in rows:
        assert json.loads(params_json) == runs[run_id].params[index]
        assert beta == runs[run_id].params[index]["beta"]


def test_partial_and_complete_runs_on_s3(built_on_s3: Built) -> None:
    dbt, runs = built_on_s3
    got = dict(dbt.query("select run_id, run_status from dim_runs"))
    assert got == {k: "partial" if run.skipped_shards else "complete" for k, run in runs.items()}
    assert "partial" in got.values() and "complete" in got.values()
