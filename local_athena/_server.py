"""One HTTP port on 127.0.0.1: moto's S3 and Glue (and the rest of its APIs), and the Athena
query API answered by :class:`~._engine.Engine`.

A WSGI wrapper looks at each request's ``X-Amz-Target``: ``AmazonAthena.<query operation>`` is
answered here (StartQueryExecution, GetQueryExecution, BatchGetQueryExecution, GetQueryResults,
StopQueryExecution, ListQueryExecutions); everything else, including Athena's workgroup and data
catalog calls, goes to moto's app unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._catalog import Catalog
from .engine import Engine, Outcome, statement_kind
from .errors import AthenaQueryError

__all__ = ["ENV_FAIL", "TEST_CREDENTIALS", "LocalAthena"]

#: a regular expression: statements it matches (re.search, re.I | re.M) end FAILED
ENV_FAIL = "ARA_ATHENA_LOCAL_FAIL"
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
_OPERATIONS = (
    "StartQueryExecution",
    "GetQueryExecution",
    "BatchGetQueryExecution",
    "GetQueryResults",
    "StopQueryExecution",
    "ListQueryExecutions",
)
#: GetQueryExecution waits this long for a running query to finish before answering RUNNING,
#: so a client polling once a second is answered as soon as the query ends
_LONG_POLL_SECONDS = 1.0


@dataclass
class _Query:
    query_id: str
    sql: str
    database: str
    catalog: str
    workgroup: str
    output_location: str
    submitted: float
    state: str = "QUEUED"
    reason: str | None = None
    category: int | None = None
    error_code: str | None = None
    completed: float | None = None
    outcome: Outcome | None = None
    started: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    connection: Any = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Execution:
    """One statement the endpoint was sent (LocalAthena.history): what it read.

    ``partitions_read`` holds (database, table, partition values) of every partition whose data
    the statement read: what Athena's partition pruning left of the tables it queried."""

    query_id: str
    sql: str
    state: str
    data_scanned: int
    partitions_read: frozenset[tuple[str, str, tuple[str | None, ...]]]


