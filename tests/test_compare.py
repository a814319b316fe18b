"""Comparing two runs point by point: the fct_point_comparisons mart, ``ara compare`` and
``ara report --compare``, over hand-built exports (the exporter's own ``export_run_context`` and
``ShardWriter`` write exactly the values below) and one ``dbt build`` on the local target.

Every expected count and delta is written here literally, from the values handed to the
exporter; none is computed with the product's code. The athena target's equality with the local
one is tests/test_athena_emulation.py's (the mart is in PROJECT_MODELS and MARTS there).

The corner cases of ``compare_runs`` (equal changes, a metric one run lacks, repeated
parameters) run over a stand-in DuckDB file with only the mart columns the command reads (the
``stand_in`` fixture), checked against the real marts' columns and types.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _dbt_scenario import Dbt, write_two_run_marts

from exporter import RunContext, ShardWriter, export_run_context
from exporter.cli import main
from exporter.reports import compare_runs, comparison_lines

pytestmark = pytest.mark.dbt

#: (beta, gamma) -> peak_infected of the base run, in plan order (point_index 0..5)
BASE_PEAKS: dict[tuple[float, float], float] = {
    (0.2, 0.1): 100.0,
    (0.2, 0.2): 50.0,
    (0.4, 0.1): 400.0,
    (0.4, 0.2): 200.0,
    (0.8, 0.1): 800.0,
    (0.8, 0.2): 600.0,
}
BASE = "base-1"
SAME = "same-2"  # same config as BASE (so the automatic pair), same values
CHANGED = "changed-3"  # (0.4, 0.2): peak 250 instead of 200
OVERLAP = "overlap-4"  # beta 0.4, 0.8 and a new 1.6 column, in reverse plan order
FAILED = "failed-5"  # (0.8, 0.2) failed
#: run id -> (accepted_at, config name, points as ((beta, gamma), peak or None for failed))
RUNS: dict[str, tuple[datetime, str, list[tuple[tuple[float, float], float | None]]]] = {
    BASE: (datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "grid", list(BASE_PEAKS.items())),
    SAME: (datetime(2026, 11, 20, 10, 0, tzinfo=UTC), "grid", list(BASE_PEAKS.items())),
    CHANGED: (
        datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        "changed",
        [(k, 250.0 if k == (0.4, 0.2) else v) for k, v in BASE_PEAKS.items()],
    ),
    OVERLAP: (
        datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        "overlap",
        [
            ((1.6, 0.2), 900.0),
            ((1.6, 0.1), 950.0),
            ((0.8, 0.2), 600.0),
            ((0.8, 0.1), 800.0),
            ((0.4, 0.2), 200.0),
            ((0.4, 0.1), 400.0),
        ],
    ),
    FAILED: (
        datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        "failed",
        [(k, None if k == (0.8, 0.2) else v) for k, v in BASE_PEAKS.items()],
    ),
}
PAIRS = [[BASE, CHANGED], [BASE, OVERLAP], [BASE, FAILED]]


def _export(root: str, run_id: str) -> None:
    accepted, name, points = RUNS[run_id]
    context = RunContext(
        run_id=run_id,
        accepted_at=accepted,
        request_source="test",
        code_version=f"code-{name}",
        points_per_shard=3,
        point_count=len(points),
        sweep_config={"name": name},
    )
    export_run_context(root, context)
    for shard in range(2):
        with ShardWriter(root, context.ref(), shard) as writer:
            for index in range(shard * 3, shard * 3 + 3):
                (beta, gamma), peak = points[index]
                params = {"beta": beta, "gamma": gamma, "model": "hand-built"}
                started = accepted + timedelta(minutes=1, seconds=index)
                finished = started + timedelta(seconds=1)
                if peak is None:
                    writer.add_point(
                        index, params, started_at=started, finished_at=finished, error="diverged"
                    )
                else:
                    metrics = {"peak_infected": peak, "attack_rate": 0.5}
                    writer.add_point(
                        index, params, started_at=started, finished_at=finished, metrics=metrics
                    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dbt]:
    base = tmp_path_factory.mktemp("compare")
    root = base / "raw"
    for run_id in RUNS:
        _export(str(root), run_id)
    dbt = Dbt(base / "dbt", str(root), vars={"comparison_pairs": PAIRS})
    dbt.run("build", "--target", "local")
    results = dbt.results()
    assert set(results.values()) <= {"success", "pass"}, results
    assert "fct_point_comparisons_point_is_unique_in_pair" in results
    yield dbt


def _pair_counts(dbt: Dbt, base: str, new: str) -> dict[str, Any]:
    ((source, matched, only_base, only_new, up, down, changed),) = dbt.query(
        "select min(pair_source), count(*) filter (where presence = 'in_both'), "
        "count(*) filter (where presence = 'only_in_base'), "
        "count(*) filter (where presence = 'only_in_new'), "
        "count(*) filter (where status_change = 'failed_to_succeeded'), "
        "count(*) filter (where status_change = 'succeeded_to_failed'), "
        "count(*) filter (where metric_peak_infected_change != 0) "
        f"from fct_point_comparisons where base_run_id = '{base}' and new_run_id = '{new}'"
    )
    return {
        "source": source,
        "matched": matched,
        "only_in_base": only_base,
        "only_in_new": only_new,
        "failed_to_succeeded": up,
        "succeeded_to_failed": down,
        "changed": changed,
    }


def test_the_mart_compares_the_automatic_and_the_named_pairs(built: Dbt) -> None:
    pairs = built.query(
        "select distinct base_run_id, new_run_id, pair_source, cast(run_date as varchar) "
        "from fct_point_comparisons order by 1, 2"
    )
    assert pairs == [
        (BASE, CHANGED, "comparison_pairs", "2026-11-21"),
        (BASE, FAILED, "comparison_pairs", "2026-11-22"),  # the later run's run_date
        (BASE, OVERLAP, "comparison_pairs", "2026-11-21"),
        (BASE, SAME, "config_family", "2026-11-20"),  # same config fingerprint, accepted later
    ]


def test_identical_runs_change_nothing(built: Dbt) -> None:
    assert _pair_counts(built, BASE, SAME) == {
        "source": "config_family",
        "matched": 6,
        "only_in_base": 0,
        "only_in_new": 0,
        "failed_to_succeeded": 0,
        "succeeded_to_failed": 0,
        "changed": 0,
    }
    c = compare_runs(str(built.duckdb_path), BASE, SAME)
    assert (c.matched, c.only_in_base, c.only_in_new, c.changed_points) == (6, 0, 0, 0)
    assert c.changed_by_metric == {"attack_rate": 0, "peak_infected": 0}
    assert c.largest == ()
    assert c.base_fingerprint == c.new_fingerprint and c.base_fingerprint is not None


def test_one_changed_point_is_reported_with_its_delta(built: Dbt) -> None:
    assert _pair_counts(built, BASE, CHANGED)["changed"] == 1
    rows = built.query(
        "select base_point_index, new_point_index, metric_peak_infected_base, "
        "metric_peak_infected_new, metric_peak_infected_change, "
        "metric_peak_infected_relative_change, status_change from fct_point_comparisons "
        f"where new_run_id = '{CHANGED}' and metric_peak_infected_change != 0"
    )
    assert rows == [(3, 3, 200.0, 250.0, 50.0, 0.25, "unchanged")]
    c = compare_runs(str(built.duckdb_path), BASE, CHANGED)
    assert c.changed_points == 1 and c.changed_by_metric == {"attack_rate": 0, "peak_infected": 1}
    (change,) = c.largest
    assert (change.metric, change.base_index, change.base, change.new) == (
        "peak_infected",
        3,
        200.0,
        250.0,
    )
    assert (change.change, change.relative) == (50.0, 0.25)
    text = "\n".join(comparison_lines(c))
    assert "peak_infected 200 -> 250 (+50, +25%) at point 3 (beta 0.4, gamma 0.2)" in text
    assert "changed             1 of 6 points succeeded in both (exact, 2 metrics)" in text
    assert "config fingerprint  differs" in text
    assert "code version        differs: code-grid -> code-changed" in text


def test_a_tolerance_leaves_small_changes_out(built: Dbt) -> None:
    path = str(built.duckdb_path)
    assert compare_runs(path, BASE, CHANGED, rtol=0.3).changed_points == 0  # 25 % < 30 %
    assert compare_runs(path, BASE, CHANGED, rtol=0.2).changed_points == 1
    only_attack = compare_runs(path, BASE, CHANGED, metric="attack_rate")
    assert only_attack.changed_points == 0 and only_attack.changed_by_metric == {"attack_rate": 0}


def test_a_partly_overlapping_grid_matches_by_parameters_not_position(built: Dbt) -> None:
    assert _pair_counts(built, BASE, OVERLAP) == {
        "source": "comparison_pairs",
        "matched": 4,
        "only_in_base": 2,
        "only_in_new": 2,
        "failed_to_succeeded": 0,
        "succeeded_to_failed": 0,
        "changed": 0,  # matched by param_hash: reversed point_index order, same values
    }
    positions = built.query(
        "select base_point_index, new_point_index from fct_point_comparisons "
        f"where new_run_id = '{OVERLAP}' order by base_point_index nulls last, new_point_index"
    )
    assert positions == [(0, None), (1, None), (2, 5), (3, 4), (4, 3), (5, 2), (None, 0), (None, 1)]
    c = compare_runs(str(built.duckdb_path), BASE, OVERLAP)
    assert (c.matched, c.only_in_base, c.only_in_new, c.changed_points) == (4, 2, 2, 0)


def test_a_point_failed_in_one_run_is_a_status_change(built: Dbt) -> None:
    counts = _pair_counts(built, BASE, FAILED)
    assert (counts["matched"], counts["succeeded_to_failed"], counts["failed_to_succeeded"]) == (
        6,
        1,
        0,
    )
    ((index, base_status, new_status, peak_base, peak_new, change),) = built.query(
        "select base_point_index, base_outcome_status, new_outcome_status, "
        "metric_peak_infected_base, metric_peak_infected_new, metric_peak_infected_change "
        f"from fct_point_comparisons where new_run_id = '{FAILED}' "
        "and status_change = 'succeeded_to_failed'"
    )
    assert (index, base_status, new_status, peak_base, peak_new, change) == (
        5,
        "succeeded",
        "failed",
        600.0,
        None,
        None,
    )
    c = compare_runs(str(built.duckdb_path), BASE, FAILED)
    assert (c.succeeded_to_failed, c.failed_to_succeeded) == (1, 0)
    assert (c.succeeded_in_both, c.changed_points) == (5, 0)
    # the other way round, it is the reverse change
    back = compare_runs(str(built.duckdb_path), FAILED, BASE)
    assert (back.succeeded_to_failed, back.failed_to_succeeded) == (0, 1)


def test_the_command_agrees_with_the_mart_on_every_pair_it_holds(built: Dbt) -> None:
    for base, new, *_ in built.query(
        "select distinct base_run_id, new_run_id from fct_point_comparisons"
    ):
        counts = _pair_counts(built, base, new)
        c = compare_runs(str(built.duckdb_path), base, new, metric="peak_infected")
        assert (c.matched, c.only_in_base, c.only_in_new) == (
            counts["matched"],
            counts["only_in_base"],
            counts["only_in_new"],
        ), (base, new)
        assert (c.failed_to_succeeded, c.succeeded_to_failed, c.changed_points) == (
            counts["failed_to_succeeded"],
            counts["succeeded_to_failed"],
            counts["changed"],
        ), (base, new)


def test_ara_compare_exit_statuses(built: Dbt, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--duckdb", str(built.duckdb_path)]
    assert main(["compare", BASE, CHANGED, *db]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"compare {CHANGED} (new) with {BASE} (base)")
    assert "6 matched, 0 only in base, 0 only in new" in out
    assert main(["compare", BASE, "no-such-run", *db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ara: error: run no-such-run is not in dim_runs"), err
    assert "Traceback" not in err
    # a run id shaped like an access key id is masked, as in every error of the exporter
    assert main(["compare", BASE, "AKIAIOSFODNN7EXAMPLE", *db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ara: error: run ") and "AKIAIOSFODNN7EXAMPLE" not in err, err
    assert main(["compare", BASE, CHANGED, *db, "--metric", "nope"]) == 2
    assert "--metric='nope': is not a metric of these runs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["compare", BASE, CHANGED, *db, "--rtol", "-1"])
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as usage:
        main(["compare", BASE])
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as helped:
        main(["compare", "--help"])
    assert helped.value.code == 0
    assert "param_hash" in capsys.readouterr().out
    missing = str(built.workdir / "missing.duckdb")
    assert main(["compare", BASE, CHANGED, "--duckdb", missing]) == 1


# ------------------------------------------------- compare_runs over a stand-in for the marts

#: The columns ``ara compare`` reads from the marts (exporter/reports/_compare.py ``_RUN`` and
#: ``_MATCHED``), with the types the local target builds them with (models/marts/dim_runs.sql,
#: fct_point_outcomes.sql); test_the_stand_in_has_the_real_marts_columns checks them against
#: the dbt build of this module.
STAND_IN_COLUMNS: dict[str, dict[str, str]] = {
    "dim_runs": {
        "run_id": "VARCHAR",
        "run_status": "VARCHAR",
        "config_fingerprint": "VARCHAR",
        "code_version": "VARCHAR",
    },
    "fct_point_outcomes": {
        "run_id": "VARCHAR",
        "point_index": "BIGINT",
        "param_hash": "VARCHAR",
        "outcome_status": "VARCHAR",
        "metrics": "MAP(VARCHAR, DOUBLE)",
        "params_json": "VARCHAR",
    },
}
#: run id -> points in point_index order: (parameter x, metrics, or None for a failed point)
STAND_IN_RUNS: dict[str, list[tuple[int, dict[str, float] | None]]] = {
    # points 1 and 2 change peak by the same absolute amount (+10 and -10), point 3 by +5
    "tie-base": [(0, {"peak": 10.0}), (1, {"peak": 100.0}), (2, {"peak": 50.0}), (3, {"peak": 7})],
    "tie-new": [(0, {"peak": 10.0}), (1, {"peak": 110.0}), (2, {"peak": 40.0}), (3, {"peak": 12})],
    # metric extra: only the base run has it at point 0, only the new run at point 1, neither
    # at point 2; point 3 failed in the base run (a status change, not a metric change)
    "absent-base": [
        (0, {"peak": 1.0, "extra": 5.0}),
        (1, {"peak": 2.0}),
        (2, {"peak": 3.0}),
        (3, None),
    ],
    "absent-new": [
        (0, {"peak": 1.0}),
        (1, {"peak": 2.0, "extra": 3.0}),
        (2, {"peak": 3.0}),
        (3, {"peak": 4.0, "extra": 1.0}),
    ],
    # x = 0 three times in the base run, twice in the new run: the k-th matches the k-th
    "repeat-base": [(0, {"peak": 1.0}), (0, {"peak": 2.0}), (0, {"peak": 3.0}), (1, {"peak": 4})],
    "repeat-new": [(0, {"peak": 1.0}), (0, {"peak": 2.0}), (1, {"peak": 4.0})],
}


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB file holding only what ``ara compare`` reads of the marts: ``dim_runs`` and
    ``fct_point_outcomes`` with the columns of STAND_IN_COLUMNS (names and types as dbt builds
    them) and the hand-written rows of STAND_IN_RUNS.

    A stand-in rather than more runs in the ``built`` module fixture: these cases (equal
    changes, a metric one run lacks, repeated parameters) need no export and no dbt build, so
    they run in milliseconds and each can be re-run alone; the mart's own matching is the
    built fixture's (and fct_point_comparisons' unit tests). ``param_hash`` is the SHA-256 of
    the parameters' JSON, as the exporter's is of their canonical JSON.
    """
    import duckdb

    path = tmp_path_factory.mktemp("compare_stand_in") / "marts.duckdb"
    with duckdb.connect(str(path)) as con:
        for table, columns in STAND_IN_COLUMNS.items():
            typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            con.execute(f"create table {table} ({typed})")
        for run_id, points in STAND_IN_RUNS.items():
            con.execute(
                "insert into dim_runs values (?, 'complete', ?, 'code-1')", [run_id, f"fp-{run_id}"]
            )
            for index, (x, metrics) in enumerate(points):
                params = json.dumps({"model": "stand-in", "x": x}, separators=(",", ":"))
                con.execute(
                    "insert into fct_point_outcomes values "
                    "(?, ?, ?, ?, map(?::varchar[], ?::double[]), ?)",
                    [
                        run_id,
                        index,
                        hashlib.sha256(params.encode()).hexdigest(),
                        "failed" if metrics is None else "succeeded",
                        list(metrics or {}),
                        list((metrics or {}).values()),
                        params,
                    ],
                )
    return str(path)


