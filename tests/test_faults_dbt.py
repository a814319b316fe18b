"""Fault suite, warehouse values: a small hand-written run, exported through the public API and
built by dbt on the local target **under TZ=America/New_York**, checked value by value against
numbers written down here (not computed by the exporter's own helpers or the reference sweep).

It pins what a mutation check found unpinned: timestamps by value (the to_utc_timestamp macro
under a non-UTC zone), p95, param_count, param_hash_matches = false for a stale params object,
and the mixed-write count in dim_runs. dbt runs as a subprocess with ``TZ`` set explicitly, so
the check holds whatever zone the suite itself runs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from _dbt_scenario import Dbt

from exporter import ExportSettings, RunContext, ShardWriter, export_run_context

pytestmark = [pytest.mark.dbt, pytest.mark.filterwarnings("ignore::exporter.SmallShardWarning")]

RUN = "tz-run"
ACCEPTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
#: point -> peak metric (points 0..7, all succeeded)
PEAKS = [3.0, 1.0, 4.0, 1.5, 9.0, 2.5, 6.0, 5.0]
#: by hand: sorted 1.0 1.5 2.5 3.0 4.0 5.0 6.0 9.0; p95 position 0.95 * 7 = 6.65 between
#: 6.0 and 9.0 -> 6.0 + 0.65 * 3.0; p50 position 3.5 between 3.0 and 4.0
P95, P50, MEAN = 7.95, 3.5, 32.0 / 8
#: point 0 started at 14:00:00.123 at UTC+2, which is 12:00:00.123 UTC (written down, not derived)
START0_LOCAL = datetime(2026, 11, 23, 14, 0, 0, 123000, tzinfo=timezone(timedelta(hours=2)))
START0_UTC_NAIVE = datetime(2026, 11, 23, 12, 0, 0, 123000)


def params(i: int, stale: bool = False) -> dict[str, object]:
    return {"a": i + (100 if stale else 0), "b": {"c": [1, 2]}, "name": f"p{i}"}  # 3 top-level


def context() -> RunContext:
    return RunContext(
        run_id=RUN,
        accepted_at=ACCEPTED,
        request_source="api",
        code_version="v1",
        points_per_shard=4,
        point_count=8,
        sweep_config={"grid": {"a": list(range(8))}},
    )


def write(root: Path, shard: int, *, stale: bool = False) -> None:
    ref = context().ref()
    with ShardWriter(root, ref, shard, settings=ExportSettings()) as w:
        for i in ref.shard_points(shard):
            start = START0_LOCAL + timedelta(minutes=i)
            w.add_point(
                i,
                params(i, stale),
                started_at=start,
                finished_at=start + timedelta(seconds=2),
                metrics={"peak": PEAKS[i]},
            )


@pytest.fixture(scope="module")
def dbt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dbt]:
    base = tmp_path_factory.mktemp("dbt_values")
    root = base / "raw"
    export_run_context(root, context())
    write(root, 0)
    # shard 1: a stale params object of an earlier write beside the outcomes of a later one
    write(root, 1, stale=True)
    part = root / "effective_params" / "run_date=2026-11-23" / f"run_id={RUN}"
    stale = (part / "shard-00001.parquet").read_bytes()
    write(root, 1)
    (part / "shard-00001.parquet").write_bytes(stale)
    runner = Dbt(base / "dbt", str(root), env={"TZ": "America/New_York"})
    runner.run("run", "--target", "local")
    yield runner


def test_timestamps_are_utc_wall_clock_under_new_york(dbt: Dbt) -> None:
    rows = dbt.query(
        f"select point_index, started_at, finished_at from fct_point_outcomes "
        f"where run_id = '{RUN}' order by point_index"
    )
    assert rows[0][1] == START0_UTC_NAIVE
    assert rows[0][2] == START0_UTC_NAIVE + timedelta(seconds=2)
    assert rows[7][1] == START0_UTC_NAIVE + timedelta(minutes=7)
    [(accepted_at, first_started)] = dbt.query(
        f"select run_accepted_at, started_at from fct_point_outcomes "
        f"where run_id = '{RUN}' and point_index = 0"
    )
    assert accepted_at == datetime(2026, 11, 23, 9, 30)
    assert first_started == START0_UTC_NAIVE


def test_metric_summary_against_hand_computed_values(dbt: Dbt) -> None:
    [(n, mean, lo, hi, p50, p95)] = dbt.query(
        "select point_count, mean_value, min_value, max_value, p50_value, p95_value "
        f"from fct_run_metric_summary where run_id = '{RUN}' and metric_name = 'peak'"
    )
    assert (n, lo, hi) == (8, 1.0, 9.0)
    assert mean == pytest.approx(MEAN)
    assert p50 == pytest.approx(P50)
    assert p95 == pytest.approx(P95)


def test_param_count_and_param_hash_matches(dbt: Dbt) -> None:
    rows = dbt.query(
        "select point_index, param_count, param_hash_matches from fct_point_outcomes "
        f"where run_id = '{RUN}' order by point_index"
    )
    assert [r[1] for r in rows] == [3] * 8
    # shard 0 is one write; shard 1's params object is the stale one (other values of "a")
    assert [r[2] for r in rows] == [True] * 4 + [False] * 4


def test_dim_runs_counts_the_mixed_shard(dbt: Dbt) -> None:
    [(status, mixed, run_date)] = dbt.query(
        f"select run_status, mixed_write_shard_count, run_date from dim_runs where run_id = '{RUN}'"
    )
    assert (status, mixed, run_date) == ("complete", 1, date(2026, 11, 23))


def test_the_data_tests_flag_the_stale_params(dbt: Dbt) -> None:
    proc = dbt.run("test", "--target", "local", check=False)
    assert proc.returncode == 1
    results = dbt.results()
    assert results["outcomes_param_hash_matches_params"] == "fail"
    assert results["outcomes_write_id_matches_params"] == "warn"
    assert results["outcomes_point_is_unique"] == "pass"
