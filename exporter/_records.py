"""Frozen, validated records: a run's context, the reference a worker gets, one point's result."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from . import _contract as contract
from ._canonical import canonical_json, refuse_credentials, sha256_hex, stable_config
from ._secrets import allow, credential_shape, redact, sensitive_name
from .errors import (
    InvalidFieldError,
    NonFiniteMetricError,
    PointIndexOutOfRangeError,
    SensitiveFieldError,
)

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "PointResult",
    "RunContext",
    "RunRef",
    "allow_names",
    "check_error",
    "check_int",
    "check_metrics",
    "check_utc",
    "parse_iso_date",
    "validate_run_id",
]

#: Column limits: the Arrow types of the contract (``attempt`` and ``param_count`` are int32,
#: every other integer int64). A value outside them is refused before anything is written.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def allow_names(*names: str) -> None:
    """Declare names that read like a credential but are not one in your sweep (for example a
    parameter literally named ``token`` that counts tokens). Exact, case-sensitive names; they
    pass the *name* check only — a credential-shaped *value* is refused whatever its name."""
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidFieldError("allow_names", name, "names must be non-empty strings")
    allow(names)


def validate_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not contract.RUN_ID_PATTERN.fullmatch(run_id):
        raise InvalidFieldError(
            "run_id",
            run_id,
            "must be 1-128 letters, digits, '_', '-' or single '.', starting with a letter or "
            "digit (no '/', '=', '..' or spaces)",
        )
    if credential_shape(run_id):
        raise SensitiveFieldError(
            "run_id",
            "<redacted>",
            "looks like a credential; a run id names objects and partitions, so it never "
            "carries one",
        )
    return run_id


def check_int(name: str, value: Any, minimum: int, maximum: int = INT64_MAX) -> int:
    """``value`` as an ``int`` in ``minimum..maximum``; NumPy integers are accepted."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        item = value.item()
        if isinstance(item, int) and not isinstance(item, bool):
            value = item
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFieldError(name, value, f"must be an integer >= {minimum}")
    if value < minimum:
        raise InvalidFieldError(name, value, f"must be an integer >= {minimum}")
    if value > maximum:
        raise InvalidFieldError(
            name, value, f"must be at most {maximum} (it is stored as a {_bits(maximum)}-bit int)"
        )
    return int(value)


def _bits(maximum: int) -> int:
    return 32 if maximum == INT32_MAX else 64


_int = check_int