def test_the_stand_in_has_the_real_marts_columns(built: Dbt, stand_in: str) -> None:
    import duckdb

    sql = "select table_name, column_name, data_type from information_schema.columns"
    real = {(t, c): kind for t, c, kind in built.query(sql)}
    with duckdb.connect(stand_in, read_only=True) as con:
        rows = con.sql(sql).fetchall()
    assert {(t, c): kind for t, c, kind in rows} == {
        (t, c): kind for t, columns in STAND_IN_COLUMNS.items() for c, kind in columns.items()
    }
    for table, column, kind in rows:
        assert real.get((table, column)) == kind, (table, column)


def test_equal_changes_are_listed_lowest_point_first(stand_in: str) -> None:
    c = compare_runs(stand_in, "tie-base", "tie-new", metric="peak")
    assert c.changed_points == 3
    assert [(ch.base_index, ch.base, ch.new) for ch in c.largest] == [
        (1, 100.0, 110.0),
        (2, 50.0, 40.0),
        (3, 7.0, 12.0),
    ]
    text = comparison_lines(c)
    assert text[text.index("  largest changes") + 1 :][:3] == [
        "    peak 100 -> 110 (+10, +10%) at point 1 (x 1)",
        "    peak 50 -> 40 (-10, -20%) at point 2 (x 2)",
        "    peak 7 -> 12 (+5, +71.43%) at point 3 (x 3)",
    ]
    # without --metric, the largest change of each metric: of the two equal ones, point 1
    (largest,) = compare_runs(stand_in, "tie-base", "tie-new").largest
    assert (largest.metric, largest.base_index) == ("peak", 1)


