"""The two write paths: the orchestrator's run context and the worker's shard writer."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
import uuid
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import _contract as contract
from ._canonical import canonical_json, flat_canonical_json
from ._records import INT32_MAX, PointResult, RunContext, RunRef, check_int, validate_run_id
from ._settings import ExportSettings
from ._shard_buffer import DEFAULT_ROW_GROUP_SIZE, PARQUET_COMPRESSION, ShardBuffer
from ._storage import LocalStorage, S3Storage, Storage, open_root
from ._version import __version__
from .errors import DuplicatePointError, InvalidFieldError, RunConflictError, StorageError

__all__ = [
    "DEFAULT_POINTS_PER_SHARD",
    "DEFAULT_ROW_GROUP_SIZE",
    "PARQUET_COMPRESSION",
    "SMALL_SHARD_POINTS",
    "RunAcceptance",
    "ShardWriter",
    "ShardWritten",
    "SmallShardWarning",
    "export_run_context",
    "to_parquet",
]

#: Points per shard the reference sweep plans unless told otherwise (``run_sweep``,
#: ``ara sweep``). Sized for Athena: see "Shard sizing" in docs/runbook.md.
DEFAULT_POINTS_PER_SHARD = 10_000
#: A plan of several shards smaller than this writes objects too small for Athena: it is warned.
SMALL_SHARD_POINTS = 1_000


class SmallShardWarning(UserWarning):
    """A run plan writes many tiny objects (``points_per_shard`` below ``SMALL_SHARD_POINTS``)."""


def warn_small_shards(point_count: int, points_per_shard: int, *, stacklevel: int = 2) -> bool:
    """Warn (:class:`SmallShardWarning`) when a plan of several shards has tiny shards."""
    if point_count <= points_per_shard or points_per_shard >= SMALL_SHARD_POINTS:
        return False
    shards = -(-point_count // points_per_shard)
    warnings.warn(
        f"points_per_shard={points_per_shard} splits {point_count:,} points into {shards:,} "
        f"shards of tiny objects (each costs Athena a request and a footer read); plan "
        f">= {SMALL_SHARD_POINTS:,} points per shard (default {DEFAULT_POINTS_PER_SHARD:,})",
        SmallShardWarning,
        stacklevel=stacklevel + 1,
    )
    return True


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
        raise StorageError(f"{storage.uri(contract.run_index_key(run_id))}: {exc}") from None
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
    warn_small_shards(context.point_count, context.points_per_shard)
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
    #: The ``write_id`` on every row this writer wrote (see the contract's ``write_id``).
    write_id: str = ""


_isfinite = math.isfinite
_sha256 = hashlib.sha256
#: Integers a float holds exactly: a metric given as such an int takes the fast path.
_EXACT_INT = 2**53


_NONE: tuple[float, ...] = ()


def _fast_metric_values(values: Any) -> list[float] | None:
    """The metric values to store when not all are finite ``float``: an ``int`` a float holds
    exactly is stored as ``float``; anything else (NaN, infinity, another type) returns None
    and the point takes the careful way (:class:`PointResult`, which names the fault)."""
    out = []
    for value in values:
        kind = type(value)
        if kind is float and _isfinite(value):
            out.append(value)
        elif kind is int and -_EXACT_INT <= value <= _EXACT_INT:
            out.append(float(value))
        else:
            return None
    return out


def _spool_for(storage: Storage) -> Callable[[], Path]:
    """New spool files for ``storage`` (no reference to the writer, so it can be collected)."""
    spool: Callable[[], Path] | None = getattr(storage, "spool", None)
    if spool is not None:
        return spool

    def local_temp() -> Path:  # a Storage without spool support: a local temporary file
        fd, name = tempfile.mkstemp(prefix="ara-spool-", suffix=".tmp")
        os.close(fd)
        return Path(name)

    return local_temp


def _discard(buffer: ShardBuffer) -> None:
    buffer.discard()


class ShardWriter:
    """Streams one shard's points into its params and outcomes objects.

    Use it as a context manager: on a clean exit both objects are written (params first, then
    outcomes), each atomically and under a deterministic name, so a retried shard replaces its
    own objects; on an exception nothing is written. Every point is validated as it is added.

    Memory stays bounded for any shard size: rows are buffered by column and written every
    ``row_group_size`` points (default 65,536) as one Parquet row group into a spool file —
    locally under ``{root}/_tmp/`` (renamed into place at close), for S3 a local temporary file
    (uploaded at close, in parts when large). Rows are stored sorted by ``point_index``; adding
    points in ascending order (what a worker loop does) is the cheapest.

    Validation has one home, :class:`PointResult` (and the canonical-JSON functions it calls).
    :meth:`add_point` has a fast path for the common case — a ``dict`` of params, ``datetime``
    values in ``datetime.UTC``, a ``dict`` of ``float`` (or exactly representable ``int``)
    metrics whose names an earlier point already validated, no error — that calls the same
    :func:`~exporter.canonical_json` (credential guard included) and stores exactly what
    :class:`PointResult` would. Anything else, and any point the fast path cannot finish, is
    validated by constructing a :class:`PointResult`, which raises the typed error.

    Both objects' rows carry the writer's ``write_id`` (a fresh random id per writer), so a
    reader can tell a shard whose two objects come from different writes (a kill between the
    two writes, racing deliveries). With ``effective_params`` off, the shard's params object
    from an earlier attempt (this exporter's own object at its deterministic key) is deleted
    before the outcomes are written, so no stale params disagree with the new outcomes. Before
    writing, ``close`` reads the run's acceptance index (one small GET) and refuses a ``RunRef``
    that disagrees with the accepted plan (:class:`RunConflictError`); a run with no index entry
    (never accepted through :func:`export_run_context`) is written as the ref says.
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
        row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
    ) -> None:
        if not isinstance(run, RunRef):
            raise InvalidFieldError("run", run, "must be a RunRef (RunAcceptance.run)")
        validate_run_id(run.run_id)  # again: every object key is built from it
        self.run = run
        self.points = run.shard_points(shard_id)
        shard_id = self.shard_id = check_int("shard_id", shard_id, 0)
        attempt = self.attempt = check_int("attempt", attempt, 1, INT32_MAX)
        if settings is not None and not isinstance(settings, ExportSettings):
            raise InvalidFieldError("settings", settings, "must be an ExportSettings")
        self.write_id = uuid.uuid4().hex
        if (
            isinstance(row_group_size, bool)
            or not isinstance(row_group_size, int)
            or row_group_size < 1
        ):
            raise InvalidFieldError("row_group_size", row_group_size, "must be an integer >= 1")
        self.settings = settings or ExportSettings.from_env()
        self._storage = _storage(root, s3_client)
        datasets = (contract.EFFECTIVE_PARAMS,) if self.settings.effective_params else ()
        self._buffer = ShardBuffer(
            shard_id=shard_id,
            attempt=attempt,
            write_id=self.write_id,
            datasets=(*datasets, contract.OUTCOMES),
            new_file=_spool_for(self._storage),
            row_group_size=row_group_size,
        )
        # a writer dropped without close() or __exit__ leaves no spool file behind
        self._finalizer = weakref.finalize(self, _discard, self._buffer)
        self._first = self.points.start
        self._planned = len(self.points)
        self._seen = bytearray(self._planned)  # one byte per planned point: duplicates
        self._row_group_size = row_group_size
        b = self._buffer
        self._columns = (  # bound appends, in the fast path's order (the lists are reused)
            b.point_index.append,
            b.param_hash.append,
            b.param_count.append,
            b.params_json.append,
            b.started_at.append,
            b.finished_at.append,
            b.metric_keys.extend,
            b.metric_values.extend,
            b.metric_offsets.append,
        )
        self._metric_names: set[str] = set()  # metric names a PointResult has validated
        self._param_names: set[str] = set()  # top-level param names a PointResult validated
        self._point_index = b.point_index  # the fast path's row count
        self._metric_keys = b.metric_keys
        self._closed = False
        #: What :meth:`close` wrote, once it has run.
        self.written: ShardWritten | None = None

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidFieldError("shard_id", self.shard_id, "this shard writer is closed")

    def add(self, result: PointResult) -> None:
        """Record one validated point."""
        self._check_open()
        if not isinstance(result, PointResult):
            raise InvalidFieldError("result", result, "must be a PointResult")
        result.check_in(self.points)
        offset = result.point_index - self._first
        if self._seen[offset]:
            raise DuplicatePointError(
                "point_index", result.point_index, f"already recorded in shard {self.shard_id}"
            )
        self._seen[offset] = 1
        self._metric_names.update(result.metrics)
        self._param_names.update(result.params)  # canonical_json passed every name
        buffer = self._buffer
        buffer.point_index.append(result.point_index)
        buffer.param_hash.append(result.param_hash)
        buffer.param_count.append(len(result.params))
        buffer.params_json.append(result.params_json)
        if result.error is not None:
            buffer.errors[len(buffer.point_index) - 1] = result.error
        buffer.started_at.append(result.started_at)
        buffer.finished_at.append(result.finished_at)
        buffer.metric_keys.extend(result.metrics)
        buffer.metric_values.extend(result.metrics.values())
        buffer.metric_offsets.append(len(buffer.metric_keys))
        if len(buffer.point_index) >= buffer.row_group_size:
            buffer.flush()

    def add_point(
        self,
        point_index: int,
        params: Mapping[str, Any],
        *,
        started_at: datetime,
        finished_at: datetime,
        metrics: Mapping[str, float] | None = None,
        error: str | None = None,
    ) -> None:
        """Record one point; a point with an ``error`` is a failed point.

        Returns None (it used to return the :class:`PointResult`; building one per point is
        what the fast path avoids — construct a ``PointResult`` and call :meth:`add` when you
        want the record).
        """
        if self._closed:
            self._check_open()
        # The fast path: the common point (a dict of params whose names an earlier point
        # passed, UTC datetimes, float metrics whose names an earlier point passed) is checked
        # with exact-type tests and C-level calls only, then appended to the column lists.
        # Anything else, or anything it cannot vouch for, goes through PointResult below, the
        # one home of the validation rules (which raises the typed error naming the field).
        if (
            error is None
            and type(point_index) is int
            and type(params) is dict
            and type(started_at) is datetime
            and type(finished_at) is datetime
            and started_at.tzinfo is UTC
            and finished_at.tzinfo is UTC
            and started_at <= finished_at
        ):
            offset = point_index - self._first
            seen = self._seen
            if 0 <= offset < self._planned and not seen[offset]:
                values: Any = None
                if metrics is None:
                    values = _NONE
                elif type(metrics) is dict and metrics.keys() <= self._metric_names:
                    values = metrics.values()
                    for value in values:  # finite floats as they are, else the careful way
                        if type(value) is not float or value - value != 0.0:
                            values = _fast_metric_values(values)
                            break
                text = None if values is None else flat_canonical_json(params, self._param_names)
                if text is not None:
                    try:
                        digest = _sha256(text.encode()).hexdigest()
                    except UnicodeEncodeError:
                        pass  # a lone surrogate: PointResult names it
                    else:
                        seen[offset] = 1
                        index, hashes, counts, texts, starts, ends, keys, vals, offs = self._columns
                        index(point_index)
                        hashes(digest)
                        counts(len(params))
                        texts(text)
                        starts(started_at)
                        ends(finished_at)
                        if values:
                            keys(metrics)  # type: ignore[arg-type]
                            vals(values)
                        offs(len(self._metric_keys))
                        if len(self._point_index) >= self._row_group_size:
                            self._buffer.flush()
                        return
        self.add(
            PointResult(
                point_index=point_index,
                params=params,
                started_at=started_at,
                finished_at=finished_at,
                metrics=metrics or {},
                error=error,
            )
        )

    def close(self) -> ShardWritten:
        """Write the shard's objects (an empty shard writes nothing)."""
        self._check_open()
        self._closed = True
        buffer = self._buffer
        try:
            finished = buffer.finish()
            rows = buffer.rows
            uris = []
            if finished:
                self._check_ref()
            if finished and not self.settings.effective_params:
                # an earlier attempt's params (ours, at the deterministic key) must not outlive it
                self._storage.delete(
                    contract.object_key(
                        "effective_params", self.run.run_date, self.run.run_id, self.shard_id
                    )
                )
            for name, path in finished:
                key = contract.object_key(name, self.run.run_date, self.run.run_id, self.shard_id)
                put_file = getattr(self._storage, "put_file", None)
                if put_file is not None:
                    put_file(key, path)
                else:  # a Storage without put_file: the whole body in memory
                    try:
                        self._storage.put(key, path.read_bytes())
                    finally:
                        path.unlink(missing_ok=True)
                uris.append(self._storage.uri(key))
        finally:
            self._finalizer()
        self.written = ShardWritten(
            self.run.run_id, self.shard_id, rows, tuple(uris), self.write_id if uris else ""
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

    def abort(self) -> None:
        """Close without writing anything (what leaving the ``with`` block on an error does)."""
        self._closed = True
        self._finalizer()

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
        else:
            self.abort()
