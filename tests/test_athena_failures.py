"""The runner's failure paths, which moto cannot produce (its Athena reports every query SUCCEEDED).

These tests use ``botocore.stub.Stubber`` on a real boto3 Athena client: the client builds and
validates every request as it would for AWS, and the stubber answers with the responses queued
here (FAILED and CANCELLED queries, throttling errors, a query that never finishes). A hook on
the client records every operation it was asked to make, so "never submitted" is checked on the
calls themselves, not inferred.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

from exporter.athena import AthenaRunner, AthenaSettings, Statement, _runner, bootstrap
from exporter.cli import main
from exporter.errors import AthenaApiError, QueryFailedError, QueryTimeoutError

ROOT = "s3://results-bucket/sweeps"
OUTPUT = "s3://athena-query-results/ara/"
FILES = {
    "one.sql": "CREATE DATABASE IF NOT EXISTS ${database}\n",
    "two.sql": "MSCK REPAIR TABLE ${database}.outcomes\n",
    "three.sql": "MSCK REPAIR TABLE ${database}.run_context\n",
}


class Recorder:
    """The client's calls, in order: (operation, params)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.athena.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def queries(self) -> list[str]:
        return [p["QueryString"] for op, p in self.calls if op == "StartQueryExecution"]


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield boto3.client("athena", region_name="us-east-1")


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    path = tmp_path / "manifest.yml"
    path.write_text(yaml.safe_dump({"statements": list(FILES)}))
    return path


def _start(stubber: Stubber, query_id: str, sql: str | None = None) -> None:
    expected = {
        "QueryString": sql if sql is not None else ANY,
        "WorkGroup": "primary",
        "ResultConfiguration": {"OutputLocation": OUTPUT},
        "ClientRequestToken": ANY,
    }
    stubber.add_response("start_query_execution", {"QueryExecutionId": query_id}, expected)


def _status(stubber: Stubber, query_id: str, state: str, **status: Any) -> None:
    stubber.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": query_id, "Status": {"State": state, **status}}},
        {"QueryExecutionId": query_id},
    )


def _qid() -> str:
    return str(uuid.uuid4())


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


FAILED_STATUS = {
    "StateChangeReason": "FAILED: SemanticException [Error 10001]: Table not found outcomes",
    "AthenaError": {
        "ErrorCategory": 2,
        "ErrorType": 1301,
        "Retryable": False,
        "ErrorMessage": "Table not found outcomes",
    },
}


