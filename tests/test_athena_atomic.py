"""Issue 15, the statement walks: an incremental build and a full refresh made to fail at
each kind of statement (or at statement 1, 1+STRIDE, …) leave every mart exactly as before
(tests/_athena_scene.py)."""

from __future__ import annotations

import pytest
from _athena_scene import STRIDE, Scene, scene, walk

pytestmark = [pytest.mark.dbt, pytest.mark.s3, pytest.mark.athena_faults]
__all__ = ["scene"]  # the module-scoped fixture (each module its own endpoint)
#: this module's endpoint region: its own Glue catalog (not another module's)
ATHENA_REGION = "sa-east-1"


def assert_walked(count: int, failed: list[str], *kinds: str) -> None:
    """Every STRIDE-th statement was failed, or (the kind walk) the kinds named among others."""
    if STRIDE is not None:
        assert len(failed) >= max(1, (count - 1) // STRIDE), (count, failed)
        return
    for kind in kinds:  # the passing build met no kind not in ``failed`` (walk)
        assert [f for f in failed if f.startswith(kind)], (kind, failed)


def test_an_incremental_build_failing_at_any_statement_changes_no_mart(scene: Scene) -> None:
    """With a late retry of an old run too (reprocess_run_ids): its comparisons with a run of
    the day after, outside the window, are recomputed by every build (fct_point_comparisons'
    stage holds that older partition) and must be replaced, never doubled."""
    new = scene.add_run()
    old = scene.add_run(day=19)
    window = dict(scene.athena.vars)
    scene.athena.vars = {**window, "reprocess_run_ids": [old]}
    try:
        count, failed = walk(scene, "--selector", "skip_slow_tests")
        assert_walked(count, failed, "merge into, before a mart write", "optimize")
        after = scene.marts()
        assert {new, old} <= {r[0] for r in after["dim_runs"][1]}
        assert after == scene.local_marts()
        # once more: the older partition is replaced again, not added to
        assert scene.build("--selector", "skip_slow_tests")[0] == 0
        assert scene.marts() == after
    finally:
        scene.athena.vars = window


def test_a_full_refresh_failing_at_any_statement_changes_no_mart(scene: Scene) -> None:
    new = scene.add_run(day=21)
    count, failed = walk(scene, "--full-refresh")
    assert_walked(
        count, failed, "create table as (__ara_next), before a mart write", "select count(*)"
    )
    after = scene.marts()
    assert new in {r[0] for r in after["dim_runs"][1]}
    assert after == scene.local_marts()
