"""The Athena bootstrap: an ordered SQL manifest run one statement at a time, and partitions.

* :func:`plan_bootstrap` reads a manifest (``exporter/sql/manifest.yml`` by default), renders
  every file's ``${placeholder}`` and returns the statements in order. Everything is validated and
  rendered before anything is submitted: a missing file, an empty manifest, an unknown placeholder
  or an unsafe value (database, bucket, prefix) raises and nothing runs.
* :func:`bootstrap` submits them through :class:`AthenaRunner`: ``StartQueryExecution`` in the
  workgroup, then ``GetQueryExecution`` until a terminal state. It stops at the first statement
  that does not end ``SUCCEEDED`` (:class:`~exporter.errors.QueryFailedError` names the manifest
  entry, the QueryExecutionId, the state and Athena's reason); nothing after it is submitted.
  Throttling and other transient API errors are retried with backoff; failed queries are not.
* :func:`register_run_partitions` adds one run's partition to each of the three tables with
  ``ALTER TABLE … ADD IF NOT EXISTS PARTITION … LOCATION …`` — idempotent, never drops anything.

Safe patterns (values pasted into SQL must match, or :class:`~exporter.errors.UnsafeValueError`):

* database: ``^[a-z][a-z0-9_]{0,254}$`` (Glue's lowercase names; no quoting needed);
* bucket: S3 bucket naming rules — 3-63 of ``a-z 0-9 . -``, starting and ending with a letter or
  digit, no ``..``, not an IP address;
* prefix: ``/``-separated segments of ``A-Z a-z 0-9 _ . -``, each starting with a letter, digit,
  ``_`` or ``-`` (so no ``.``/``..`` segments), no ``=`` (it would read as a partition), at most
  512 characters;
* run_id: the contract's ``RUN_ID_PATTERN``; run_date: an ISO date.
"""

from __future__ import annotations

import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from . import _contract as contract
from ._records import RunRef, validate_run_id
from .errors import (
    AthenaApiError,
    ConfigError,
    InvalidFieldError,
    ManifestError,
    QueryFailedError,
    QueryTimeoutError,
    UnsafeValueError,
)

__all__ = [
    "ADD_PARTITIONS_SQL",
    "DEFAULT_DATABASE",
    "DEFAULT_MANIFEST",
    "DEFAULT_WORKGROUP",
    "REPAIR_MANIFEST",
    "SQL_DIR",
    "AthenaRunner",
    "AthenaSettings",
    "QueryResult",
    "Statement",
    "bootstrap",
    "load_manifest",
    "partition_statements",
    "plan_bootstrap",
    "register_run_partitions",
    "render_sql",
]

SQL_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_MANIFEST = SQL_DIR / "manifest.yml"
REPAIR_MANIFEST = SQL_DIR / "repair.yml"
ADD_PARTITIONS_SQL = SQL_DIR / "add_partitions.sql"

DEFAULT_DATABASE = "sweep_analytics"
DEFAULT_WORKGROUP = "primary"
DEFAULT_STATEMENT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 1.0

ENV_ROOT = "ARA_ROOT"
ENV_DATABASE = "ARA_ATHENA_DATABASE"
ENV_WORKGROUP = "ARA_ATHENA_WORKGROUP"
ENV_OUTPUT_LOCATION = "ARA_ATHENA_OUTPUT_LOCATION"
ENV_MANIFEST = "ARA_ATHENA_MANIFEST"
ENV_REGIONS = ("AWS_REGION", "AWS_DEFAULT_REGION")

DATABASE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,254}$")
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
PREFIX_SEGMENT_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
PREFIX_MAX_LENGTH = 512
WORKGROUP_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
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


# --------------------------------------------------------------------------- safe values


def validate_database(value: Any) -> str:
    if not isinstance(value, str) or not DATABASE_PATTERN.match(value):
        raise UnsafeValueError(
            "database",
            value,
            "must match ^[a-z][a-z0-9_]{0,254}$ (lowercase letters, digits, '_'; a letter first)",
        )
    return value