def test_equal_changes_rank_by_point_whatever_order_they_come_in() -> None:
    """``compare_runs`` collects the changes in point order (the SQL orders the points), so
    only this direct call shows the tie-break itself: the ranking must not depend on the
    order it is handed."""
    from exporter.reports._compare import MetricChange, _largest

    params = {"x": 0}
    changes = [
        MetricChange("peak", 4, 4, params, 50.0, 40.0),
        MetricChange("peak", 9, 9, params, 1.0, 2.0),
        MetricChange("peak", 1, 1, params, 100.0, 110.0),
        MetricChange("peak", 6, 6, params, 5.0, None),
    ]
    ranked = [(ch.base_index, ch.change) for ch in _largest(changes, "peak", 5)]
    assert ranked == [(6, None), (1, 10.0), (4, -10.0), (9, 1.0)]
    assert [ch.base_index for ch in _largest(changes[:3], None, 5)] == [1]


def test_a_metric_only_one_run_has_counts_as_changed(stand_in: str) -> None:
    c = compare_runs(stand_in, "absent-base", "absent-new")
    assert (c.matched, c.succeeded_in_both, c.failed_to_succeeded) == (4, 3, 1)
    assert c.changed_points == 2  # points 0 and 1; point 2 has extra in neither run
    assert c.changed_by_metric == {"extra": 2, "peak": 0}
    only = compare_runs(stand_in, "absent-base", "absent-new", metric="extra")
    assert [(ch.base_index, ch.base, ch.new, ch.change) for ch in only.largest] == [
        (0, 5.0, None, None),
        (1, None, 3.0, None),
    ]
    text = comparison_lines(only)
    assert "    extra 5 -> absent at point 0 (x 0)" in text
    assert "    extra absent -> 3 at point 1 (x 1)" in text
    assert "  changed             2 of 3 points succeeded in both (exact, metric extra)" in text
    # a tolerance does not hide a value that is missing
    assert compare_runs(stand_in, "absent-base", "absent-new", rtol=10.0).changed_points == 2


