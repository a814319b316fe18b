"""Shared by the fault suite (tests/test_faults_*.py): roots, listings, worker processes.

Workers run in forked processes (``multiprocessing`` "fork"): real separate processes that
write through the public API, cheap to start because the parent already imported pyarrow.
Each worker builds its own S3 client (nothing from the parent's connection pool is reused).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from exporter import ExportSettings, RunContext, RunRef, ShardWriter, export_run_context, open_root
from exporter.errors import RunConflictError

ACCEPTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
RUN_DATE = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
#: Every secret the suite feeds in; none may ever appear in an error message or an object.
SECRETS = (
    "hunter2",
    "AKIAIOSFODNN7EXAMPLE",
    "eyJhbGciOiJIUzI1NiJ9",
    "wJalrXUtnFEMI",
    "SECRETSECRET",
    "dXNlcjpwYXNzd29yZA",
    "s3cr3tpw",
)

FORK = multiprocessing.get_context("fork")


def ctx(**overrides: Any) -> RunContext:
    """A RunContext with run_id "r1", 10 points, 5 per shard (the issue's reproductions)."""
    fields: dict[str, Any] = {
        "run_id": "r1",
        "accepted_at": ACCEPTED,
        "request_source": "api",
        "code_version": "abc123",
        "points_per_shard": 5,
        "point_count": 10,
        "sweep_config": {"grid": {"beta": [0.1, 0.2]}},
    }
    fields.update(overrides)
    return RunContext(**fields)


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def listing(root: str, endpoint: str | None = None) -> list[tuple[str, int]]:
    """Every file under the root, hidden and temporary ones included, with its size."""
    if root.startswith("s3://"):
        assert endpoint is not None
        bucket = root[len("s3://") :].partition("/")[0]
        client = s3_client(endpoint)
        out: list[tuple[str, int]] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            out.extend((o["Key"], o["Size"]) for o in page.get("Contents", []))
        return sorted(out)
    base = Path(root)
    if not base.exists():
        return []
    return sorted(
        (p.relative_to(base).as_posix(), p.stat().st_size) for p in base.rglob("*") if p.is_file()
    )


def storage(root: str, endpoint: str | None) -> Any:
    return open_root(root, s3_client=s3_client(endpoint) if endpoint else None)


def read_rows(root: str, endpoint: str | None, key: str) -> list[dict[str, Any]]:
    body = storage(root, endpoint).get(key)
    assert body is not None, key
    return list(pq.read_table(io.BytesIO(body)).to_pylist())


def shard_key(dataset: str, shard: int, run_id: str = "r1", day: date = RUN_DATE) -> str:
    return f"{dataset}/run_date={day.isoformat()}/run_id={run_id}/shard-{shard:05d}.parquet"


def write_shard(
    root: str,
    endpoint: str | None,
    ref: RunRef,
    shard: int,
    attempt: int = 1,
    *,
    settings: ExportSettings | None = None,
    params_of: Callable[[int], dict[str, Any]] | None = None,
) -> str:
    """One shard through the public API; returns the write_id."""
    client = s3_client(endpoint) if endpoint else None
    with ShardWriter(
        root, ref, shard, attempt=attempt, settings=settings or ExportSettings(), s3_client=client
    ) as writer:
        for i in ref.shard_points(shard):
            params = params_of(i) if params_of else {"i": i, "beta": i / 10}
            started = T0 + timedelta(seconds=i)
            writer.add_point(
                i,
                params,
                started_at=started,
                finished_at=started + timedelta(milliseconds=10 * attempt),
                metrics={"peak": float(i * attempt)},
            )
    assert writer.written is not None
    return writer.written.write_id


# --------------------------------------------------------------------------- process workers


def _loop_writer(root: str, endpoint: str | None, ref_dict: dict[str, Any], ready: Any) -> None:
    """Writes every shard of the run again and again until killed."""
    ref = RunRef.from_dict(ref_dict)
    ready.set()
    attempt = 1
    while True:
        for shard in range(ref.shard_count):
            write_shard(root, endpoint, ref, shard, attempt)
        attempt += 1


def start_loop_writer(root: str, endpoint: str | None, ref: RunRef) -> Any:
    ready = FORK.Event()
    proc = FORK.Process(target=_loop_writer, args=(root, endpoint, ref.to_dict(), ready))
    proc.start()
    assert ready.wait(30), "writer did not start"
    return proc


def _same_shard(
    root: str, endpoint: str | None, ref_dict: dict[str, Any], shard: int, attempt: int, go: Any
) -> None:
    go.wait(30)
    write_shard(root, endpoint, RunRef.from_dict(ref_dict), shard, attempt)


def run_writers(
    root: str, endpoint: str | None, ref: RunRef, jobs: list[tuple[int, int]]
) -> list[int]:
    """(shard, attempt) jobs in parallel processes released together; their exit codes."""
    go = FORK.Event()
    procs = [
        FORK.Process(target=_same_shard, args=(root, endpoint, ref.to_dict(), s, a, go))
        for s, a in jobs
    ]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(60)
    return [p.exitcode for p in procs]


def _accept(
    root: str, endpoint: str | None, overrides: dict[str, Any], go: Any, out: Any, slot: int
) -> None:
    go.wait(30)
    client = s3_client(endpoint) if endpoint else None
    try:
        result = export_run_context(root, ctx(**overrides), s3_client=client)
        out.put((slot, result.action, json.dumps(result.run.to_dict())))
    except RunConflictError as exc:
        out.put((slot, "conflict", exc.field))


def race_acceptances(
    root: str, endpoint: str | None, variants: list[dict[str, Any]]
) -> dict[int, tuple[str, str]]:
    """Accept ``ctx(**variant)`` in one process per variant, released together."""
    go = FORK.Event()
    out = FORK.Queue()
    procs = [
        FORK.Process(target=_accept, args=(root, endpoint, v, go, out, i))
        for i, v in enumerate(variants)
    ]
    for p in procs:
        p.start()
    go.set()
    results = {}
    for _ in procs:
        slot, action, detail = out.get(timeout=60)
        results[slot] = (action, detail)
    for p in procs:
        p.join(30)
    return results


def kill_count(default: int) -> int:
    """SIGKILLs per root: ``ARA_FAULT_KILLS`` (``make faults`` raises it), else ``default``."""
    return int(os.environ.get("ARA_FAULT_KILLS", default))
