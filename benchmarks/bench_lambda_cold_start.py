"""Lambda cold start: import and first shard write from the unzipped worker package.

Each sample is a fresh ``python -I -S -B`` process whose ``sys.path`` holds only the unzipped
function zip (``make lambda``'s ``exporter-worker-py{V}-{arch}.zip`` for this interpreter and
machine, built if missing), a folder with boto3 and what it imports (standing in for the Lambda
runtime's own) and the standard library. ``-B`` because Lambda's ``/var/task`` is read-only: no
``__pycache__`` is written, so every cold start compiles the package's ``.py`` files again.
The process times, in order:

Each size is measured twice: the zip as ``make lambda`` builds it (the package's ``.py`` files
compiled at import) and with ``.pyc`` files added (``tools/build_lambda.py --compile``).

* ``import exporter`` (with pyarrow; what a worker's module-level import costs);
* ``import boto3`` (on Lambda the runtime's; the S3 client is created in the first write);
* the first shard write: a ``ShardWriter`` of N points (5 params, 3 metrics each, generated on
  the fly) closed into ``s3://…`` on a moto S3 server over HTTP on 127.0.0.1 (a free port),
  including the S3 client's creation, the acceptance-index read and both PUTs.

The *cold start* column adds them up with the interpreter's start (process spawn to its first
line): what a Lambda's init phase plus its first invocation would spend here, less Lambda's own
overhead; the process's exit is not counted (a Lambda sandbox stays up). It reports its peak RSS
after the import, after boto3 and at the end (``VmHWM`` from ``/proc/self/status``, its own
peak; ``ru_maxrss`` would carry over the benchmark's own, larger peak through ``fork``/``exec``
on Linux, so it is only the fallback). The run is accepted first (``export_run_context``), as
the orchestrator would.

    .venv/bin/python benchmarks/bench_lambda_cold_start.py [--points 1000,10000] [--repeat 5]
        [--zip dist/lambda/exporter-worker-py3.11-x86_64.zip]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import py_compile
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import build_lambda  # noqa: E402

CHILD = """\
import json, resource, sys, time
wall_start = time.time()
start = time.perf_counter()

def peak_kb():
    # VmHWM: this process's own peak RSS. ru_maxrss is not: Linux carries it over exec() from
    # the process that forked this one (here the benchmark, with moto loaded).
    try:
        with open("/proc/self/status") as status:
            return int(status.read().split("VmHWM:")[1].split()[0])
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

pkg, boto, root, run_json = sys.argv[1:5]
sys.path[:0] = [pkg, boto]
import exporter
t_import = time.perf_counter()
rss_import = peak_kb()
import boto3
t_boto = time.perf_counter()
rss_boto = peak_kb()
from datetime import UTC, datetime
run = exporter.RunRef.from_dict(json.loads(run_json))
now = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
with exporter.ShardWriter(root, run, 0) as writer:
    for i in run.shard_points(0):
        params = {"beta": 0.1 + i % 97 / 100, "gamma": 0.05 + i % 89 / 200, "days": 160,
                  "dt": 0.25, "model": "sir-euler"}
        writer.add_point(i, params, started_at=now, finished_at=now,
                         metrics={"peak": i * 0.5, "day": i % 160 * 1.0, "rate": i / 1e6})
