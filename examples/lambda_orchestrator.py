"""The orchestrator side of ``lambda_worker.py``: accept a run once, then one event per shard.

Handler ``lambda_orchestrator.handler`` (same zip as the worker). The request::

    {"run_id": "api-run-1", "sweep_config": {"grid": {...}, "fixed": {...}},
     "points_per_shard": 10000, "request_id": "...", "requester": "..."}

:func:`export_run_context` accepts the run (once: a redelivered request is a no-op that returns
the run's first partition date), then :func:`shard_events` builds one worker event per shard from
``acceptance.run`` — never ``context.ref()``, so every shard lands beside the run context. With
``ARA_WORKER_FUNCTION`` set, each event is sent to that function as an asynchronous invocation
(``InvocationType="Event"``: Lambda retries a failed one twice); without it the events are
returned (for a Step Functions Map state, or a test).

An event carries its shard's points, so its size grows with ``points_per_shard`` and the number
of parameters: :func:`shard_events` refuses an event over ``ARA_MAX_EVENT_BYTES`` (default
262,144 bytes, the long-standing asynchronous-invocation payload limit) before anything is
accepted. For bigger shards send the sweep config instead and let the worker plan the points
(``examples/lambda_handlers.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from exporter import RunContext, RunRef, export_run_context
from exporter.errors import ConfigError, InvalidFieldError
from exporter.reference import plan_points

__all__ = ["handler", "shard_events"]

ENV_ROOT = "ARA_ROOT"
ENV_WORKER = "ARA_WORKER_FUNCTION"
ENV_MAX_EVENT = "ARA_MAX_EVENT_BYTES"
MAX_EVENT_BYTES = 256 * 1024


def shard_events(
    run: RunRef, config: Mapping[str, Any], *, max_bytes: int = MAX_EVENT_BYTES
) -> list[dict[str, Any]]:
    """One worker event per shard: the run reference, the shard id, its points, the overrides."""
    points = plan_points(config)
    if len(points) != run.point_count:
        raise InvalidFieldError(
            "sweep_config", f"{len(points)} points", f"the run plans {run.point_count} points"
        )
    ref = run.to_dict()
    fixed = dict(config.get("fixed", {}))
    events = []
    for shard_id in range(run.shard_count):
        event = {
            "run": ref,
            "shard_id": shard_id,
            "points": [points[i] for i in run.shard_points(shard_id)],
            "fixed": fixed,
        }
        size = len(json.dumps(event).encode())
        if size > max_bytes:
            raise InvalidFieldError(
                "points_per_shard",
                run.points_per_shard,
                f"shard {shard_id}'s event is {size:,} bytes, over the limit of {max_bytes:,} "
                f"bytes ({ENV_MAX_EVENT}); plan smaller shards or send the sweep config",
            )
        events.append(event)
    return events


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Accept the requested run, then fan out (or return) one event per shard."""
    root = os.environ.get(ENV_ROOT)
    if not root:
        raise ConfigError(ENV_ROOT, root, "set it to the export root, s3://bucket/prefix")
    config = event["sweep_config"]
    accepted_at = event.get("accepted_at")  # normally now; a test pins it
    ctx = RunContext(
        run_id=event["run_id"],
        accepted_at=datetime.fromisoformat(accepted_at) if accepted_at else datetime.now(UTC),
        request_source="api",
        request_id=event.get("request_id"),
        requester=event.get("requester"),
        code_version=os.environ.get("CODE_VERSION", "dev"),
        points_per_shard=int(event.get("points_per_shard", 10_000)),
        point_count=len(plan_points(config)),
        sweep_config=config,
    )
    max_bytes = int(os.environ.get(ENV_MAX_EVENT) or MAX_EVENT_BYTES)
    shard_events(ctx.ref(), config, max_bytes=max_bytes)  # too big: refused before accepting
    acceptance = export_run_context(root, ctx)
    events = shard_events(acceptance.run, config, max_bytes=max_bytes)
    worker = os.environ.get(ENV_WORKER)
    if worker:
        import boto3

        client = boto3.client("lambda")
        for shard in events:
            client.invoke(
                FunctionName=worker, InvocationType="Event", Payload=json.dumps(shard).encode()
            )
    return {
        "run": acceptance.run.to_dict(),
        "action": acceptance.action,
        "shards": len(events),
        "events": [] if worker else events,
    }
