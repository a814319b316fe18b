"""Every error the toolkit raises on purpose. Each names the field and the value at fault."""

from __future__ import annotations

from typing import Any

from ._console import plural

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
    "RunConflictError",
    "SensitiveFieldError",
    "StorageError",
    "UnsafeValueError",
    "ValidationError",
]


def _mask(text: str) -> str:
    """``text`` with anything credential-shaped replaced (see ``exporter._canonical.redact``)."""
    from ._canonical import redact  # late: _canonical imports this module

    return redact(text)


def _show(value: Any) -> str:
    """A value for an error message: its repr, shortened, never a credential."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    text = _mask(text)
    return text if len(text) <= 120 else text[:117] + "..."


def _safe(value: Any) -> Any:
    """What an error keeps as ``.value``: a string with a credential in it is masked."""
    if isinstance(value, str):
        masked = _mask(value)
        return value if masked == value else masked
    return value


class ExporterError(Exception):
    """Base class of every error raised on purpose by athena-run-analytics."""


class ValidationError(ExporterError, ValueError):
    """Input broke a rule of the data contract; nothing was written."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = _mask(field)
        self.value = _safe(value)
        self.reason = reason
        super().__init__(f"{self.field}={_show(value)}: {reason}")


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
        self.run_id = run_id
        self.field = field
        self.stored = _safe(stored)
        self.new = _safe(new)
        super().__init__(
            f"run_id={_show(run_id)}: already accepted with {field}={_show(stored)}, refusing "
            f"{field}={_show(new)}; the stored run context is unchanged (use a new run_id)"
        )


class StorageError(ExporterError):
    """Reading or writing the export root failed."""

    def __init__(self, message: str) -> None:
        super().__init__(_mask(message))


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
        self.message = message
        self.attempts = attempts
        super().__init__(
            f"{entry}: {operation} failed after {plural(attempts, 'attempt')}: {code}: {message}"
        )


class QueryFailedError(AthenaBootstrapError):
    """An Athena statement ended FAILED or CANCELLED; nothing after it was submitted."""

    def __init__(self, entry: str, query_execution_id: str, state: str, reason: str) -> None:
        self.entry = entry
        self.query_execution_id = query_execution_id
        self.state = state
        self.reason = reason
        super().__init__(f"{entry}: query {query_execution_id} ended {state}: {reason}")


class QueryTimeoutError(AthenaBootstrapError):
    """An Athena statement did not reach a terminal state in time."""

    def __init__(self, entry: str, query_execution_id: str, state: str, seconds: float) -> None:
        self.entry = entry
        self.query_execution_id = query_execution_id
        self.state = state
        self.seconds = seconds
        super().__init__(
            f"{entry}: query {query_execution_id} still {state} after {seconds:g}s "
            "(raise --statement-timeout, or check the query in the Athena console)"
        )
