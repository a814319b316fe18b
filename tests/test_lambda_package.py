"""The Lambda package: `make lambda`'s zip runs the example handlers with nothing else installed.

The zip is built once per session (tools/build_lambda.py, from manylinux wheels for the Python
running the tests; wheels cached under dist/lambda/.cache, so only the first run downloads),
unzipped into an empty folder and run in fresh ``python -I -S`` processes whose ``sys.path``
holds that folder, a folder with boto3 and what it imports (the Lambda runtime's own boto3,
stood in for by symlinks into this venv) and the standard library. They write to a moto S3
server over HTTP; dbt's local target reads the result.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _dbt_scenario import Dbt
from conftest import Moto

pytestmark = [pytest.mark.s3, pytest.mark.pypi]

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import build_lambda  # noqa: E402

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
ARCH = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "")
CACHE = REPO / "dist" / "lambda" / ".cache"
TOOL = REPO / "tools" / "build_lambda.py"

#: Run one handler as Lambda would: only the package, boto3 and the standard library importable.
CHILD = """\
import json, sys
pkg, boto, module = sys.argv[1:4]
assert not any("site-packages" in p for p in sys.path), sys.path
sys.path[:0] = [pkg, boto]
handler = __import__(module).handler
result = handler(json.loads(sys.stdin.read()))
print(json.dumps({"result": result, "modules": sorted(sys.modules)}, default=str))
"""


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> build_lambda.Built:
    if PYTHON not in build_lambda.RUNTIME_GLIBC or not ARCH:
        pytest.skip(f"no Lambda runtime matches this interpreter ({PYTHON}, {platform.machine()})")
    out = tmp_path_factory.mktemp("lambda_dist")
    try:
        (built,) = build_lambda.build(
            PYTHON, [ARCH], out, cache=CACHE, layer=False, say=lambda _msg: None
        )
    except build_lambda.BuildError:
        if not _pypi_reachable():
            pytest.skip("PyPI is unreachable and the wheel cache is empty: cannot build the zip")
        raise
    return built


@dataclass(frozen=True)
class Deployed:
    pkg: Path
    boto: Path

    def invoke(self, module: str, event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", CHILD, str(self.pkg), str(self.boto), module],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env={"PATH": os.environ.get("PATH", ""), "TZ": "UTC", **env},
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        out: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
        return out


@pytest.fixture(scope="module")
def deployed(lambda_zip: build_lambda.Built, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    base = tmp_path_factory.mktemp("lambda_task")
    pkg = base / "task"  # an empty folder, like /var/task
    pkg.mkdir()
    with zipfile.ZipFile(lambda_zip.path) as archive:
        archive.extractall(pkg)
    return Deployed(pkg, build_lambda.runtime_stand_in(base / "runtime"))


@dataclass(frozen=True)
class Sweep:
    root: str
    point_count: int
    first: dict[str, Any]
    objects_first: dict[str, str]  # key -> ETag after every shard ran once
    objects_again: dict[str, str]  # ... and after shard 1's event ran a second time
    worker_modules: list[str]
    orchestrator_modules: list[str]
    dbt: Dbt


def _objects(moto: Moto, bucket: str) -> dict[str, str]:
    pages = moto.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


@pytest.fixture(scope="module")
def sweep(
    deployed: Deployed, moto_server: Moto, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sweep]:
    bucket = f"ara-lambda-{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as mp:  # the test process's own client: moto's settings
        for key, value in moto_server.env().items():
            mp.setenv(key, value)
        yield from _sweep(deployed, moto_server, bucket, tmp_path_factory)


def _sweep(
    deployed: Deployed, moto_server: Moto, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sweep]:
    moto_server.client("s3").create_bucket(Bucket=bucket)
    root = f"s3://{bucket}/sweeps"
    env = {**moto_server.env(), "ARA_ROOT": root}
    request = {
        "run_id": "lambda-run-1",
        "accepted_at": "2026-03-14T09:30:00+00:00",  # pinned: dbt reads a fixed-date store
        "points_per_shard": 4,
        "sweep_config": {
            "grid": {"beta": [0.2, 0.3, 2.5], "gamma": [0.1, 0.2, 0.25]},
            "fixed": {"population": 5000},
        },
    }
    accepted = deployed.invoke("lambda_orchestrator", request, env)
    events = accepted["result"]["events"]
    worker_modules: set[str] = set()
    for event in events:
        worker_modules.update(deployed.invoke("lambda_worker", event, env)["modules"])
    first = _objects(moto_server, bucket)
    # Lambda retries a failed asynchronous invocation: the same event again
    again = deployed.invoke("lambda_worker", events[1], env)
    second = _objects(moto_server, bucket)
    dbt = Dbt(tmp_path_factory.mktemp("dbt_lambda"), root, env=moto_server.env())
    dbt.run("build", "--target", "local")
    yield Sweep(
        root=root,
        point_count=9,
        first=again["result"],
        objects_first=first,
        objects_again=second,
        worker_modules=sorted(worker_modules),
        orchestrator_modules=accepted["modules"],
        dbt=dbt,
    )


def test_zip_is_named_for_the_runtime_and_within_the_limits(
    lambda_zip: build_lambda.Built,
) -> None:
    assert lambda_zip.path.name == f"exporter-worker-py{PYTHON}-{ARCH}.zip"
    assert 0 < lambda_zip.zipped <= build_lambda.MAX_ZIPPED
    assert lambda_zip.zipped < lambda_zip.unzipped <= build_lambda.MAX_UNZIPPED
    with zipfile.ZipFile(lambda_zip.path) as archive:
        names = archive.namelist()
    tops = {n.split("/")[0] for n in names}
    assert {"exporter", "pyarrow", "lambda_worker.py", "lambda_orchestrator.py"} <= tops
    assert not tops & {"boto3", "botocore", "yaml", "numpy", "bin"}, tops
    # stripped: no tests, caches, Cython sources, headers, nor the modules a worker never loads
    assert not [n for n in names if "/tests/" in n or "__pycache__" in n or "/include/" in n]
    assert not [n for n in names if n.endswith((".pyx", ".pxd", ".pxi", ".h", ".pyc"))]
    assert not [n for n in names if "flight" in n or "_s3fs" in n or "libarrow_s3" in n]
    # the local Athena endpoint is a package of its own, never in a worker's zip
    assert "local_athena" not in tops
    assert not [n for n in names if "athena/local/" in n or n.startswith("exporter/athena/local")]
    assert not [n for n in names if "sqlglot" in n or "duckdb" in n or "moto" in n]


@pytest.mark.dbt
def test_the_zipped_handlers_write_a_shard_that_dbt_reads(sweep: Sweep) -> None:
    rows = sweep.dbt.query(
        "select run_id, count(*), count(distinct point_index), count(error_message) "
        "from fct_point_outcomes group by run_id"
    )
    # 9 points, every one once; beta=2.5 is numerically unstable on purpose: 3 failed points
    assert rows == [("lambda-run-1", 9, 9, 3)]
    assert sweep.dbt.query("select run_id, run_status from dim_runs") == [
        ("lambda-run-1", "complete")
    ]
    assert set(sweep.dbt.results().values()) <= {"success", "pass"}


def test_a_retried_event_leaves_the_same_objects(sweep: Sweep) -> None:
    assert sweep.first["rows"] == 4 and sweep.first["shard_id"] == 1
    first, again = sweep.objects_first, sweep.objects_again
    assert sorted(again) == sorted(first)  # no new key, nothing left behind
    datasets = sorted(k.split("/")[1] for k in first if not k.startswith("sweeps/_"))
    assert datasets == ["effective_params"] * 3 + ["outcomes"] * 3 + ["run_context"]
    # the retried shard's two objects were replaced by a new write, the others untouched
    retried = {k for k in first if k.endswith("/shard-00001.parquet")}
    assert len(retried) == 2, sorted(first)
    assert {k for k in first if first[k] != again[k]} == retried


ALLOWED_RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
#: The interpreter's ``__main__`` (and ``__mp_main__``, multiprocessing's alias of it: boto3's
#: S3 client loads s3transfer, which imports multiprocessing), Cython's runtime modules (pyarrow's
#: extensions load them; also ``_cython_*`` below) and the standard library's build-time settings
#: (``_sysconfigdata_*``).
ALLOWED_OTHER = {"__main__", "__mp_main__", "cython_runtime", "exporter", "pyarrow"}


def _outside(modules: list[str], extra: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    tops = {m.split(".")[0] for m in modules}
    return {
        t
        for t in tops - set(sys.stdlib_module_names) - ALLOWED_RUNTIME - ALLOWED_OTHER - extra
        if not t.startswith(("_cython_", "_sysconfigdata_"))
    }


def test_the_worker_imports_only_exporter_pyarrow_boto3_and_the_stdlib(sweep: Sweep) -> None:
    assert _outside(sweep.worker_modules, {"lambda_worker"}) == set()
    assert _outside(sweep.orchestrator_modules, {"lambda_orchestrator"}) == set()
    assert "boto3" in sweep.worker_modules and "pyarrow.parquet" in sweep.worker_modules


DEV_CHILD = """\
import importlib.abc, json, os, sys

