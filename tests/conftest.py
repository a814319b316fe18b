"""Shared fixtures: a real moto server over HTTP on 127.0.0.1 for S3, Glue and Athena."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

REGION = "us-east-1"


@dataclass(frozen=True)
class Moto:
    endpoint: str
    region: str = REGION

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region)

    def env(self) -> dict[str, str]:
        """What a process needs to talk to this server through the standard AWS settings."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


@pytest.fixture(scope="session", autouse=True)
def _host_temp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The temp folder of this test process and the writers it forks (S3 spools,
    ``ara-spool-*.tmp``) is one under pytest's own temp root: a SIGKILLed writer's spool is
    left there, where pytest prunes old runs, never in the machine's /tmp."""
    import tempfile

    before = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("host-temp"))
    yield
    tempfile.tempdir = before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Moto]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Moto(endpoint=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: Moto, monkeypatch: pytest.MonkeyPatch) -> Moto:
    """The moto server, with this test's environment pointed at it."""
    for key, value in moto_server.env().items():
        monkeypatch.setenv(key, value)
    return moto_server


@pytest.fixture
def s3_bucket(moto: Moto) -> str:
    """A fresh, empty bucket on the moto server."""
    name = f"ara-test-{uuid.uuid4().hex[:12]}"
    moto.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An export root, once a local folder and once a prefix on the moto S3 server."""
    if request.param == "local":
        yield str(tmp_path / "warehouse")
    else:
        bucket = request.getfixturevalue("s3_bucket")
        yield f"s3://{bucket}/exports/v1"


# The offline Athena emulation's session fixtures (tests/athena_emulation/fixtures.py), for any
# test module: athena_compiled, athena_nodes, emulated, emulation_local, emulation_warehouse,
# athena_incremental_compiled.
from athena_emulation.fixtures import (  # noqa: E402, F401
    athena_compiled,
    athena_incremental_compiled,
    athena_nodes,
    emulated,
    emulation_local,
    emulation_warehouse,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Env ARA_TEST_ORDER=reverse runs the tests last to first (each module's too): a test
    that passes only after another of its module, which shares a module-scoped fixture with
    it, fails in one of the two orders. CI runs make test forward and the moved-clock and
    Athena fault runs in reverse."""
    order = os.environ.get("ARA_TEST_ORDER", "")
    if order not in ("", "forward", "reverse"):
        raise pytest.UsageError(f"ARA_TEST_ORDER={order!r}: expected forward or reverse")
    if order == "reverse":
        items.reverse()