def validate_bucket(value: Any, field_name: str = "bucket") -> str:
    if (
        not isinstance(value, str)
        or not BUCKET_PATTERN.match(value)
        or ".." in value
        or ".-" in value
        or "-." in value
        or _IP_LIKE.match(value)
    ):
        raise UnsafeValueError(
            field_name,
            value,
            "must be an S3 bucket name: 3-63 of a-z 0-9 . -, starting and ending with a letter "
            "or digit, no '..', not an IP address",
        )
    return value


def validate_prefix(value: Any) -> str:
    if not isinstance(value, str):
        raise UnsafeValueError("prefix", value, "must be a string")
    if value == "":
        return value
    segments = value.split("/")
    if len(value) > PREFIX_MAX_LENGTH or not all(PREFIX_SEGMENT_PATTERN.match(s) for s in segments):
        raise UnsafeValueError(
            "prefix",
            value,
            "must be '/'-separated segments of A-Z a-z 0-9 _ . -, each starting with a letter, "
            f"digit, '_' or '-' (no empty, '.' or '..' segments, no '='), at most "
            f"{PREFIX_MAX_LENGTH} characters",
        )
    return value


def split_s3_root(root: Any) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix), both checked against their safe patterns."""
    if not isinstance(root, str) or not root.startswith("s3://"):
        raise ConfigError(
            "root",
            root,
            "Athena reads from S3: the export root must be s3://bucket[/prefix] "
            f"(--root or {ENV_ROOT})",
        )
    bucket, _, prefix = root[len("s3://") :].partition("/")
    return validate_bucket(bucket), validate_prefix(prefix.strip("/"))


def _validate_run_date(value: object) -> date:
    if isinstance(value, datetime):
        raise InvalidFieldError("run_date", value, "must be a datetime.date or YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidFieldError("run_date", value, "must be a date as YYYY-MM-DD") from exc
    raise InvalidFieldError("run_date", value, "must be a datetime.date or YYYY-MM-DD")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class AthenaSettings:
    """Where the bootstrap runs and what it points the tables at. Validated on construction.

    ``root`` is the export root (``s3://bucket[/prefix]``); ``output_location`` (Athena's query
    results) and ``region`` are only needed to submit, not for a dry run.
    """

    root: str
    database: str = DEFAULT_DATABASE
    workgroup: str = DEFAULT_WORKGROUP
    output_location: str | None = None
    region: str | None = None
    bucket: str = field(init=False)
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        bucket, prefix = split_s3_root(self.root)
        object.__setattr__(self, "bucket", bucket)
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "root", f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}")
        validate_database(self.database)
        if not isinstance(self.workgroup, str) or not WORKGROUP_PATTERN.match(self.workgroup):
            raise ConfigError("workgroup", self.workgroup, "must be 1-128 of A-Z a-z 0-9 . _ -")
        if self.output_location is not None:
            if not isinstance(self.output_location, str) or not self.output_location.startswith(
                "s3://"
            ):
                raise ConfigError(
                    "output_location", self.output_location, "must be an s3://bucket/prefix/ url"
                )
            validate_bucket(
                self.output_location[len("s3://") :].partition("/")[0], "output_location bucket"
            )
        if self.region is not None and (
            not isinstance(self.region, str) or not REGION_PATTERN.match(self.region)
        ):
            raise ConfigError("region", self.region, "must be an AWS region such as eu-west-1")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, **overrides: str | None
    ) -> AthenaSettings:
        """Settings from ``overrides`` (None means unset), else the environment, else defaults.

        ``ARA_ROOT``, ``ARA_ATHENA_DATABASE``, ``ARA_ATHENA_WORKGROUP``,
        ``ARA_ATHENA_OUTPUT_LOCATION``, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``.
        """
        env = os.environ if env is None else env

        def pick(key: str, *names: str) -> str | None:
            value = overrides.get(key)
            if value:
                return value
            for name in names:
                if env.get(name, "").strip():
                    return env[name].strip()
            return None

        root = pick("root", ENV_ROOT)
        if root is None:
            raise ConfigError("root", None, f"set --root or {ENV_ROOT} to s3://bucket[/prefix]")
        return cls(
            root=root,
            database=pick("database", ENV_DATABASE) or DEFAULT_DATABASE,
            workgroup=pick("workgroup", ENV_WORKGROUP) or DEFAULT_WORKGROUP,
            output_location=pick("output_location", ENV_OUTPUT_LOCATION),
            region=pick("region", *ENV_REGIONS),
        )

    def placeholders(self) -> dict[str, str]:
        """The values a manifest's SQL files may use, each already checked."""
        return {
            "database": self.database,
            "root": self.root,
            "bucket": self.bucket,
            "schema_version": contract.SCHEMA_VERSION,
        }

    def location(self, relative: str) -> str:
        """``{root}/{relative}/``: an S3 folder under the export root."""
        return f"{self.root}/{relative.strip('/')}/"


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class Statement:
    """One rendered statement: the manifest entry it came from and the SQL that is submitted."""

    entry: str
    path: Path
    sql: str


