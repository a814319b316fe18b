"""Every error the toolkit raises on purpose. Each names the field and the value at fault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._console import plural
from ._secrets import redact, redacted_repr

__all__ = [
    "AthenaApiError",
    "AthenaBootstrapError",
    "CanonicalJsonError",
    "ConfigError",
    "DuplicatePointError",
    "ExporterError",
    "InvalidFieldError",
    "ManifestError",
    "NonFiniteMetricError",
    "PointIndexOutOfRangeError",
    "QueryFailedError",
    "QueryTimeoutError",
    "RedactedValue",
    "RunConflictError",
    "SensitiveFieldError",
    "StorageError",
    "UnsafeValueError",
    "ValidationError",
]


def _mask(text: str) -> str:
    """``text`` with anything credential-shaped replaced (see ``exporter._secrets.redact``)."""
    return redact(text)


def _show(value: Any) -> str:
    """A value for an error message: its repr, redacted (any type), shortened."""
    text, _ = redacted_repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass(frozen=True)
class RedactedValue:
    """What an error keeps as ``.value`` in place of a value whose repr showed something
    credential-like (or that was too large or deep to check whole): the value's type name and
    its redacted repr. ``str()`` is the redacted repr."""

    type_name: str
    text: str

    def __str__(self) -> str:
        return self.text


def _safe(value: Any) -> Any:
    """What an error keeps as ``.value``: the value itself when nothing in its repr looks like a
    credential; a string with one masked; any other value with one as a :class:`RedactedValue`
    (bytes, containers, a non-mapping ``metrics``, any object's repr)."""
    if isinstance(value, str):
        return _mask(value)
    text, hidden = redacted_repr(value)
    return RedactedValue(type(value).__name__, text) if hidden else value


class ExporterError(Exception):
    """Base class of every error raised on purpose by athena-run-analytics.

    Its message is redacted (a subclass that composes its message from parts masks each part
    and calls :meth:`_composed`, so the redaction of a whole ``name=value`` text cannot swallow
    a field name). One raised while handling another exception is raised ``from None`` or after
    the handler, so no chained cause shows a value.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*(_mask(a) if isinstance(a, str) else a for a in args))

    def _composed(self, message: str) -> None:
        Exception.__init__(self, message)


class ValidationError(ExporterError, ValueError):
    """Input broke a rule of the data contract; nothing was written."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = _mask(field)
        self.value = _safe(value)
        self.reason = _mask(reason)
        self._composed(f"{self.field}={_show(value)}: {self.reason}")


class InvalidFieldError(ValidationError):
    """A field has a value outside its documented range or pattern."""


class CanonicalJsonError(ValidationError):
    """A value cannot be written as canonical JSON (NaN, infinity, a set, bytes, an object…)."""


class SensitiveFieldError(ValidationError):
    """A record would carry something that looks like a credential; it is refused, not stripped."""


class PointIndexOutOfRangeError(ValidationError):
    """A point_index is not inside the run's plan."""


class DuplicatePointError(ValidationError):
    """The same point was recorded twice in one shard."""


class NonFiniteMetricError(ValidationError):
    """A metric is NaN or infinite."""


class ConfigError(ValidationError):
    """A setting (environment variable, option, root url) is malformed."""


class UnsafeValueError(ValidationError):
    """A value that would be pasted into SQL or a path is outside its safe pattern."""


class RunConflictError(ExporterError):
    """A run id was accepted again with another plan or configuration; the stored run is kept."""

    def __init__(self, run_id: str, field: str, stored: Any, new: Any) -> None:
        self.run_id = _mask(run_id)
        self.field = _mask(field)
        self.stored = _safe(stored)
        self.new = _safe(new)
        self._composed(
            f"run_id={_show(run_id)}: already accepted with {field}={_show(stored)}, refusing "
            f"{field}={_show(new)}; the stored run context is unchanged (use a new run_id)"
        )


class StorageError(ExporterError):
    """Reading or writing the export root failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class AthenaBootstrapError(ExporterError):
    """Base class of the Athena bootstrap's errors."""


class ManifestError(AthenaBootstrapError, ValueError):
    """The SQL manifest or one of its files is missing, empty or malformed."""


class AthenaApiError(AthenaBootstrapError):
    """An Athena API call failed (transient errors only after retries); nothing after it ran."""

    def __init__(self, entry: str, operation: str, code: str, message: str, attempts: int) -> None:
        self.entry = entry
        self.operation = operation
        self.code = code
        self.message = _mask(message)
        self.attempts = attempts
        self._composed(
            f"{_mask(entry)}: {operation} failed after {plural(attempts, 'attempt')}: "
            f"{code}: {self.message}"
        )


class QueryFailedError(AthenaBootstrapError):
    """An Athena statement ended FAILED or CANCELLED; nothing after it was submitted."""

    def __init__(self, entry: str, query_execution_id: str, state: str, reason: str) -> None:
        self.entry = entry
        self.query_execution_id = query_execution_id
        self.state = state
        self.reason = _mask(reason)
        self._composed(f"{_mask(entry)}: query {query_execution_id} ended {state}: {self.reason}")


class QueryTimeoutError(AthenaBootstrapError):
    """An Athena statement did not reach a terminal state in time."""

    def __init__(self, entry: str, query_execution_id: str, state: str, seconds: float) -> None:
        self.entry = entry
        self.query_execution_id = query_execution_id
        self.state = state
        self.seconds = seconds
        self._composed(
            f"{_mask(entry)}: query {query_execution_id} still {state} after {seconds:g}s "
            "(raise --statement-timeout, or check the query in the Athena console)"
        )
