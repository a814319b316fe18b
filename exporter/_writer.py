"""The two write paths: the orchestrator's run context and the worker's shard writer."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import _contract as contract
from ._canonical import canonical_json
from ._records import PointResult, RunContext, RunRef
from ._settings import ExportSettings
from ._storage import Storage, open_root
from ._version import __version__
from .errors import DuplicatePointError, InvalidFieldError, RunConflictError

__all__ = ["RunAcceptance", "ShardWriter", "ShardWritten", "export_run_context", "to_parquet"]

PARQUET_COMPRESSION = "snappy"


def to_parquet(dataset: contract.Dataset, columns: Mapping[str, list[Any]]) -> bytes:
    """One Parquet object of ``dataset`` with exactly the contract's schema."""
    table = pa.Table.from_pydict(dict(columns), schema=dataset.arrow_schema())
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION)
    return sink.getvalue()


def _storage(root: str | os.PathLike[str] | Storage, s3_client: Any) -> Storage:
    if isinstance(root, str | os.PathLike):
        return open_root(root, s3_client=s3_client)
    return root


@dataclass(frozen=True)
class RunAcceptance:
    """What :func:`export_run_context` did, and the run reference to hand to the workers.

    ``action`` is ``written``, ``unchanged`` (the run was accepted before, with the same plan and
    configuration) or ``disabled`` (the feature gate is off). ``run`` carries the run's partition
    date from its *first* acceptance: fan out with ``run.to_dict()``, not ``context.ref()``.
    """

    run_id: str
    action: str
    uri: str | None
    run: RunRef


def _plan(context: RunContext) -> dict[str, Any]:
    return {
        "run_id": context.run_id,
        "run_date": context.run_date.isoformat(),
        "accepted_at": context.accepted_at.isoformat(),
        "schema_version": contract.SCHEMA_VERSION,
        **{name: getattr(context, name) for name in contract.RUN_PLAN_FIELDS},
    }


