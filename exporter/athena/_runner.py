"""Runs rendered statements on Athena one at a time and stops at the first failure.

:func:`bootstrap` submits them through :class:`AthenaRunner`: ``StartQueryExecution`` in the
workgroup, then ``GetQueryExecution`` until a terminal state. It stops at the first statement
that does not end ``SUCCEEDED`` (:class:`~exporter.errors.QueryFailedError` names the manifest
entry, the QueryExecutionId, the state and Athena's reason); nothing after it is submitted.
Throttling and other transient API errors are retried with backoff; failed queries are not.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import AthenaApiError, ConfigError, QueryFailedError, QueryTimeoutError
from ._manifest import Statement, plan_bootstrap
from ._settings import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_STATEMENT_TIMEOUT,
    ENV_OUTPUT_LOCATION,
    AthenaSettings,
)

__all__ = [
    "TRANSIENT_ERROR_CODES",
    "AthenaRunner",
    "QueryResult",
    "athena_client",
    "bootstrap",
    "failure_reason",
]

_TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
#: Error codes worth retrying: throttling and the service's own transient failures.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
_ERROR_CATEGORIES = {1: "SYSTEM", 2: "USER", 3: "OTHER"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class QueryResult:
    entry: str
    query_execution_id: str
    state: str
    seconds: float


def failure_reason(status: Mapping[str, Any]) -> str:
    """Athena's ``StateChangeReason`` and ``AthenaError`` as one line."""
    parts: list[str] = []
    if status.get("StateChangeReason"):
        parts.append(str(status["StateChangeReason"]))
    error = status.get("AthenaError")
    if error:
        category = error.get("ErrorCategory")
        label = _ERROR_CATEGORIES.get(category, "UNKNOWN") if category is not None else "?"
        detail = (
            f"AthenaError category={category} ({label}) type={error.get('ErrorType', '?')} "
            f"retryable={error.get('Retryable', '?')}"
        )
        if error.get("ErrorMessage"):
            detail += f": {error['ErrorMessage']}"
        parts.append(detail)
    return "; ".join(parts) or "Athena gave no reason"


def athena_client(region: str | None) -> Any:
    """A boto3 Athena client with botocore's own retries off (:class:`AthenaRunner` retries)."""
    import boto3
    from botocore.config import Config

    if region is None:
        raise ConfigError(
            "region", None, "set --region, AWS_REGION or AWS_DEFAULT_REGION to submit to Athena"
        )
    return boto3.client(
        "athena", region_name=region, config=Config(retries={"total_max_attempts": 1})
    )