def load_manifest(manifest: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """The manifest's entries in order, each with its file (which must exist).

    YAML (``.yml``/``.yaml``): a mapping with a ``statements`` list, or a bare list. Any other
    file: one path per line, ``#`` starts a comment. Paths are relative to the manifest's folder.
    """
    path = Path(manifest if manifest is not None else DEFAULT_MANIFEST).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ManifestError(f"manifest={str(path)!r}: no such file") from exc
    except OSError as exc:
        raise ManifestError(f"manifest={str(path)!r}: cannot be read: {exc}") from exc

    entries: Any
    if path.suffix.lower() in {".yml", ".yaml"}:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ManifestError(f"manifest={str(path)!r}: not valid YAML: {exc}") from exc
        if isinstance(data, dict) and "statements" not in data:
            raise ManifestError(
                f"manifest={str(path)!r}: expected a 'statements:' list of SQL files, "
                f"found keys {sorted(map(str, data))}"
            )
        if data is not None and not isinstance(data, list | dict):
            raise ManifestError(
                f"manifest={str(path)!r}: expected a 'statements:' list of SQL files"
            )
        entries = data.get("statements") if isinstance(data, dict) else data
    else:
        entries = [
            line.split("#", 1)[0].strip()
            for line in text.splitlines()
            if line.split("#", 1)[0].strip()
        ]
    if not entries:
        raise ManifestError(f"manifest={str(path)!r}: lists no SQL files; nothing to run")
    if not isinstance(entries, list):
        raise ManifestError(f"manifest={str(path)!r}: 'statements' must be a list of SQL files")

    resolved: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, str) or not entry.strip():
            raise ManifestError(
                f"manifest={str(path)!r}: entry {number}={entry!r} must be a SQL file path"
            )
        entry = entry.strip()
        if entry in seen:
            raise ManifestError(f"manifest={str(path)!r}: entry {entry!r} is listed twice")
        seen.add(entry)
        file = path.parent / entry
        if not file.is_file():
            raise ManifestError(f"manifest={str(path)!r}: entry {entry!r}: no such file {file}")
        resolved.append((entry, file))
    return resolved