def test_repeated_parameters_match_by_occurrence(stand_in: str) -> None:
    c = compare_runs(stand_in, "repeat-base", "repeat-new")
    assert [(p.base_index, p.new_index) for p in c.points] == [(0, 0), (1, 1), (2, None), (3, 2)]
    assert (c.matched, c.only_in_base, c.only_in_new, c.changed_points) == (3, 1, 0, 0)
    assert [dict(p.base_metrics) for p in c.points] == [
        {"peak": 1.0},
        {"peak": 2.0},
        {"peak": 3.0},
        {"peak": 4.0},
    ]
    back = compare_runs(stand_in, "repeat-new", "repeat-base")
    pairs = [(p.base_index, p.new_index) for p in back.points]
    assert len(pairs) == 4 and set(pairs) == {(0, 0), (1, 1), (2, 3), (None, 2)}
    assert (back.matched, back.only_in_base, back.only_in_new) == (3, 0, 1)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB file whose ``dim_runs`` holds runs r1 and r2 (no points)."""
    path = tmp_path_factory.mktemp("compare_two_runs") / "marts.duckdb"
    write_two_run_marts(path)
    return str(path)


def test_the_same_run_twice_is_a_usage_error(
    two_runs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ara compare X X`` compared a run with itself and said nothing changed; it is a usage
    error (exit 2) before the marts are read, and so is ``ara report --compare X X``."""
    assert main(["compare", "r1", "r1", "--duckdb", two_runs]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "ara: error: NEW='r1': BASE and NEW are the same run: name two different runs to compare"
    ]
    out = tmp_path / "report"
    report = ["report", "--duckdb", two_runs, "--out", str(out)]
    assert main([*report, "--compare", "r1", "r1"]) == 2
    err = capsys.readouterr().err
    assert "ara: error: --compare='r1': BASE and NEW are the same run" in err
    assert not out.exists()
    missing = str(tmp_path / "missing.duckdb")  # refused before the file is looked for
    assert main(["compare", "no-such", "no-such", "--duckdb", missing]) == 2