class Absent(importlib.abc.MetaPathFinder):
    # numpy is absent from the Lambda package (pyarrow >= 16 runs without it); pyyaml and the
    # rest are present here, so an import of them shows in sys.modules
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "numpy":
            raise ImportError(f"No module named {name!r} (absent from the worker package)")
        return None

sys.meta_path.insert(0, Absent())
sys.path.insert(0, sys.argv[1])
import lambda_worker
result = lambda_worker.handler(json.loads(sys.stdin.read()))
print(json.dumps({"rows": result["rows"], "modules": sorted(sys.modules)}))
"""


def test_the_worker_path_in_the_dev_venv_loads_no_yaml_numpy_or_matplotlib(
    tmp_path: Path,
) -> None:
    """Everything is installed here (pyyaml, numpy, matplotlib, duckdb): nothing the worker path
    imports beyond the exporter, pyarrow, boto3 and the standard library may show up."""
    from exporter import RunRef

    run = RunRef("dev-run", __import__("datetime").date(2026, 3, 14), 3, 3)
    event = {"run": run.to_dict(), "shard_id": 0, "points": [{"beta": 0.3, "gamma": 0.1}] * 3}
    proc = subprocess.run(
        [sys.executable, "-c", DEV_CHILD, str(REPO / "examples")],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env={**os.environ, "ARA_ROOT": str(tmp_path / "warehouse")},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["rows"] == 3
    # the venv's own import machinery (editable install finder, setuptools' distutils hack)
    venv = {
        t
        for t in _outside(out["modules"], {"lambda_worker"})
        if t.startswith(("__editable__", "_distutils_hack"))
    }
    assert _outside(out["modules"], {"lambda_worker", *venv}) == set()
    assert not {"yaml", "numpy", "matplotlib", "duckdb"} & {m.split(".")[0] for m in out["modules"]}


def _build_cli(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(TOOL),
            "--python-version",
            PYTHON,
            "--arch",
            ARCH,
            "--no-layer",
            "--out",
            str(out),
            "--cache",
            str(CACHE),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )


@pytest.mark.parametrize(
    ("variable", "words"),
    [("ARA_LAMBDA_MAX_ZIPPED", "zipped"), ("ARA_LAMBDA_MAX_UNZIPPED", "unzipped")],
)
def test_a_zip_over_a_lambda_limit_fails_the_build(
    lambda_zip: build_lambda.Built, tmp_path: Path, variable: str, words: str
) -> None:
    limit = (lambda_zip.zipped if words == "zipped" else lambda_zip.unzipped) - 1
    proc = _build_cli(tmp_path, **{variable: str(limit)})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("build_lambda: error: exporter-worker-py"), lines[0]
    assert f"{words} (" in lines[0] and "over the Lambda limit" in lines[0]
    assert f"{limit:,} bytes" in lines[0] and variable in lines[0]
    assert not list(tmp_path.rglob("*.zip")), "an over-limit zip was left to upload"


def test_a_bad_limit_is_a_usage_error(tmp_path: Path) -> None:
    proc = _build_cli(tmp_path, ARA_LAMBDA_MAX_ZIPPED="fifty")
    assert proc.returncode == 2
    assert "ARA_LAMBDA_MAX_ZIPPED" in proc.stderr and "'fifty'" in proc.stderr
    assert not list(tmp_path.glob("*.zip"))


def test_the_builder_has_help() -> None:
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--help"], capture_output=True, text=True, timeout=60
    )
    assert (
        proc.returncode == 0 and "--python-version" in proc.stdout and "exit status" in proc.stdout
    )


YAML_ABSENT = """\
import importlib.abc, sys

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "yaml":
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Absent())
from exporter.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ara_without_pyyaml_says_what_to_install() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            YAML_ABSENT,
            "athena",
            "bootstrap",
            "--root",
            "s3://bucket/prefix",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert "ara: error:" in lines[-1] and "needs pyyaml" in lines[-1], proc.stderr
    assert "athena-run-analytics[athena]" in lines[-1] and "Traceback" not in proc.stderr