def test_second_of_three_fails_third_never_submitted_cli(
    client: Any,
    manifest: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through ``ara athena bootstrap``: non-zero exit, entry, QueryExecutionId, state, reason."""
    recorder = Recorder(client)
    first, second = _qid(), _qid()
    with Stubber(client) as stubber:
        _start(stubber, first, "CREATE DATABASE IF NOT EXISTS sweep_analytics")
        _status(stubber, first, "QUEUED")
        _status(stubber, first, "RUNNING")
        _status(stubber, first, "SUCCEEDED")
        _start(stubber, second, "MSCK REPAIR TABLE sweep_analytics.outcomes")
        _status(stubber, second, "RUNNING")
        _status(stubber, second, "FAILED", **FAILED_STATUS)
        monkeypatch.setattr(_runner, "athena_client", lambda region: client)
        code = main(
            [
                "athena", "bootstrap", "--root", ROOT, "--output-location", OUTPUT,
                "--region", "us-east-1", "--manifest", str(manifest), "--poll-interval", "0",
            ]
        )  # fmt: skip
        stubber.assert_no_pending_responses()

    assert code == 1  # a runtime failure, not a usage error (2)
    assert recorder.queries() == [
        "CREATE DATABASE IF NOT EXISTS sweep_analytics",
        "MSCK REPAIR TABLE sweep_analytics.outcomes",
    ]
    err = capsys.readouterr().err
    assert "[1/3] one.sql … SUCCEEDED" in err
    assert "[2/3] two.sql … FAILED" in err
    assert "not submitted (1): three.sql" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("ara: error: two.sql: ")
    assert second in last and "FAILED" in last
    assert "SemanticException [Error 10001]: Table not found outcomes" in last
    assert "category=2 (USER) type=1301 retryable=False: Table not found outcomes" in last


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_failed_or_cancelled_stops_at_once_and_is_not_retried(
    client: Any, manifest: Path, state: str
) -> None:
    recorder = Recorder(client)
    first, second = _qid(), _qid()
    settings = AthenaSettings(root=ROOT, output_location=OUTPUT)
    runner = AthenaRunner.for_settings(settings, client=client, poll_interval=0)
    with Stubber(client) as stubber:
        _start(stubber, first)
        _status(stubber, first, "SUCCEEDED")
        _start(stubber, second)
        _status(stubber, second, state, StateChangeReason="Query cancelled by user")
        with pytest.raises(QueryFailedError) as failure:
            bootstrap(settings, manifest, runner=runner)
        stubber.assert_no_pending_responses()

    assert failure.value.entry == "two.sql"
    assert failure.value.query_execution_id == second
    assert failure.value.state == state
    assert failure.value.reason == "Query cancelled by user"
    ops = [op for op, _ in recorder.calls]
    assert ops == [
        "StartQueryExecution", "GetQueryExecution", "StartQueryExecution", "GetQueryExecution",
    ]  # fmt: skip


def test_failure_without_a_reason_still_says_so(client: Any) -> None:
    qid = _qid()
    runner = AthenaRunner(client, workgroup="primary", output_location=OUTPUT, poll_interval=0)
    with Stubber(client) as stubber:
        _start(stubber, qid)
        _status(stubber, qid, "FAILED")
        with pytest.raises(QueryFailedError, match="Athena gave no reason"):
            runner.run([Statement("x.sql", Path("x.sql"), "SELECT 1")])


@pytest.mark.parametrize("code", ["ThrottlingException", "TooManyRequestsException"])
def test_throttling_is_retried_with_backoff_and_the_same_request_token(
    client: Any, code: str
) -> None:
    recorder = Recorder(client)
    qid = _qid()
    fake = FakeTime()
    runner = AthenaRunner(
        client,
        workgroup="primary",
        output_location=OUTPUT,
        poll_interval=0,
        backoff_base=1.0,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    with Stubber(client) as stubber:
        stubber.add_client_error("start_query_execution", code, "Rate exceeded", 400)
        stubber.add_client_error("start_query_execution", code, "Rate exceeded", 400)
        _start(stubber, qid)
        stubber.add_client_error("get_query_execution", code, "Rate exceeded", 400)
        _status(stubber, qid, "SUCCEEDED")
        results = runner.run([Statement("x.sql", Path("x.sql"), "SELECT 1")])
        stubber.assert_no_pending_responses()

    assert [(r.entry, r.query_execution_id, r.state) for r in results] == [
        ("x.sql", qid, "SUCCEEDED")
    ]
    tokens = [p["ClientRequestToken"] for op, p in recorder.calls if op == "StartQueryExecution"]
    assert len(tokens) == 3 and len(set(tokens)) == 1  # a retry can never run it twice
    # exponential backoff with jitter in [50%, 100%]: 1s then 2s, then 1s for the poll
    assert len(fake.sleeps) == 3
    assert 0.5 <= fake.sleeps[0] <= 1.0 and 1.0 <= fake.sleeps[1] <= 2.0
    assert 0.5 <= fake.sleeps[2] <= 1.0


def test_throttling_gives_up_after_max_attempts(client: Any) -> None:
    fake = FakeTime()
    runner = AthenaRunner(
        client, workgroup="primary", output_location=OUTPUT, max_api_attempts=3,
        sleep=fake.sleep, clock=fake.clock,
    )  # fmt: skip
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("start_query_execution", "ThrottlingException", "slow", 400)
        with pytest.raises(AthenaApiError) as failure:
            runner.run([Statement("x.sql", Path("x.sql"), "SELECT 1")])
        stubber.assert_no_pending_responses()
    assert failure.value.attempts == 3
    assert "x.sql: start_query_execution failed after 3 attempts: ThrottlingException" in str(
        failure.value
    )


def test_a_non_transient_api_error_is_not_retried(client: Any, manifest: Path) -> None:
    recorder = Recorder(client)
    fake = FakeTime()
    settings = AthenaSettings(root=ROOT, output_location=OUTPUT)
    runner = AthenaRunner.for_settings(settings, client=client, sleep=fake.sleep)
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "start_query_execution", "InvalidRequestException", "WorkGroup does not exist", 400
        )
        with pytest.raises(AthenaApiError, match="WorkGroup does not exist") as failure:
            bootstrap(settings, manifest, runner=runner)
    assert failure.value.attempts == 1 and failure.value.entry == "one.sql"
    assert fake.sleeps == []
    assert len(recorder.calls) == 1


def test_a_statement_that_never_finishes_times_out_with_a_clear_message(
    client: Any, manifest: Path
) -> None:
    recorder = Recorder(client)
    qid = _qid()
    fake = FakeTime()
    settings = AthenaSettings(root=ROOT, output_location=OUTPUT)
    runner = AthenaRunner.for_settings(
        settings, client=client, timeout=30, poll_interval=1, sleep=fake.sleep, clock=fake.clock
    )
    with Stubber(client) as stubber:
        _start(stubber, qid)
        for _ in range(40):
            _status(stubber, qid, "RUNNING")
        with pytest.raises(QueryTimeoutError) as failure:
            bootstrap(settings, manifest, runner=runner)

    message = str(failure.value)
    assert message.startswith(f"one.sql: query {qid} still RUNNING after 30s")
    assert "--statement-timeout" in message
    assert fake.now == pytest.approx(30)  # gave up at the deadline, not before or long after
    assert max(fake.sleeps) <= 5.0  # the poll interval grows but is capped
    assert len(recorder.queries()) == 1  # nothing after it was submitted


def test_a_long_statement_prints_still_running_lines(client: Any) -> None:
    """While a statement has not finished, a line every ``progress_every`` seconds (fake clock)."""
    fake, lines = FakeTime(), []
    runner = AthenaRunner(
        client,
        workgroup="primary",
        output_location=OUTPUT,
        poll_interval=5.0,
        max_poll_interval=5.0,
        progress_every=15.0,
        sleep=fake.sleep,
        clock=fake.clock,
        progress=lines.append,
    )
    query = _qid()
    with Stubber(client) as stubber:
        _start(stubber, query)
        _status(stubber, query, "QUEUED")
        for _ in range(9):  # polled at 5, 10, ... 45 s
            _status(stubber, query, "RUNNING")
        _status(stubber, query, "SUCCEEDED")
        runner.run(
            [Statement("slow.sql", Path("slow.sql"), "MSCK REPAIR TABLE sweep_analytics.outcomes")]
        )
        stubber.assert_no_pending_responses()
    still = [line for line in lines if "still" in line]
    assert still == [
        f"[1/1] slow.sql … still RUNNING ({seconds} s) query {query}" for seconds in (15, 30, 45)
    ]
    assert lines[-1].startswith("[1/1] slow.sql … SUCCEEDED (50.0s)")


def test_no_still_running_line_for_a_quick_statement(client: Any) -> None:
    fake, lines = FakeTime(), []
    runner = AthenaRunner(
        client, workgroup="primary", output_location=OUTPUT, poll_interval=1.0,
        sleep=fake.sleep, clock=fake.clock, progress=lines.append,
    )  # fmt: skip
    query = _qid()
    with Stubber(client) as stubber:
        _start(stubber, query)
        _status(stubber, query, "RUNNING")
        _status(stubber, query, "SUCCEEDED")
        runner.run(
            [
                Statement(
                    "quick.sql", Path("quick.sql"), "MSCK REPAIR TABLE sweep_analytics.outcomes"
                )
            ]
        )
    assert len(lines) == 1 and "SUCCEEDED" in lines[0]
