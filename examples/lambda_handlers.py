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

from exporter import RunContext, RunRef, export_run_context
from exporter.reference import plan_points, run_shard


def orchestrator_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """API request accepted -> run context exported -> one worker event per shard."""
    root = os.environ.get("ARA_ROOT", "./warehouse")
    config = event["sweep_config"]
    ctx = RunContext(
        run_id=event["run_id"],
        accepted_at=datetime.now(UTC),
        request_source="api",
        request_id=event.get("request_id"),
        requester=event.get("requester"),
        code_version=os.environ.get("CODE_VERSION", "dev"),
        points_per_shard=int(event.get("points_per_shard", 100)),
        point_count=len(plan_points(config)),
        sweep_config=config,
    )
    # A redelivered request is a no-op that returns the run's first partition date: fan out
    # with acceptance.run, never ctx.ref(), so every shard lands beside the run context.
    acceptance = export_run_context(root, ctx)
    run = acceptance.run.to_dict()
    return {
        "run": run,
        "shards": [
            {"run": run, "shard_id": s, "sweep_config": config} for s in range(ctx.shard_count)
        ],
    }


def worker_handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """One shard. ``run_shard`` is the whole worker body: it opens a ``ShardWriter`` for the
    shard, resolves each point's effective parameters (defaults and derived values included),
    simulates, records the point (``add_point``, with ``error=`` for a failed one) and lets the
    writer write both objects when the shard finishes. A retried delivery passes ``attempt``.
    """
    root = os.environ.get("ARA_ROOT", "./warehouse")
    run = RunRef.from_dict(event["run"])  # validates the event before any work
    shard_id = int(event["shard_id"])
    attempt = int(event.get("attempt", 1))  # e.g. from the Step Functions retry count
    rows = run_shard(root, run.to_dict(), shard_id, event["sweep_config"], attempt=attempt)
    return {"run_id": run.run_id, "shard_id": shard_id, "rows": rows}