def test_compiled_bytecode_needs_the_runtimes_python(tmp_path: Path) -> None:
    other = "3.12" if PYTHON != "3.12" else "3.11"
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--python-version", other, "--compile", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and f"the runtime is {other}" in proc.stderr
    assert not list(tmp_path.iterdir())


def _example(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"points": [{"beta": 0.2, "gamma": 0.1}]}, "points"),  # one point short
        ({"points": "all"}, "points"),
        ({"shard_id": 5}, "shard_id"),
        ({"run": {"run_id": "r"}}, "run_date"),
        ({"fixed": [1]}, "fixed"),
    ],
)
def test_a_bad_worker_event_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, Any], field: str
) -> None:
    from datetime import date

    from exporter import RunRef
    from exporter.errors import InvalidFieldError

    worker = _example("lambda_worker")
    monkeypatch.setenv("ARA_ROOT", str(tmp_path / "warehouse"))
    run = RunRef("bad-event", date(2026, 3, 14), 4, 2)
    event = {"run": run.to_dict(), "shard_id": 1, "points": [{"beta": 0.2, "gamma": 0.1}] * 2}
    with pytest.raises(InvalidFieldError) as caught:
        worker.handler({**event, **change})
    assert caught.value.field == field
    assert not (tmp_path / "warehouse").exists()


def test_the_worker_needs_its_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from exporter.errors import ConfigError

    monkeypatch.delenv("ARA_ROOT", raising=False)
    with pytest.raises(ConfigError, match="ARA_ROOT"):
        _example("lambda_worker").handler({})


def test_the_orchestrator_refuses_events_over_the_payload_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exporter.errors import InvalidFieldError

    monkeypatch.setenv("ARA_ROOT", str(tmp_path / "warehouse"))
    monkeypatch.setenv("ARA_MAX_EVENT_BYTES", "1000")
    request = {
        "run_id": "big-events",
        "points_per_shard": 50,
        "sweep_config": {"grid": {"beta": [i / 100 for i in range(10)], "gamma": [0.1] * 10}},
    }
    with pytest.raises(InvalidFieldError, match="over the limit of 1,000 bytes") as caught:
        _example("lambda_orchestrator").handler(request)
    assert caught.value.field == "points_per_shard"
    assert not (tmp_path / "warehouse").exists()  # refused before the run was accepted