t_write = time.perf_counter()
assert writer.written is not None and writer.written.rows == run.point_count
print(json.dumps({
    "wall_start": wall_start, "import": t_import - start, "boto3": t_boto - t_import,
    "write": t_write - t_boto,
    "rss_import_kb": rss_import, "rss_boto_kb": rss_boto,
    "rss_kb": peak_kb(),
    "sys_path_ok": not any("site-packages" in p for p in sys.path[2:]),
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _package(zip_arg: Path | None) -> Path:
    if zip_arg is not None:
        return zip_arg
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    arch = {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()]
    path = REPO / "dist" / "lambda" / f"exporter-worker-py{version}-{arch}.zip"
    if not path.is_file():
        print(f"building {path.name} (tools/build_lambda.py) ...", flush=True)
        build_lambda.build(version, [arch], path.parent, cache=path.parent / ".cache", layer=False)
    return path


def _sample(pkg: Path, boto: Path, root: str, run: dict[str, Any], env: dict[str, str]) -> Any:
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", CHILD, str(pkg), str(boto), root, json.dumps(run)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"cold-start sample failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.splitlines()[-1])
    if not out["sys_path_ok"]:
        raise SystemExit("the child process could see site-packages: not a clean Lambda path")
    out["startup"] = out["wall_start"] - spawned
    out["total"] = out["startup"] + out["import"] + out["boto3"] + out["write"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Cold start of the Lambda worker package: import, first shard write to a "
        "moto S3 server, peak memory; each sample a fresh interpreter.",
    )
    parser.add_argument("--points", default="1000,10000", help="shard sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="cold starts per shard size")
    parser.add_argument("--zip", type=Path, default=None, help="the function zip to measure")
    args = parser.parse_args(argv)
    sizes = [int(p) for p in args.points.split(",")]

    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    from exporter import RunContext, export_run_context

    package = _package(args.zip)
    zipped, unzipped = build_lambda.zip_sizes(package)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(env)
    try:
        boto3.client("s3").create_bucket(Bucket="ara-bench")
        root = "s3://ara-bench/sweeps"
        with tempfile.TemporaryDirectory() as tmp:
            pkg = Path(tmp) / "task"
            with zipfile.ZipFile(package) as archive:
                archive.extractall(pkg)
            boto = build_lambda.runtime_stand_in(Path(tmp) / "runtime")
            print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # the date docs/ quotes
            print(
                f"package: {package.relative_to(REPO) if package.is_relative_to(REPO) else package}"
                f" ({build_lambda.mb(zipped)} zipped, {build_lambda.mb(unzipped)} unzipped); "
                f"python {platform.python_version()} on {platform.machine()}, "
                f"{os.cpu_count()} cpus; {args.repeat} cold starts per size, median (min)"
            )
            print(
                f"{'points':>12}  {'import exporter':>16}  {'import boto3':>13}  "
                f"{'first write':>13}  {'cold start':>13}  {'peak RSS: import, +boto3, write':>32}"
            )
            # the same package with .pyc files (tools/build_lambda.py --compile)
            pkg_pyc = Path(tmp) / "task-pyc"
            shutil.copytree(pkg, pkg_pyc)
            compileall.compile_dir(
                pkg_pyc, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
            )
            for size in sizes:
                ctx = RunContext(
                    run_id=f"bench-cold-{size}",
                    accepted_at=datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
                    request_source="benchmark",
                    request_id=None,
                    requester=None,
                    code_version="bench",
                    points_per_shard=size,
                    point_count=size,
                    sweep_config={"points": size},
                )
                run = export_run_context(root, ctx).run.to_dict()
                for label, folder in ((f"{size:,}", pkg), (f"{size:,} pyc", pkg_pyc)):
                    samples = [_sample(folder, boto, root, run, env) for _ in range(args.repeat)]

                    def fig(key: str, samples: list[Any] = samples) -> str:
                        values = [s[key] for s in samples]
                        return f"{statistics.median(values):.2f} ({min(values):.2f}) s"

                    rss = [
                        statistics.median(s[key] for s in samples) / 1024
                        for key in ("rss_import_kb", "rss_boto_kb", "rss_kb")
                    ]
                    print(
                        f"{label:>12}  {fig('import'):>16}  {fig('boto3'):>13}  "
                        f"{fig('write'):>13}  {fig('total'):>13}  "
                        f"{rss[0]:>10.0f} {rss[1]:>7.0f} {rss[2]:>7.0f} MB",
                        flush=True,
                    )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