@pytest.mark.parametrize(
    ("run_id", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "run \\x1b[31mred\\x1b[0m is not in dim_runs of "),
        ("a\r\nb", "run a\\r\\nb is not in dim_runs of "),
        ("y" * 100_000, "run " + "y" * 80 + "…(100,000 chars) is not in dim_runs of "),
    ],
    ids=["ansi", "newline", "100k"],
)
def test_a_missing_run_is_echoed_escaped_and_cut(
    two_runs: str, capsys: pytest.CaptureFixture[str], run_id: str, shown: str
) -> None:
    """The run id as typed was echoed whole and raw: 100,000 characters, or ANSI escapes that
    recoloured (or cleared) the terminal."""
    assert main(["compare", "r1", run_id, "--duckdb", two_runs]) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"ara: error: {shown}{two_runs} (runs: r1, r2): "), line
    assert "\x1b" not in captured.err and "\r" not in captured.err
    assert len(line) < 300 + len(two_runs)


def test_the_comparison_header_escapes_run_ids(two_runs: str) -> None:
    """Run ids come from the marts: one with an escape in it prints escaped."""
    import dataclasses

    c = dataclasses.replace(compare_runs(two_runs, "r1", "r2"), new_run_id="new\x1b[2J")
    assert comparison_lines(c)[0] == (
        "compare new\\x1b[2J (new) with r1 (base), points matched by param_hash"
    )


