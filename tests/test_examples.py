"""The Lambda wiring example runs as documented, against S3 over HTTP (moto server)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from exporter import open_root

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lambda_handlers.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lambda_handlers", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_orchestrator_then_workers_on_s3(
    moto: object, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    handlers = load()
    monkeypatch.setenv("ARA_ROOT", f"s3://{s3_bucket}/sweeps")
    request = {
        "run_id": "api-run-1",
        "request_id": "req-9",
        "requester": "alice",
        "points_per_shard": 3,
        "sweep_config": {"grid": {"beta": [0.2, 0.3], "gamma": [0.1, 0.2, 0.25]}},
    }
    fan_out = handlers.orchestrator_handler(request)
    assert len(fan_out["shards"]) == 2
    results = [handlers.worker_handler(e) for e in fan_out["shards"]]
    assert sum(r["rows"] for r in results) == 6
    retried = handlers.worker_handler({**fan_out["shards"][0], "attempt": 2})
    assert retried["rows"] == 3
    storage = open_root(f"s3://{s3_bucket}/sweeps")
    assert len(storage.list("outcomes")) == 2 and len(storage.list("effective_params")) == 2
    assert len(storage.list("run_context")) == 1
    # a second delivery of the same request is a no-op for the run context
    handlers.orchestrator_handler(request)
    assert len(storage.list("run_context")) == 1
