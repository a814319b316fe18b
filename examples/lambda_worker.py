"""An AWS Lambda worker to copy: one event runs and exports one shard of an accepted run.

Deploy it with the zip ``make lambda`` builds (handler ``lambda_worker.handler``; the zip holds
this module, the ``exporter`` package and pyarrow; the runtime provides boto3). Set ``ARA_ROOT``
to the export root, ``s3://bucket/prefix``. The event is what ``lambda_orchestrator.py`` sends,
one per shard::

    {"run": {"run_id": ..., "run_date": "2026-11-28", "point_count": ..., "points_per_shard": ...},
     "shard_id": 3,
     "points": [{"beta": 0.2, "gamma": 0.1}, ...],   # the shard's points, in point_index order
     "fixed": {"population": 250000}}                # the sweep's fixed overrides (optional)

``points[i]`` is point ``run.shard_points(shard_id)[i]``. The handler resolves each point's
effective parameters, runs the reference SIR simulation (replace it with yours), records the
point in a :class:`~exporter.ShardWriter` and returns what was written.

Retries are safe: Lambda retries a failed asynchronous invocation twice, and a retry writes the
same two objects at the same deterministic keys (each replaced whole, atomically), so a shard
never has duplicates, whatever attempt succeeds. The worker path imports the standard library,
``exporter``, pyarrow and boto3 only (no numpy, no pyyaml).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from exporter import RunRef, ShardWriter
from exporter.errors import ConfigError, InvalidFieldError
from exporter.reference import SimulationError, resolve_params, simulate

__all__ = ["handler"]

ENV_ROOT = "ARA_ROOT"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run and export the event's shard; returns the run id, shard id, rows and object urls."""
    root = os.environ.get(ENV_ROOT)
    if not root:
        raise ConfigError(ENV_ROOT, root, "set it to the export root, s3://bucket/prefix")
    if not isinstance(event, dict):
        raise InvalidFieldError("event", event, "must be a JSON object")
    run = RunRef.from_dict(event.get("run"))  # type: ignore[arg-type]  # validates it
    shard_id: Any = event.get("shard_id")
    indexes = run.shard_points(shard_id)  # raises for a shard the run does not plan
    points = event.get("points")
    if not isinstance(points, list) or len(points) != len(indexes):
        shown = f"{len(points)} points" if isinstance(points, list) else points
        raise InvalidFieldError(
            "points",
            shown,
            f"shard {shard_id} plans {len(indexes)} points "
            f"(point_index {indexes.start}..{indexes.stop - 1}), one params object each",
        )
    fixed = event.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise InvalidFieldError("fixed", fixed, "must be a JSON object of parameters")
    attempt = int(event.get("attempt", 1))  # e.g. a Step Functions retry count
    with ShardWriter(root, run, shard_id, attempt=attempt) as writer:
        for index, point in zip(indexes, points, strict=True):
            if not isinstance(point, dict):
                raise InvalidFieldError(f"points[{index - indexes.start}]", point, "not an object")
            params = resolve_params(point, fixed)
            started = datetime.now(UTC)
            try:
                metrics, error = simulate(params), None
            except SimulationError as exc:  # a failed point is recorded, not raised
                metrics, error = {}, str(exc)
            writer.add_point(
                index,
                params,
                started_at=started,
                finished_at=datetime.now(UTC),
                metrics=metrics,
                error=error,
            )
    written = writer.written
    assert written is not None  # the with block closed the writer
    return {
        "run_id": run.run_id,
        "shard_id": written.shard_id,
        "rows": written.rows,
        "objects": list(written.uris),
    }