# --------------------------------------------------------------------------- the report page

CHROMIUM = os.environ.get("ARA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
RED_UP = (103, 0, 31)  # RdBu_r at the top of its scale: the largest increase
FAILED_IN_NEW = (214, 39, 40)  # the marker of a point failed in the new run only


def _pixels(png: bytes, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(io.BytesIO(png)) as img:
        pixels = img.convert("RGB").get_flattened_data()
    return sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)) for p in pixels)


def test_report_compare_draws_the_change_next_to_both_surfaces(built: Dbt, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the `report` extra (matplotlib) is not installed")
    out = tmp_path / "report"
    db = ["--duckdb", str(built.duckdb_path), "--out", str(out)]
    assert main(["report", *db, "--compare", BASE, CHANGED]) == 0
    page = out / f"compare-{BASE}--{CHANGED}.html"
    png = (out / f"compare-{BASE}--{CHANGED}.png").read_bytes()
    assert page.is_file() and "data:image/png;base64," in page.read_text()
    assert main(["report", *db, "--compare", BASE, FAILED]) == 0
    unchanged = (out / f"compare-{BASE}--{FAILED}.png").read_bytes()
    # the one changed cell at the top of the scale; unchanged, only the colour bar has the red
    assert _pixels(png, RED_UP) - _pixels(unchanged, RED_UP) > 2000
    # the failed point's marks (the x on the new surface, the triangle on the change)
    assert _pixels(unchanged, FAILED_IN_NEW) > 50
    assert _pixels(png, FAILED_IN_NEW) == 0
    assert main(["report", *db, "--compare", BASE, "no-such-run"]) == 1


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"no chromium at {CHROMIUM}")
def test_the_comparison_page_opens_in_chromium(built: Dbt, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the `report` extra (matplotlib) is not installed")
    out = tmp_path / "report"
    report = ["report", "--duckdb", str(built.duckdb_path), "--out", str(out)]
    assert main(report) == 0
    assert main([*report, "--compare", BASE, OVERLAP]) == 0
    url = (out / f"compare-{BASE}--{OVERLAP}.html").as_uri()
    browser = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=10000",
        "--window-size=1400,1000",
    ]
    dom = subprocess.run(
        [*browser, "--dump-dom", url], capture_output=True, text=True, timeout=180, check=True
    ).stdout
    assert f"Compare {OVERLAP} with {BASE}" in dom
    assert "4 matched, 2 only in base, 2 only in new" in dom
    assert 'alt="change of peak_infected over beta x gamma"' in dom
    shot = tmp_path / "page.png"
    subprocess.run(
        [*browser, f"--screenshot={shot}", url], capture_output=True, timeout=180, check=True
    )
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(shot) as img:
        colours = len(set(img.convert("RGB").get_flattened_data()))
    assert colours > 200, f"the comparison page shows {colours} colours: is the image drawn?"