def _check_same_plan(run_id: str, stored: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    for name in contract.RUN_PLAN_FIELDS:
        if stored.get(name) != new[name]:
            raise RunConflictError(run_id, name, stored.get(name), new[name])


def export_run_context(
    root: str | os.PathLike[str] | Storage,
    context: RunContext,
    *,
    settings: ExportSettings | None = None,
    s3_client: Any = None,
) -> RunAcceptance:
    """Write the run-context object of an accepted run, once.

    Accepting the same ``run_id`` again with the same plan and configuration (the contract's
    ``RUN_PLAN_FIELDS``) is a no-op, on any day: the run keeps the partition date of its first
    acceptance, recorded in the acceptance index (``_run_index/{run_id}.json``, written with an
    atomic create-if-absent). A different plan or configuration raises :class:`RunConflictError`
    and nothing is written. Request fields (request id, requester, source) may differ.
    """
    settings = settings or ExportSettings.from_env()
    if not settings.run_context:
        return RunAcceptance(context.run_id, "disabled", None, context.ref())
    storage = _storage(root, s3_client)
    plan = _plan(context)
    index_key = contract.run_index_key(context.run_id)
    if not storage.put_if_absent(index_key, canonical_json(plan).encode()):
        raw = storage.get(index_key)
        stored_plan = json.loads(raw) if raw is not None else plan
        _check_same_plan(context.run_id, stored_plan, plan)
        first = datetime.fromisoformat(stored_plan["accepted_at"])
        if first != context.accepted_at:  # keep the first acceptance's time and partition
            context = replace(context, accepted_at=first)
    key = contract.object_key("run_context", context.run_date, context.run_id)
    body = to_parquet(contract.RUN_CONTEXT, {k: [v] for k, v in context.row(__version__).items()})
    if storage.put_if_absent(key, body):  # also completes an acceptance that crashed here
        return RunAcceptance(context.run_id, "written", storage.uri(key), context.ref())
    stored = storage.get(key)
    if stored is not None:  # the object predates its index entry (index lost): compare it too
        row = pq.read_table(io.BytesIO(stored)).to_pylist()[0]
        _check_same_plan(context.run_id, row, plan)
    return RunAcceptance(context.run_id, "unchanged", storage.uri(key), context.ref())


@dataclass(frozen=True)
class ShardWritten:
    """What :meth:`ShardWriter.close` wrote: the objects' locations and the row count."""

    run_id: str
    shard_id: int
    rows: int
    uris: tuple[str, ...]


class ShardWriter:
    """Collects one shard's points and writes its params and outcomes objects when it closes.

    Use it as a context manager: on a clean exit both objects are written (params first, then
    outcomes), each atomically and under a deterministic name, so a retried shard replaces its
    own objects; on an exception nothing is written. Every point is validated as it is added.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | Storage,
        run: RunRef,
        shard_id: int,
        *,
        attempt: int = 1,
        settings: ExportSettings | None = None,
        s3_client: Any = None,
    ) -> None:
        if not isinstance(run, RunRef):
            raise InvalidFieldError("run", run, "must be a RunRef (RunContext.ref())")
        self.run = run
        self.points = run.shard_points(shard_id)
        self.shard_id = shard_id
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
            raise InvalidFieldError("attempt", attempt, "must be an integer >= 1")
        self.attempt = attempt
        self.settings = settings or ExportSettings.from_env()
        self._storage = _storage(root, s3_client)
        self._results: dict[int, PointResult] = {}
        self._closed = False
        #: What :meth:`close` wrote, once it has run.
        self.written: ShardWritten | None = None

    def add(self, result: PointResult) -> None:
        if self._closed:
            raise InvalidFieldError("shard_id", self.shard_id, "this shard writer is closed")
        result.check_in(self.points)
        if result.point_index in self._results:
            raise DuplicatePointError(
                "point_index", result.point_index, f"already recorded in shard {self.shard_id}"
            )
        self._results[result.point_index] = result

    def add_point(
        self,
        point_index: int,
        params: Mapping[str, Any],
        *,
        started_at: datetime,
        finished_at: datetime,
        metrics: Mapping[str, float] | None = None,
        error: str | None = None,
    ) -> PointResult:
        """Record one point; a point with an ``error`` is a failed point."""
        result = PointResult(
            point_index=point_index,
            params=params,
            started_at=started_at,
            finished_at=finished_at,
            metrics=metrics or {},
            error=error,
        )
        self.add(result)
        return result

    def _columns(self) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        results = [self._results[i] for i in sorted(self._results)]
        hashes = [r.param_hash for r in results]
        common: dict[str, list[Any]] = {
            "schema_version": [contract.SCHEMA_VERSION] * len(results),
            "shard_id": [self.shard_id] * len(results),
            "point_index": [r.point_index for r in results],
            "param_hash": hashes,
        }
        params = {
            **common,
            "param_count": [len(r.params) for r in results],
            "params_json": [r.params_json for r in results],
        }
        outcomes = {
            **common,
            "status": [r.status for r in results],
            "error_message": [r.error for r in results],
            "attempt": [self.attempt] * len(results),
            "started_at": [r.started_at for r in results],
            "finished_at": [r.finished_at for r in results],
            "duration_ms": [
                (r.finished_at - r.started_at).total_seconds() * 1000.0 for r in results
            ],
            "metrics": [list(r.metrics.items()) for r in results],
        }
        return params, outcomes

    def close(self) -> ShardWritten:
        """Write the shard's objects (an empty shard writes nothing)."""
        if self._closed:
            raise InvalidFieldError("shard_id", self.shard_id, "this shard writer is closed")
        self._closed = True
        if not self._results:
            self.written = ShardWritten(self.run.run_id, self.shard_id, 0, ())
            return self.written
        params, outcomes = self._columns()
        bodies = []
        if self.settings.effective_params:
            bodies.append(("effective_params", to_parquet(contract.EFFECTIVE_PARAMS, params)))
        bodies.append(("outcomes", to_parquet(contract.OUTCOMES, outcomes)))
        uris = []
        for name, body in bodies:
            key = contract.object_key(name, self.run.run_date, self.run.run_id, self.shard_id)
            self._storage.put(key, body)
            uris.append(self._storage.uri(key))
        self.written = ShardWritten(self.run.run_id, self.shard_id, len(self._results), tuple(uris))
        return self.written

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._closed:
            self.close()
        self._closed = True