class AthenaRunner:
    """Runs statements one at a time and stops at the first that does not end SUCCEEDED.

    ``sleep`` and ``clock`` are injectable so tests need not wait; ``progress`` receives one
    line per statement (the CLI prints them to stderr).
    """

    def __init__(
        self,
        client: Any,
        *,
        workgroup: str,
        output_location: str | None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = 5.0,
        timeout: float = DEFAULT_STATEMENT_TIMEOUT,
        max_api_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        progress: Progress | None = None,
    ) -> None:
        if output_location is None:
            raise ConfigError(
                "output_location",
                None,
                f"set --output-location or {ENV_OUTPUT_LOCATION} (s3://bucket/prefix/ for "
                "Athena's query results)",
            )
        if timeout <= 0:
            raise ConfigError("statement_timeout", timeout, "must be > 0 seconds")
        if poll_interval < 0:
            raise ConfigError("poll_interval", poll_interval, "must be >= 0 seconds")
        if max_api_attempts < 1:
            raise ConfigError("max_api_attempts", max_api_attempts, "must be >= 1")
        self.client = client
        self.workgroup = workgroup
        self.output_location = output_location
        self.poll_interval = poll_interval
        self.max_poll_interval = max(max_poll_interval, poll_interval)
        self.timeout = timeout
        self.max_api_attempts = max_api_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.clock = clock
        self.progress = progress

    @classmethod
    def for_settings(
        cls, settings: AthenaSettings, *, client: Any = None, **options: Any
    ) -> AthenaRunner:
        if settings.output_location is None:
            raise ConfigError(
                "output_location",
                None,
                f"set --output-location or {ENV_OUTPUT_LOCATION} (s3://bucket/prefix/ for "
                "Athena's query results)",
            )
        return cls(
            client if client is not None else athena_client(settings.region),
            workgroup=settings.workgroup,
            output_location=settings.output_location,
            **options,
        )

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _call(self, entry: str, operation: str, **kwargs: Any) -> Any:
        """One API call; transient errors are retried with capped, jittered exponential backoff."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        method = getattr(self.client, operation)
        for attempt in range(1, self.max_api_attempts + 1):
            try:
                return method(**kwargs)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", "Unknown"))
                message = str(error.get("Message", exc))
                transient = code in TRANSIENT_ERROR_CODES
            except (
                EndpointConnectionError,
                ConnectionClosedError,
                ConnectTimeoutError,
                ReadTimeoutError,
            ) as exc:
                code, message, transient = type(exc).__name__, str(exc), True
            except BotoCoreError as exc:
                code, message, transient = type(exc).__name__, str(exc), False
            if not transient or attempt == self.max_api_attempts:
                raise AthenaApiError(entry, operation, code, message, attempt)
            delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
            delay *= 0.5 + random.random() / 2  # jitter, not security
            self._say(f"      {entry}: {operation} {code}, retrying in {delay:.1f}s")
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def run_one(self, statement: Statement, index: int = 1, total: int = 1) -> QueryResult:
        started = self.clock()
        response = self._call(
            statement.entry,
            "start_query_execution",
            QueryString=statement.sql,
            WorkGroup=self.workgroup,
            ResultConfiguration={"OutputLocation": self.output_location},
            # The same token on every retry: a retried submission never runs the statement twice.
            ClientRequestToken=uuid.uuid4().hex,
        )
        query_id = str(response["QueryExecutionId"])
        interval = self.poll_interval
        while True:
            execution = self._call(
                statement.entry, "get_query_execution", QueryExecutionId=query_id
            )["QueryExecution"]
            status = execution.get("Status", {})
            state = str(status.get("State", "UNKNOWN"))
            elapsed = self.clock() - started
            if state in _TERMINAL_STATES:
                break
            if elapsed >= self.timeout:
                self._say(
                    f"[{index}/{total}] {statement.entry} … TIMED OUT in {state} "
                    f"({elapsed:.1f}s) query {query_id}"
                )
                raise QueryTimeoutError(statement.entry, query_id, state, self.timeout)
            self.sleep(min(interval, max(self.timeout - elapsed, 0.0)))
            interval = min(interval * 1.5, self.max_poll_interval)
        self._say(
            f"[{index}/{total}] {statement.entry} … {state} ({elapsed:.1f}s) query {query_id}"
        )
        if state != "SUCCEEDED":
            raise QueryFailedError(statement.entry, query_id, state, failure_reason(status))
        return QueryResult(statement.entry, query_id, state, elapsed)

    def run(self, statements: Sequence[Statement]) -> list[QueryResult]:
        """Run in order; on the first failure report what was not submitted, then raise."""
        results: list[QueryResult] = []
        total = len(statements)
        for index, statement in enumerate(statements, 1):
            try:
                results.append(self.run_one(statement, index, total))
            except Exception:
                rest = [s.entry for s in statements[index:]]
                if rest:
                    self._say(f"      not submitted ({len(rest)}): {', '.join(rest)}")
                raise
        return results


def bootstrap(
    settings: AthenaSettings,
    manifest: str | os.PathLike[str] | None = None,
    *,
    runner: AthenaRunner | None = None,
) -> list[QueryResult]:
    """Render every manifest entry, then run them in order; raises at the first failure."""
    statements = plan_bootstrap(settings, manifest)
    active = runner if runner is not None else AthenaRunner.for_settings(settings)
    return active.run(statements)
