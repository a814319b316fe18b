"""Every error the toolkit raises on purpose. Each names the field and the value at fault."""

from __future__ import annotations

from typing import Any

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


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class ExporterError(Exception):
    """Base class of every error raised on purpose by athena-run-analytics."""


class ValidationError(ExporterError, ValueError):
    """Input broke a rule of the data contract; nothing was written."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={_show(value)}: {reason}")


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
        self.stored = stored
        self.new = new
        super().__init__(
            f"run_id={run_id!r}: already accepted with {field}={_show(stored)}, refusing "
            f"{field}={_show(new)}; the stored run context is unchanged (use a new run_id)"
        )


class StorageError(ExporterError):
    """Reading or writing the export root failed."""


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
            f"{entry}: {operation} failed after {attempts} attempt(s): {code}: {message}"
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