class _ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class LocalAthena:
    """The local Athena endpoint: start() serves on 127.0.0.1, stop() ends it.

    ``fail_pattern`` (else env ARA_ATHENA_LOCAL_FAIL, read at each submission) makes every
    statement it matches end FAILED with a stated reason, before anything runs.
    ``fail_at`` = n (set it any time; in-process use) fails the n-th statement submitted from
    then on, counted in ``submitted``, and that one only: a test walks a build statement by
    statement with it. ``fail_when`` (in-process use) is asked of every statement, with its
    count and text: the statements it answers True fail the same way.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        region: str = "us-east-1",
        workdir: Path | None = None,
        fail_pattern: str | None = None,
        workers: int = 4,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.port = port
        self.region = region
        self.fail_pattern = fail_pattern
        self.fail_at: int | None = None
        self.fail_when: Callable[[int, str], bool] | None = None
        self.submitted = 0
        self.clock = clock
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="ara-athena-local-"))
        self._queries: dict[str, _Query] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="athena-local")
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.engine: Engine | None = None

    def history(self) -> list[Execution]:
        """Every statement submitted so far, in submission order."""
        with self._lock:
            queries = sorted(self._queries.values(), key=lambda q: q.submitted)
        return [
            Execution(
                q.query_id,
                q.sql,
                q.state,
                q.outcome.data_scanned if q.outcome else 0,
                q.outcome.partitions_read if q.outcome else frozenset(),
            )
            for q in queries
        ]

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalAthena:
        """Serve on 127.0.0.1:``port`` (0: a free port; ``port`` is then the one taken).

        A port outside 0..65535 is a ValueError; a port that cannot be bound (in use, not
        permitted) raises the bind's OSError, and nothing is printed: werkzeug, left to bind
        it, would print its own lines and exit the process, so the socket is bound here.
        """
        import socket

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import LISTEN_QUEUE, make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass  # one line per request would drown the CLI's output

        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ValueError(f"port must be an int 0-65535, got {self.port!r}")
        if not 0 <= self.port <= 65_535:
            raise ValueError(f"port must be 0-65535, got {self.port}")
        moto_app = DomainDispatcherApplication(create_backend_app)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
            sock.bind(("127.0.0.1", self.port))
            sock.listen(LISTEN_QUEUE)
            self._server = make_server(  # serves a duplicate of the listening socket
                "127.0.0.1",
                self.port,
                self._wsgi(moto_app),
                threaded=True,
                request_handler=QuietHandler,
                fd=sock.fileno(),
            )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        cache = self.workdir / "objects"
        cache.mkdir(parents=True, exist_ok=True)
        self.engine = Engine(
            Catalog(self.client("glue"), self.client("s3"), cache, self.region),
            self.workdir,
            clock=self.clock,
        )
        return self

    def stop(self) -> None:
        for query in list(self._queries.values()):
            query.cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalAthena:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self, bucket: str | None = None) -> dict[str, str]:
        """The environment a client needs (AWS settings; the ARA_ settings in ``bucket``)."""
        env = {
            "AWS_ENDPOINT_URL": self.endpoint,
            **TEST_CREDENTIALS,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if bucket is not None:
            env.update(
                {
                    "ARA_ROOT": f"s3://{bucket}/exports",
                    "ARA_ATHENA_OUTPUT_LOCATION": f"s3://{bucket}/athena-results/",
                    "ARA_ATHENA_DATA_DIR": f"s3://{bucket}/dbt/",
                }
            )
        return env

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=TEST_CREDENTIALS["AWS_SESSION_TOKEN"],
            config=Config(max_pool_connections=32, retries={"max_attempts": 2}),
        )

    # --- WSGI ---------------------------------------------------------------------------------

    def _wsgi(self, moto_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
            service, _, operation = target.partition(".")
            if service != "AmazonAthena" or operation not in _OPERATIONS:
                return moto_app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b"{}"
            try:
                request = json.loads(body or b"{}")
                payload = getattr(self, f"_op_{operation}")(request)
                status, data = "200 OK", payload
            except _ApiError as exc:
                status = f"{exc.status} Bad Request" if exc.status == 400 else f"{exc.status} Error"
                data = {"__type": exc.code, "Message": exc.message, "message": exc.message}
            encoded = json.dumps(data).encode()
            start_response(
                status,
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(encoded))),
                    ("x-amzn-RequestId", str(uuid.uuid4())),
                ],
            )
            return [encoded]

        return app

    # --- operations -----------------------------------------------------------------------------

    def _get(self, query_id: Any) -> _Query:
        query = self._queries.get(str(query_id))
        if query is None:
            raise _ApiError("InvalidRequestException", f"QueryExecution {query_id} was not found")
        return query

    def _op_StartQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        sql = request.get("QueryString")
        if not isinstance(sql, str) or not sql.strip():
            raise _ApiError("InvalidRequestException", "QueryString must not be empty")
        token = request.get("ClientRequestToken")
        with self._lock:
            if token and token in self._tokens:
                return {"QueryExecutionId": self._tokens[token]}
        context = request.get("QueryExecutionContext") or {}
        output = (request.get("ResultConfiguration") or {}).get("OutputLocation")
        workgroup = request.get("WorkGroup") or "primary"
        if not output:
            output = self._workgroup_output(workgroup)
        if not output:
            raise _ApiError(
                "InvalidRequestException",
                "No output location provided. An output location is required either through "
                "the Workgroup result configuration setting or as an API input.",
            )
        query = _Query(
            query_id=str(uuid.uuid4()),
            sql=sql,
            database=str(context.get("Database") or "default").lower(),
            catalog=str(context.get("Catalog") or "AwsDataCatalog"),
            workgroup=workgroup,
            output_location=output if output.endswith("/") else output + "/",
            submitted=time.time(),
        )
        with self._lock:
            self._queries[query.query_id] = query
            if token:
                self._tokens[token] = query.query_id
        if request.get("ExecutionParameters"):
            self._finish(
                query,
                error=AthenaQueryError(
                    "NOT_SUPPORTED", "ExecutionParameters (parameterized queries) are not supported"
                ),
            )
            return {"QueryExecutionId": query.query_id}
        with self._lock:
            self.submitted += 1
            nth = self.submitted
        if (self.fail_at is not None and nth == self.fail_at) or (
            self.fail_when is not None and self.fail_when(nth, sql)
        ):
            self._finish(
                query,
                error=AthenaQueryError(
                    "INJECTED_FAILURE",
                    f"statement {nth} of the ones counted since fail_at or fail_when was set: "
                    "failed on purpose by the local Athena endpoint, nothing was executed",
                ),
            )
            return {"QueryExecutionId": query.query_id}
        pattern = self.fail_pattern if self.fail_pattern is not None else os.environ.get(ENV_FAIL)
        if pattern and re.search(pattern, sql, re.I | re.M):
            self._finish(
                query,
                error=AthenaQueryError(
                    "INJECTED_FAILURE",
                    f"{ENV_FAIL}={pattern!r} matches this {statement_kind(sql)} statement: "
                    "failed on purpose by the local Athena endpoint, nothing was executed",
                ),
            )
            return {"QueryExecutionId": query.query_id}
        self._pool.submit(self._run, query)
        return {"QueryExecutionId": query.query_id}

    def _workgroup_output(self, workgroup: str) -> str | None:
        try:
            wg = self.client("athena").get_work_group(WorkGroup=workgroup)["WorkGroup"]
        except Exception:
            return None
        config = wg.get("Configuration", {}).get("ResultConfiguration", {})
        location = config.get("OutputLocation")
        return str(location) if location else None

    def _run(self, query: _Query) -> None:
        if query.cancel.is_set():
            return
        query.state = "RUNNING"
        query.started = time.time()
        assert self.engine is not None

        def keep(con: Any) -> None:
            with self._lock:
                query.connection = con

        try:
            outcome = self.engine.execute(
                query.sql,
                database=query.database,
                output_location=query.output_location,
                query_id=query.query_id,
                on_connection=keep,
                cancel=query.cancel,
            )
        except AthenaQueryError as exc:
            self._finish(query, error=exc)
            return
        except Exception as exc:  # a bug of the endpoint: FAILED, named, never SUCCEEDED
            self._finish(
                query,
                error=AthenaQueryError(
                    "GENERIC_INTERNAL_ERROR",
                    f"local Athena endpoint: {type(exc).__name__}: {exc}",
                    category=1,
                ),
            )
            return
        if outcome.statement_type == "DML" and outcome.substatement_type == "SELECT":
            try:
                self._write_csv(query, outcome)
            except Exception as exc:
                self._finish(
                    query,
                    error=AthenaQueryError(
                        "GENERIC_INTERNAL_ERROR", f"writing the result CSV: {exc}", category=1
                    ),
                )
                return
        self._finish(query, outcome=outcome)

    def _write_csv(self, query: _Query, outcome: Outcome) -> None:
        assert self.engine is not None
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow([n for n, _ in outcome.columns])
        for row in outcome.rows:
            buffer.write(
                ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in row)
            )
            buffer.write("\n")
        self.engine.catalog.put_bytes(
            f"{query.output_location}{query.query_id}.csv", buffer.getvalue().encode()
        )

    def _finish(
        self,
        query: _Query,
        *,
        outcome: Outcome | None = None,
        error: AthenaQueryError | None = None,
    ) -> None:
        with self._lock:
            if query.state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return
            if query.cancel.is_set() and outcome is None:  # finished first: it SUCCEEDED
                query.state = "CANCELLED"
                query.reason = "Query was canceled by user"
            elif error is not None:
                query.state = "FAILED"
                query.reason = error.reason
                query.category = error.category
                query.error_code = error.code
            else:
                query.state = "SUCCEEDED"
                query.outcome = outcome
            query.completed = time.time()
            query.connection = None
        query.done.set()

    def _execution(self, query: _Query) -> dict[str, Any]:
        status: dict[str, Any] = {"State": query.state, "SubmissionDateTime": query.submitted}
        if query.completed is not None:
            status["CompletionDateTime"] = query.completed
        if query.reason:
            status["StateChangeReason"] = query.reason
        if query.state == "FAILED":
            status["AthenaError"] = {
                "ErrorCategory": query.category or 2,
                "ErrorType": 1000 if query.category == 1 else 1100,
                "Retryable": False,
                "ErrorMessage": query.reason,
            }
        outcome = query.outcome
        elapsed = int(((query.completed or time.time()) - query.submitted) * 1000)
        kind = statement_kind(query.sql)
        statement_type = (
            outcome.statement_type
            if outcome
            else ("DML" if kind in ("SELECT", "INSERT INTO") else "DDL")
        )
        execution: dict[str, Any] = {
            "QueryExecutionId": query.query_id,
            "Query": query.sql,
            "StatementType": statement_type,
            "ResultConfiguration": {
                "OutputLocation": f"{query.output_location}{query.query_id}"
                + (".csv" if statement_type == "DML" else ".txt")
            },
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": query.database, "Catalog": query.catalog},
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": elapsed,
                "DataScannedInBytes": outcome.data_scanned if outcome else 0,
                "TotalExecutionTimeInMillis": elapsed,
                "QueryQueueTimeInMillis": 0,
                "ServicePreProcessingTimeInMillis": 0,
                "QueryPlanningTimeInMillis": 0,
                "ServiceProcessingTimeInMillis": 0,
                "ResultReuseInformation": {"ReusedPreviousResult": False},
            },
            "WorkGroup": query.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }
        if outcome is not None:
            execution["SubstatementType"] = outcome.substatement_type
        return execution

    def _op_GetQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        query = self._get(request.get("QueryExecutionId"))
        deadline = time.monotonic() + _LONG_POLL_SECONDS
        while not query.done.is_set() and time.monotonic() < deadline:
            time.sleep(0.005)  # not a timed wait: see interrupt_until_done
        return {"QueryExecution": self._execution(query)}

    def _op_BatchGetQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        found, missing = [], []
        for qid in request.get("QueryExecutionIds") or []:
            query = self._queries.get(str(qid))
            if query is None:
                missing.append(
                    {
                        "QueryExecutionId": qid,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": "QueryExecution was not found",
                    }
                )
            else:
                found.append(self._execution(query))
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def _op_ListQueryExecutions(self, request: dict[str, Any]) -> dict[str, Any]:
        workgroup = request.get("WorkGroup") or "primary"
        ids = [
            q.query_id
            for q in sorted(self._queries.values(), key=lambda q: -q.submitted)
            if q.workgroup == workgroup
        ]
        # pages of at most MaxResults (0..50, default 50: the API reference's range), newest
        # first; NextToken is where the next page starts
        given = request.get("MaxResults")
        max_results = 50 if given is None else int(given)
        if not 0 <= max_results <= 50:
            raise _ApiError("InvalidRequestException", "MaxResults must be between 0 and 50")
        max_results = max_results or 50
        token = request.get("NextToken")
        if token is not None and not (str(token).isdigit() and int(token) <= len(ids)):
            raise _ApiError("InvalidRequestException", f"Invalid NextToken: {token}")
        start = int(token) if token else 0
        result: dict[str, Any] = {"QueryExecutionIds": ids[start : start + max_results]}
        if start + max_results < len(ids):
            result["NextToken"] = str(start + max_results)
        return result

    def _op_StopQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        query = self._get(request.get("QueryExecutionId"))
        if query.done.is_set():
            return {}
        query.cancel.set()

        def interrupt_until_done() -> None:
            # a DuckDB interrupt only stops a statement that is running: repeat it until the
            # query ends (its connection is then closed, never handed to another query).
            # Plain sleeps, not timed waits: those misbehave under a shifted clock (faketime).
            while not query.done.is_set():
                with self._lock:
                    con = query.connection
                if con is not None:
                    with contextlib.suppress(Exception):
                        con.interrupt()
                time.sleep(0.05)

        threading.Thread(target=interrupt_until_done, daemon=True).start()
        if query.state == "QUEUED":
            self._finish(query)
        return {}

    def _op_GetQueryResults(self, request: dict[str, Any]) -> dict[str, Any]:
        query = self._get(request.get("QueryExecutionId"))
        if query.state != "SUCCEEDED":
            if query.state in ("QUEUED", "RUNNING"):
                raise _ApiError(
                    "InvalidRequestException",
                    f"Query has not yet finished. Current state: {query.state}",
                )
            raise _ApiError(
                "InvalidRequestException",
                f"Query did not finish successfully. Final query state: {query.state}"
                + (f"\n{query.reason}" if query.reason else ""),
            )
        outcome = query.outcome
        assert outcome is not None
        max_results = int(request.get("MaxResults") or 1000)
        if not 1 <= max_results <= 1000:
            raise _ApiError("InvalidRequestException", "MaxResults must be between 1 and 1000")
        token = request.get("NextToken")
        start = int(token) if token else 0
        rows: list[dict[str, Any]] = []
        table: list[list[str | None]] = []
        if outcome.statement_type == "DML" and outcome.columns:
            table = [[n for n, _ in outcome.columns], *outcome.rows]  # a query: header row first
        else:
            table = list(outcome.rows)  # DDL and utility results (SHOW …) are plain text rows
        for row in table[start : start + max_results]:
            rows.append({"Data": [{} if v is None else {"VarCharValue": v} for v in row]})
        result: dict[str, Any] = {
            "ResultSet": {
                "Rows": rows,
                "ResultSetMetadata": {
                    "ColumnInfo": [_column_info(n, t) for n, t in outcome.columns]
                },
            },
        }
        if outcome.update_count is not None:
            result["UpdateCount"] = outcome.update_count
        if start + max_results < len(table):
            result["NextToken"] = str(start + max_results)
        return result


_PRECISION = {
    "varchar": 2147483647,
    "bigint": 19,
    "integer": 10,
    "smallint": 5,
    "tinyint": 3,
    "double": 17,
    "real": 7,
    "boolean": 0,
    "date": 0,
    "timestamp": 3,
}


def _column_info(name: str, trino_type: str) -> dict[str, Any]:
    base = trino_type.split("(")[0]
    precision, scale = _PRECISION.get(base, 0), 0
    if trino_type == "timestamp(6)":
        precision = 6
    m = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", trino_type)
    if m:
        precision, scale = int(m.group(1)), int(m.group(2))
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": base,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": base == "varchar",
    }
