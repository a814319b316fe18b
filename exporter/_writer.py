"""The two write paths: the orchestrator's run context and the worker's shard writer."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import _contract as contract
from ._canonical import canonical_json
from ._records import INT32_MAX, PointResult, RunContext, RunRef, check_int
from ._settings import ExportSettings
from ._storage import LocalStorage, S3Storage, Storage, open_root
from ._version import __version__
from .errors import DuplicatePointError, InvalidFieldError, RunConflictError, StorageError

__all__ = ["RunAcceptance", "ShardWriter", "ShardWritten", "export_run_context", "to_parquet"]

PARQUET_COMPRESSION = "snappy"


def to_parquet(dataset: contract.Dataset, columns: Mapping[str, list[Any]]) -> bytes:
    """One Parquet object of ``dataset`` with exactly the contract's schema."""
    table = pa.Table.from_pydict(dict(columns), schema=dataset.arrow_schema())
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION)
    return sink.getvalue()


def _storage(root: Any, s3_client: Any) -> Storage:
    if isinstance(root, LocalStorage | S3Storage):
        return root
    if all(hasattr(root, m) for m in ("put", "put_if_absent", "get", "delete", "list", "uri")):
        return root  # type: ignore[no-any-return]  # another Storage implementation
    return open_root(root, s3_client=s3_client)


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


def _read_index(storage: Storage, run_id: str) -> dict[str, Any] | None:
    raw = storage.get(contract.run_index_key(run_id))
    if raw is None:
        return None
    try:
        plan = json.loads(raw)
    except ValueError as exc:
        raise StorageError(f"{storage.uri(contract.run_index_key(run_id))}: {exc}") from exc
    if not isinstance(plan, dict):
        raise StorageError(f"{storage.uri(contract.run_index_key(run_id))}: not a JSON object")
    return plan


def _index_ref(plan: Mapping[str, Any]) -> RunRef:
    from datetime import date

    return RunRef(
        plan["run_id"],
        date.fromisoformat(plan["run_date"]),
        plan["point_count"],
        plan["points_per_shard"],
    )


def export_run_context(
    root: str | os.PathLike[str] | Storage,
    context: RunContext,
    *,
    settings: ExportSettings | None = None,
    s3_client: Any = None,
) -> RunAcceptance:
    """Accept a run: record it in the acceptance index and write its run-context object, once.

    Accepting the same ``run_id`` again with the same plan and configuration (the contract's
    ``RUN_PLAN_FIELDS``) is a no-op, on any day: the run keeps the partition date of its first
    acceptance, recorded in the acceptance index (``_run_index/{run_id}.json``, written with an
    atomic create-if-absent). A different plan or configuration raises :class:`RunConflictError`
    and nothing is written. Request fields (request id, requester, source) may differ.

    Everything is validated before the first write. The feature gate
    (``ARA_EXPORT_RUN_CONTEXT=false``) turns off the run-context *dataset* only: the index is
    still written and checked, so a redelivery keeps the run's first date and plan.
    """
    if not isinstance(context, RunContext):
        raise InvalidFieldError("context", context, "must be a RunContext")
    settings = settings or ExportSettings.from_env()
    storage = _storage(root, s3_client)
    plan = _plan(context)
    index_body = canonical_json(plan).encode()
    # built before the first write: a plan the Parquet object cannot hold fails here
    body = to_parquet(contract.RUN_CONTEXT, {k: [v] for k, v in context.row(__version__).items()})
    index_key = contract.run_index_key(context.run_id)
    created = storage.put_if_absent(index_key, index_body)
    if not created:
        stored_plan = _read_index(storage, context.run_id) or plan
        _check_same_plan(context.run_id, stored_plan, plan)
        first = datetime.fromisoformat(stored_plan["accepted_at"])
        if first != context.accepted_at:  # keep the first acceptance's time and partition
            context = replace(context, accepted_at=first)
            row = context.row(__version__)
            body = to_parquet(contract.RUN_CONTEXT, {k: [v] for k, v in row.items()})
    if not settings.run_context:
        return RunAcceptance(context.run_id, "disabled", None, context.ref())
    key = contract.object_key("run_context", context.run_date, context.run_id)
    if storage.put_if_absent(key, body):  # also completes an acceptance that crashed here
        return RunAcceptance(context.run_id, "written", storage.uri(key), context.ref())
    stored = storage.get(key)
    if stored is not None and created:
        # the object predates its index entry (the index was lost): the object is the truth
        row = pq.read_table(io.BytesIO(stored)).to_pylist()[0]
        try:
            _check_same_plan(context.run_id, row, plan)
        except RunConflictError:
            # put back the index the stored object implies, then refuse
            restored = {
                **plan,
                "accepted_at": row["accepted_at"].isoformat(),
                **{name: row[name] for name in contract.RUN_PLAN_FIELDS},
            }
            storage.put(index_key, canonical_json(restored).encode())
            raise
    return RunAcceptance(context.run_id, "unchanged", storage.uri(key), context.ref())