def _strip_comment_lines(text: str) -> str:
    """Drop whole-line ``--`` comments (Athena's DDL parser dislikes a leading comment)."""
    lines = [line.rstrip() for line in text.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(line for line in lines).strip()


def _semicolons_outside_quotes(sql: str) -> list[int]:
    positions: list[int] = []
    quote: str | None = None
    for i, char in enumerate(sql):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char == ";":
            positions.append(i)
    return positions


def render_sql(text: str, values: Mapping[str, str], *, entry: str) -> str:
    """One file's statement: comment lines dropped, ``${name}`` replaced, one statement only."""
    sql = _strip_comment_lines(text)
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(sql)} - set(values))
    if unknown:
        raise ManifestError(
            f"{entry}: unknown placeholder ${{{unknown[0]}}} "
            f"(known: {', '.join('${' + k + '}' for k in sorted(values))})"
        )
    rendered = _PLACEHOLDER.sub(lambda m: values[m.group(1)], sql)
    if "${" in rendered:
        bad = rendered[rendered.index("${") :].split()[0]
        raise ManifestError(f"{entry}: malformed placeholder {bad!r}; use ${{name}}")
    rendered = rendered.rstrip().removesuffix(";").rstrip()
    if not rendered:
        raise ManifestError(f"{entry}: contains no SQL statement")
    if _semicolons_outside_quotes(rendered):
        raise ManifestError(f"{entry}: holds more than one statement; put one per file")
    return rendered


def render_file(path: Path, values: Mapping[str, str], *, entry: str) -> Statement:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{entry}: cannot be read: {exc}") from exc
    return Statement(entry=entry, path=path, sql=render_sql(text, values, entry=entry))


def plan_bootstrap(
    settings: AthenaSettings, manifest: str | os.PathLike[str] | None = None
) -> list[Statement]:
    """Every statement of the manifest, rendered, in order; raises before anything could run."""
    values = settings.placeholders()
    return [render_file(file, values, entry=entry) for entry, file in load_manifest(manifest)]


# --------------------------------------------------------------------------- running


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


# --------------------------------------------------------------------------- partitions


def _coerce_run(run: RunRef | tuple[str, date | str]) -> tuple[str, date]:
    if isinstance(run, RunRef):
        return run.run_id, run.run_date
    if not isinstance(run, tuple) or len(run) != 2:
        raise InvalidFieldError("run", run, "must be a RunRef or a (run_id, run_date) pair")
    run_id, run_date = run
    return validate_run_id(run_id), _validate_run_date(run_date)


def partition_statements(
    run: RunRef | tuple[str, date | str],
    settings: AthenaSettings,
    tables: Iterable[str] | None = None,
) -> list[Statement]:
    """``ALTER TABLE … ADD IF NOT EXISTS PARTITION`` for one run, one statement per table."""
    run_id, run_date = _coerce_run(run)
    text = ADD_PARTITIONS_SQL.read_text(encoding="utf-8")
    statements = []
    for table in tables if tables is not None else contract.DATASETS:
        contract.dataset(table)  # only the contract's tables
        values = {
            **settings.placeholders(),
            "table": table,
            "run_date": run_date.isoformat(),
            "run_id": run_id,
            "location": settings.location(contract.partition_path(table, run_date, run_id)),
        }
        entry = f"{ADD_PARTITIONS_SQL.name} ({table})"
        statements.append(
            Statement(entry, ADD_PARTITIONS_SQL, render_sql(text, values, entry=entry))
        )
    return statements


def register_run_partitions(
    run: RunRef | tuple[str, date | str],
    *,
    root: str,
    database: str = DEFAULT_DATABASE,
    workgroup: str = DEFAULT_WORKGROUP,
    output_location: str | None = None,
    region: str | None = None,
    runner: AthenaRunner | None = None,
) -> list[QueryResult]:
    """Register one accepted run's partition in all three tables; call it after acceptance.

    Idempotent (``ADD IF NOT EXISTS``) and additive only: it never drops a partition or touches
    an object. A partition whose folder has no objects yet (a shard still running, or a dataset
    turned off by the feature gate) is simply empty until objects arrive.
    """
    settings = AthenaSettings(
        root=root,
        database=database,
        workgroup=workgroup,
        output_location=output_location,
        region=region,
    )
    statements = partition_statements(run, settings)
    active = runner if runner is not None else AthenaRunner.for_settings(settings)
    return active.run(statements)