def _text(name: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidFieldError(name, value, "must be a non-empty string")
    _utf8(name, value)
    refuse_credentials(value, name)
    return value


def _utf8(name: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidFieldError(
            name, value, "is not valid Unicode (a lone surrogate cannot be stored)"
        ) from None


def _metric_number(name: str, value: Any) -> float:
    number = value
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        number = value.item()
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise InvalidFieldError(name, value, "must be an int or float (or a NumPy number)")
    try:
        result = float(number)
    except OverflowError:
        raise InvalidFieldError(name, "<integer>", "is too large for a double") from None
    if not math.isfinite(result):
        raise NonFiniteMetricError(name, value, "metrics must be finite")
    return result


def check_metrics(metrics: Any, *, failed: bool) -> dict[str, float]:
    """A point's metrics as ``{name: float}``; the one place the metric rules live.

    Names are non-empty valid-Unicode strings that neither mean nor look like a credential;
    values are finite real numbers that fit a double. A failed point carries no metrics: they
    are refused, not dropped (the contract says metrics are empty for a failed point, and what
    is stored is exactly what was given).
    """
    if not isinstance(metrics, Mapping):
        raise InvalidFieldError("metrics", metrics, "must be a mapping of name to number")
    if failed and metrics:
        raise InvalidFieldError(
            "metrics",
            sorted(str(k) for k in metrics)[:5],
            "a failed point (error set) carries no metrics: drop them or clear the error",
        )
    clean: dict[str, float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name:
            raise InvalidFieldError("metrics", name, "metric names must be non-empty strings")
        _utf8(f"metrics.{name}", name)
        if sensitive_name(name):
            shown = "[REDACTED]" if credential_shape(name) else name
            raise SensitiveFieldError(
                f"metrics.{shown}",
                "<redacted>",
                "looks like a credential; exported records never carry one (a harmless "
                "name can be allowed with exporter.allow_names or ARA_ALLOWED_NAMES)",
            )
        clean[name] = _metric_number(f"metrics.{name}", value)
    return clean


def check_error(error: Any) -> str | None:
    """A failed point's error text, validated and redacted (None for a succeeded point)."""
    if error is None:
        return None
    if not isinstance(error, str) or not error:
        raise InvalidFieldError("error", error, "must be a non-empty string or None")
    _utf8("error", error)
    return redact(error)


def check_utc(name: str, value: Any) -> datetime:
    """``value`` as an aware UTC datetime that a ``timestamp[ms, UTC]`` column can hold."""
    if not isinstance(value, datetime):
        raise InvalidFieldError(name, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidFieldError(name, value, "must be timezone-aware (UTC is stored)")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidFieldError(
            name, value, "is outside the representable UTC range (years 1-9999)"
        ) from None


_utc = check_utc


def parse_iso_date(value: Any) -> date | None:
    """``value`` (its text) as an ISO date, or None when it is not one."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class RunRef:
    """What a worker needs to know about its run: enough to place and validate its objects.

    The orchestrator passes it in the worker's event (:meth:`to_dict` / :meth:`from_dict`).
    The event carries a ``plan_digest`` over the four fields, so an event edited on the way
    fails in :meth:`from_dict`; the shard writer also checks the ref against the run's
    acceptance index when it closes (a ref built from another delivery's context fails there).
    """

    run_id: str
    run_date: date
    point_count: int
    points_per_shard: int

    #: The keys :meth:`from_dict` needs (``plan_digest`` is checked when present).
    _KEYS: ClassVar[tuple[str, ...]] = ("run_date", "run_id", "point_count", "points_per_shard")

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)
        if not isinstance(self.run_date, date) or isinstance(self.run_date, datetime):
            raise InvalidFieldError("run_date", self.run_date, "must be a datetime.date")
        object.__setattr__(self, "point_count", _int("point_count", self.point_count, 1))
        object.__setattr__(
            self, "points_per_shard", _int("points_per_shard", self.points_per_shard, 1)
        )

    @property
    def plan_digest(self) -> str:
        """SHA-256 (hex, first 16 digits) of the ref's four fields, for the worker's event."""
        text = (
            f"{self.run_id}|{self.run_date.isoformat()}|{self.point_count}|{self.points_per_shard}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def shard_count(self) -> int:
        return math.ceil(self.point_count / self.points_per_shard)

    def shard_points(self, shard_id: int) -> range:
        """The point indexes planned for ``shard_id``."""
        shard_id = _int("shard_id", shard_id, 0)
        if shard_id >= self.shard_count:
            raise InvalidFieldError(
                "shard_id", shard_id, f"the run plans shards 0..{self.shard_count - 1}"
            )
        start = shard_id * self.points_per_shard
        return range(start, min(start + self.points_per_shard, self.point_count))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_date": self.run_date.isoformat(),
            "point_count": self.point_count,
            "points_per_shard": self.points_per_shard,
            "plan_digest": self.plan_digest,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRef:
        if not isinstance(data, Mapping):
            raise InvalidFieldError("run", data, "must be a mapping (RunRef.to_dict())")
        missing = [k for k in RunRef._KEYS if k not in data]
        if missing:
            raise InvalidFieldError(missing[0], None, "is required")
        run_date = parse_iso_date(data["run_date"])
        if run_date is None:  # raised here, not inside an except: no cause that echoes the text
            raise InvalidFieldError("run_date", data["run_date"], "must be YYYY-MM-DD")
        ref = cls(
            run_id=data["run_id"],
            run_date=run_date,
            point_count=data["point_count"],
            points_per_shard=data["points_per_shard"],
        )
        digest = data.get("plan_digest")
        if digest is not None and digest != ref.plan_digest:
            raise InvalidFieldError(
                "plan_digest", digest, "does not match the event's run_id/run_date/plan"
            )
        return ref


@dataclass(frozen=True)
class RunContext:
    """One accepted run: how it was requested and planned. Validated on construction.

    ``sweep_config`` is stored as canonical JSON with the volatile keys
    (:data:`~exporter.VOLATILE_CONFIG_KEYS`) left out, and fingerprinted.
    """

    run_id: str
    accepted_at: datetime
    request_source: str
    code_version: str
    points_per_shard: int
    point_count: int
    sweep_config: Mapping[str, Any]
    request_id: str | None = None
    requester: str | None = None
    config_json: str = field(init=False)
    config_fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)
        object.__setattr__(self, "accepted_at", _utc("accepted_at", self.accepted_at))
        _text("request_source", self.request_source)
        _text("code_version", self.code_version)
        _text("request_id", self.request_id, optional=True)
        _text("requester", self.requester, optional=True)
        object.__setattr__(
            self, "points_per_shard", _int("points_per_shard", self.points_per_shard, 1)
        )
        object.__setattr__(self, "point_count", _int("point_count", self.point_count, 1))
        if not isinstance(self.sweep_config, Mapping):
            raise InvalidFieldError("sweep_config", self.sweep_config, "must be a mapping")
        refuse_credentials(self.sweep_config, "sweep_config")
        object.__setattr__(
            self,
            "config_json",
            canonical_json(stable_config(self.sweep_config), field="sweep_config"),
        )
        object.__setattr__(
            self, "config_fingerprint", sha256_hex(self.config_json, field="sweep_config")
        )

    @property
    def run_date(self) -> date:
        return self.accepted_at.date()

    @property
    def shard_count(self) -> int:
        return self.ref().shard_count

    def ref(self) -> RunRef:
        return RunRef(self.run_id, self.run_date, self.point_count, self.points_per_shard)

    def row(self, exporter_version: str) -> dict[str, Any]:
        """The run-context row, column for column as the contract names them."""
        row = {
            "schema_version": contract.SCHEMA_VERSION,
            "accepted_at": self.accepted_at,
            "request_source": self.request_source,
            "request_id": self.request_id,
            "requester": self.requester,
            "code_version": self.code_version,
            "points_per_shard": self.points_per_shard,
            "shard_count": self.shard_count,
            "point_count": self.point_count,
            "config_fingerprint": self.config_fingerprint,
            "config_json": self.config_json,
            "status": "accepted",
            "exporter_version": exporter_version,
        }
        assert tuple(row) == contract.RUN_CONTEXT.column_names
        return row


@dataclass(frozen=True)
class PointResult:
    """One executed point: its effective parameters and its outcome. Validated on construction."""

    point_index: int
    params: Mapping[str, Any]
    started_at: datetime
    finished_at: datetime
    metrics: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    params_json: str = field(init=False)
    param_hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "point_index", _int("point_index", self.point_index, 0))
        if not isinstance(self.params, Mapping):
            raise InvalidFieldError("params", self.params, "must be a mapping of name to value")
        params_json = canonical_json(self.params, field="params", refuse_secrets=True)
        object.__setattr__(self, "params_json", params_json)
        object.__setattr__(self, "param_hash", sha256_hex(params_json, field="params"))
        started = _utc("started_at", self.started_at)
        finished = _utc("finished_at", self.finished_at)
        if finished < started:
            raise InvalidFieldError("finished_at", self.finished_at, "is before started_at")
        object.__setattr__(self, "started_at", started)
        object.__setattr__(self, "finished_at", finished)
        error = check_error(self.error)
        object.__setattr__(self, "metrics", check_metrics(self.metrics, failed=error is not None))
        object.__setattr__(self, "error", error)

    @property
    def status(self) -> str:
        return "failed" if self.error is not None else "succeeded"

    def check_in(self, points: range) -> None:
        if self.point_index not in points:
            raise PointIndexOutOfRangeError(
                "point_index",
                self.point_index,
                f"outside this shard's planned points {points.start}..{points.stop - 1}",
            )