@dataclass(frozen=True)
class ShardWritten:
    """What :meth:`ShardWriter.close` wrote: the objects' locations and the row count."""

    run_id: str
    shard_id: int
    rows: int
    uris: tuple[str, ...]
    #: The ``write_id`` on every row this close wrote ("" when nothing was written).
    write_id: str = ""


class ShardWriter:
    """Collects one shard's points and writes its params and outcomes objects when it closes.

    Use it as a context manager: on a clean exit both objects are written (params first, then
    outcomes), each atomically and under a deterministic name, so a retried shard replaces its
    own objects; on an exception nothing is written. Every point is validated as it is added.

    Both objects' rows carry the same fresh ``write_id``, so a reader can tell a shard whose two
    objects come from different writes (a kill between the two writes, racing deliveries).
    With ``effective_params`` off, the shard's params object from an earlier attempt (this
    exporter's own object at its deterministic key) is deleted before the outcomes are
    written, so no stale params ever disagree with the new outcomes. Before writing, ``close``
    reads the run's acceptance index (one small GET) and refuses a ``RunRef`` that disagrees
    with the accepted plan (:class:`RunConflictError`); a run with no index entry (never
    accepted through :func:`export_run_context`) is written as the ref says.
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
            raise InvalidFieldError("run", run, "must be a RunRef (RunAcceptance.run)")
        self.run = run
        self.points = run.shard_points(shard_id)
        self.shard_id = check_int("shard_id", shard_id, 0)
        self.attempt = check_int("attempt", attempt, 1, INT32_MAX)
        if settings is not None and not isinstance(settings, ExportSettings):
            raise InvalidFieldError("settings", settings, "must be an ExportSettings")
        self.settings = settings or ExportSettings.from_env()
        self._storage = _storage(root, s3_client)
        self._results: dict[int, PointResult] = {}
        self._closed = False
        #: What :meth:`close` wrote, once it has run.
        self.written: ShardWritten | None = None

    def add(self, result: PointResult) -> None:
        if self._closed:
            raise InvalidFieldError("shard_id", self.shard_id, "this shard writer is closed")
        if not isinstance(result, PointResult):
            raise InvalidFieldError("result", result, "must be a PointResult (or use add_point)")
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

    def _columns(self, write_id: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
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
            "write_id": [write_id] * len(results),
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
            "write_id": [write_id] * len(results),
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
        write_id = uuid.uuid4().hex
        params, outcomes = self._columns(write_id)
        bodies = []
        if self.settings.effective_params:
            bodies.append(("effective_params", to_parquet(contract.EFFECTIVE_PARAMS, params)))
        bodies.append(("outcomes", to_parquet(contract.OUTCOMES, outcomes)))
        self._check_ref()
        uris = []
        if not self.settings.effective_params:
            # an earlier attempt's params (ours, at the deterministic key) must not outlive it
            key = contract.object_key(
                "effective_params", self.run.run_date, self.run.run_id, self.shard_id
            )
            self._storage.delete(key)
        for name, body in bodies:
            key = contract.object_key(name, self.run.run_date, self.run.run_id, self.shard_id)
            self._storage.put(key, body)
            uris.append(self._storage.uri(key))
        self.written = ShardWritten(
            self.run.run_id, self.shard_id, len(self._results), tuple(uris), write_id
        )
        return self.written

    def _check_ref(self) -> None:
        """Refuse a RunRef that disagrees with the run's accepted plan (one GET per close)."""
        plan = _read_index(self._storage, self.run.run_id)
        if plan is None:
            return
        accepted = _index_ref(plan)
        for name in ("run_date", "point_count", "points_per_shard"):
            if getattr(accepted, name) != getattr(self.run, name):
                raise RunConflictError(
                    self.run.run_id, name, getattr(accepted, name), getattr(self.run, name)
                )

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
