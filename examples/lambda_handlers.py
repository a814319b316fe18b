"""How a serverless sweep wires the exporter: an orchestrator handler and a worker handler.

Copy the shape, not the simulation. The orchestrator accepts a request, exports the run context
once, and fans out one event per shard; each worker event carries the run reference and the
shard id. Configure the root with ``ARA_ROOT`` (``s3://bucket/prefix`` in AWS); the feature gate
(``ARA_EXPORT_RUN_CONTEXT`` / ``ARA_EXPORT_EFFECTIVE_PARAMS``) works here unchanged.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from exporter import RunContext, RunRef, ShardWriter, export_run_context
from exporter._sir import SimulationError, resolve_params, simulate
from exporter._sweep import plan_points


def orchestrator_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """API request accepted -> run context exported -> one worker event per shard."""
    root = os.environ.get("ARA_ROOT", "./warehouse")
    config = event["sweep_config"]
    ctx = RunContext(
        run_id=event["run_id"],
        # a redelivered request must keep its first acceptance time: it fixes the run's partition
        accepted_at=datetime.fromisoformat(event["accepted_at"])
        if "accepted_at" in event
        else datetime.now(UTC),
        request_source="api",
        request_id=event.get("request_id"),
        requester=event.get("requester"),
        code_version=os.environ.get("CODE_VERSION", "dev"),
        points_per_shard=int(event.get("points_per_shard", 100)),
        point_count=len(plan_points(config)),
        sweep_config=config,
    )
    export_run_context(root, ctx)
    run = ctx.ref().to_dict()
    return {
        "run": run,
        "shards": [
            {"run": run, "shard_id": s, "sweep_config": config} for s in range(ctx.shard_count)
        ],
    }


def worker_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """One shard: resolve each point's effective parameters, simulate, export both datasets."""
    root = os.environ.get("ARA_ROOT", "./warehouse")
    run = RunRef.from_dict(event["run"])
    shard_id = int(event["shard_id"])
    config = event["sweep_config"]
    points = plan_points(config)
    attempt = int(event.get("attempt", 1))  # e.g. from the Step Functions retry count
    with ShardWriter(root, run, shard_id, attempt=attempt) as shard:
        for index in run.shard_points(shard_id):
            params = resolve_params(points[index], config.get("fixed"))
            started = datetime.now(UTC)
            try:
                metrics, error = simulate(params), None
            except SimulationError as exc:
                metrics, error = {}, str(exc)
            shard.add_point(
                index,
                params,
                started_at=started,
                finished_at=datetime.now(UTC),
                metrics=metrics,
                error=error,
            )
    assert shard.written is not None  # set when the with-block closed the shard
    return {"run_id": run.run_id, "shard_id": shard_id, "rows": shard.written.rows}
