"""The IAM policies in docs/exporter.md are enough for the example handlers, and no more.

A moto server of its own (a subprocess: authorisation is a process-wide moto setting, which the
session's shared server must not get) with IAM enforcement switched on after set-up. The two
policies are read from the docs, given to two IAM users, and the handlers run with those users'
keys. moto checks actions and resources (not conditions), which is what these policies use.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

pytestmark = pytest.mark.s3

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "exporter.md"
PREFIX = "sweeps"

CHILD = """\
import json, sys
sys.path.insert(0, sys.argv[1])
module = __import__(sys.argv[2])
try:
    print(json.dumps(module.handler(json.loads(sys.stdin.read()))))
except Exception as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
"""


def _policies() -> dict[str, dict[str, Any]]:
    """The orchestrator's and the worker's policy: the two JSON blocks of "IAM permissions"."""
    section = DOC.read_text().split("### IAM permissions", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2, "docs/exporter.md: expected two policies under IAM permissions"
    return {"orchestrator": json.loads(blocks[0]), "worker": json.loads(blocks[1])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self) -> None:
        self.endpoint = f"http://127.0.0.1:{_free_port()}"
        port = self.endpoint.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", port],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{self.endpoint}/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)

    def client(self, service: str, keys: tuple[str, str] = ("admin", "admin")) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=keys[0],
            aws_secret_access_key=keys[1],
        )

    def enforce_iam(self) -> None:
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"0", timeout=10)

    @contextlib.contextmanager
    def set_up(self) -> Iterator[None]:
        """IAM enforcement lifted for the block (set-up and checks, as an administrator)."""
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"1000000", timeout=10)
        try:
            yield
        finally:
            self.enforce_iam()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def iam_world() -> Iterator[tuple[Server, str, dict[str, tuple[str, str]]]]:
    server = Server()
    try:
        bucket = f"ara-iam-{uuid.uuid4().hex[:12]}"
        server.client("s3").create_bucket(Bucket=bucket)
        iam = server.client("iam")
        keys = {}
        for role, policy in _policies().items():
            text = json.dumps(policy).replace("BUCKET", bucket).replace("PREFIX", PREFIX)
            iam.create_user(UserName=role)
            iam.put_user_policy(UserName=role, PolicyName=role, PolicyDocument=text)
            key = iam.create_access_key(UserName=role)["AccessKey"]
            keys[role] = (key["AccessKeyId"], key["SecretAccessKey"])
        server.enforce_iam()
        yield server, bucket, keys
    finally:
        server.stop()


def _invoke(
    server: Server, keys: tuple[str, str], module: str, event: dict[str, Any], **env: str
) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO / "examples"), module],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": os.environ.get("PATH", ""),
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_ACCESS_KEY_ID": keys[0],
            "AWS_SECRET_ACCESS_KEY": keys[1],
            "AWS_DEFAULT_REGION": "us-east-1",
            **env,
        },
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return out


REQUEST = {
    "run_id": "iam-run-1",
    "accepted_at": "2026-03-14T09:30:00+00:00",
    "points_per_shard": 2,
    "sweep_config": {"grid": {"beta": [0.2, 0.3], "gamma": [0.1, 0.2]}},
}


def test_the_documented_policies_run_the_handlers(
    iam_world: tuple[Server, str, dict[str, tuple[str, str]]],
) -> None:
    server, bucket, keys = iam_world
    root = {"ARA_ROOT": f"s3://{bucket}/{PREFIX}"}
    accepted = _invoke(server, keys["orchestrator"], "lambda_orchestrator", REQUEST, **root)
    assert "error" not in accepted, accepted
    again = _invoke(server, keys["orchestrator"], "lambda_orchestrator", REQUEST, **root)
    assert again.get("action") == "unchanged", (
        again
    )  # a redelivery reads the index and the run context
    events = accepted["events"]
    for event in events:
        written = _invoke(server, keys["worker"], "lambda_worker", event, **root)
        assert written.get("rows") == 2, written
    # the gate's path: the worker deletes its own earlier params object (s3:DeleteObject)
    gated = _invoke(
        server,
        keys["worker"],
        "lambda_worker",
        events[0],
        ARA_EXPORT_EFFECTIVE_PARAMS="false",
        **root,
    )
    assert gated.get("rows") == 2, gated
    with server.set_up():
        pages = server.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
        keys_written = sorted(o["Key"] for p in pages for o in p.get("Contents", []))
    datasets = [k.split("/")[1] for k in keys_written]
    assert datasets.count("outcomes") == 2 and datasets.count("run_context") == 1
    assert datasets.count("effective_params") == 1  # shard 0's, deleted under the gate


def test_the_worker_policy_is_scoped_to_its_own_datasets(
    iam_world: tuple[Server, str, dict[str, tuple[str, str]]],
) -> None:
    server, bucket, keys = iam_world
    worker = server.client("s3", keys["worker"])
    with pytest.raises(worker.exceptions.ClientError, match="AccessDenied"):
        worker.put_object(Bucket=bucket, Key=f"{PREFIX}/run_context/x.parquet", Body=b"x")
    with pytest.raises(worker.exceptions.ClientError, match="AccessDenied"):
        worker.put_object(Bucket=bucket, Key="elsewhere/outcomes/x.parquet", Body=b"x")
    with pytest.raises(worker.exceptions.ClientError, match="AccessDenied"):
        worker.list_objects_v2(Bucket=bucket, Prefix=PREFIX)
    with pytest.raises(worker.exceptions.ClientError, match="AccessDenied"):
        worker.delete_object(Bucket=bucket, Key=f"{PREFIX}/outcomes/x.parquet")


def test_a_worker_without_the_index_read_cannot_write(
    iam_world: tuple[Server, str, dict[str, tuple[str, str]]],
) -> None:
    """The policy's GetObject is needed: without it the shard fails, and writes nothing."""
    server, bucket, _ = iam_world
    # a second worker user, with the documented policy less its first statement
    with server.set_up():
        iam = server.client("iam")
        policy = _policies()["worker"]
        policy["Statement"] = policy["Statement"][1:]
        text = json.dumps(policy).replace("BUCKET", bucket).replace("PREFIX", PREFIX)
        iam.create_user(UserName="worker-no-read")
        iam.put_user_policy(UserName="worker-no-read", PolicyName="p", PolicyDocument=text)
        key = iam.create_access_key(UserName="worker-no-read")["AccessKey"]
    event = {
        "run": {
            "run_id": "iam-run-1",
            "run_date": "2026-03-14",
            "point_count": 4,
            "points_per_shard": 2,
        },
        "shard_id": 1,
        "points": [{"beta": 0.3, "gamma": 0.1}, {"beta": 0.3, "gamma": 0.2}],
    }
    with server.set_up():
        before = server.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0)
    out = _invoke(
        server,
        (key["AccessKeyId"], key["SecretAccessKey"]),
        "lambda_worker",
        event,
        ARA_ROOT=f"s3://{bucket}/{PREFIX}",
    )
    assert out.get("error", "").startswith("StorageError") and "AccessDenied" in out["error"]
    with server.set_up():
        assert server.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) == before
