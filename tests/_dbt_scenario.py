"""Shared by the dbt test modules: export a reference sweep, drive the dbt CLI, read the marts.

dbt runs on the repository (the real project, the real profiles.example.yml), with its target
folder, logs, profiles and DuckDB file in a temp folder: in this process through dbt's
programmatic entry point (dbtRunner), as the ``dbt`` CLI runs it, which saves each invocation
the CLI's start (about 5 s of imports here); as a subprocess of this venv's ``dbt`` where
in-process would not be faithful (see :func:`_in_process`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from exporter.reference import plan_points, reference_configs, resolve_params, run_sweep

REPO = Path(__file__).resolve().parent.parent
#: Every model of the dbt project, staging to marts (tests check the project has exactly these).
PROJECT_MODELS = (
    "stg_sweep__run_contexts",
    "stg_sweep__effective_params",
    "stg_sweep__outcomes",
    "int_effective_params_unpivoted",
    "int_outcomes_joined_to_params",
    "int_outcome_metrics_unpivoted",
    "fct_point_outcomes",
    "dim_runs",
    "fct_point_params",
    "fct_run_metric_summary",
    "fct_point_comparisons",
)
#: The marts (tables) among them.
MARTS = (
    "fct_point_outcomes",
    "dim_runs",
    "fct_run_metric_summary",
    "fct_point_params",
    "fct_point_comparisons",
)
DBT = str(Path(sys.executable).with_name("dbt"))
#: the day every test's dbt invocation takes as "today" for its run window (var
#: run_window_as_of), unless the test sets its own: no test meets a window it did not choose
AS_OF = date(2026, 11, 23)
POINTS_PER_SHARD = 4

#: run name -> (accepted_at, shards left out as if their worker was lost)
PLAN: dict[str, tuple[datetime, set[int]]] = {
    "sir-baseline": (datetime(2026, 11, 20, 9, 30, tzinfo=UTC), set()),
    "sir-fine-step": (datetime(2026, 11, 21, 8, 0, tzinfo=UTC), {1}),
    "sir-large-town": (datetime(2026, 11, 21, 23, 59, tzinfo=UTC), set()),
}


@dataclass
class ExportedRun:
    run_id: str
    config: dict[str, Any]
    planned_shards: int
    skipped_shards: set[int]
    #: point_index -> effective params, for every point the exporter was given (not skipped)
    params: dict[int, dict[str, Any]] = field(default_factory=dict)


def export_reference_sweep(root: str) -> dict[str, ExportedRun]:
    """The three reference runs into ``root`` (fine-step misses shard 1); what went in."""
    runs: dict[str, ExportedRun] = {}
    for name, config in reference_configs():
        accepted_at, skip = PLAN[name]
        run_id = f"{name}-{accepted_at:%Y%m%d}"
        result = run_sweep(
            root,
            run_id,
            config,
            points_per_shard=POINTS_PER_SHARD,
            workers=0,
            skip_shards=skip,
            accepted_at=accepted_at,
        )
        run = ExportedRun(run_id, config, result.context.shard_count, set(skip))
        points = plan_points(config)
        overrides = dict(config.get("fixed", {}))
        for index, point in enumerate(points):
            if index // POINTS_PER_SHARD not in skip:
                run.params[index] = resolve_params(point, overrides)
        runs[run_id] = run
    return runs


def write_two_run_marts(path: Path) -> None:
    """A DuckDB file at ``path`` whose ``dim_runs`` holds runs r1 and r2 and whose
    ``fct_point_outcomes`` is empty, with the columns ``ara compare`` reads: enough for the
    command's refusals, which come before any point is read."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table dim_runs (run_id varchar, run_status varchar, "
            "config_fingerprint varchar, code_version varchar)"
        )
        con.execute("insert into dim_runs values ('r1', 'complete', 'f', 'c'), "
                    "('r2', 'complete', 'f', 'd')")  # fmt: skip
        con.execute(
            "create table fct_point_outcomes (run_id varchar, point_index bigint, "
            "param_hash varchar, outcome_status varchar, metrics map(varchar, double), "
            "params_json varchar)"
        )


@dataclass
class Dbt:
    """The dbt CLI on this repository, with everything it writes kept under ``workdir``."""

    workdir: Path
    warehouse_root: str
    env: dict[str, str] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    #: the dbt project to run (a temporary copy, e.g. to show a test fails on changed SQL)
    project_dir: Path = REPO

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        profiles = self.workdir / "profiles"
        profiles.mkdir(exist_ok=True)
        shutil.copy(REPO / "profiles.example.yml", profiles / "profiles.yml")

    @property
    def duckdb_path(self) -> Path:
        return self.workdir / "analytics.duckdb"

    @property
    def target_path(self) -> Path:
        return self.workdir / "target"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "ARA_DUCKDB_PATH": str(self.duckdb_path),
            **self.env,
        }
        cmd = [
            DBT,
            *args,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.workdir / "profiles"),
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.workdir / "logs"),
            "--vars",
            # the scenarios are fixed-date stores: their data tests check the whole store, and
            # the run window is pinned (never today's date)
            json.dumps(
                {
                    "warehouse_root": self.warehouse_root,
                    "test_whole_store": True,
                    "run_window_as_of": AS_OF.isoformat(),
                    **self.vars,
                }
            ),
        ]
        proc = _in_process(cmd, self.project_dir, env)
        if proc is None:  # another thread's dbt is running in this process, or TZ differs
            proc = subprocess.run(
                cmd, cwd=self.project_dir, env=env, capture_output=True, text=True, timeout=600
            )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
            )
        return proc

    def results(self, path: Path | None = None) -> dict[str, str]:
        """Node name -> status from the last invocation's run_results.json (or ``path``, a
        copy kept of an earlier one's)."""
        data = json.loads((path or self.target_path / "run_results.json").read_text())
        return {
            r["unique_id"].split(".")[-1]
            if r["unique_id"].startswith("unit_test")
            else r["unique_id"].split(".")[2]: r["status"]
            for r in data["results"]
            if not r["unique_id"].startswith("exposure.")  # exposures are always "no-op"
        }

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.sql(sql).fetchall()


#: one in-process dbt invocation at a time per process (dbt's flags and adapters are global)
_IN_PROCESS = threading.Lock()
#: an invocation that takes longer fails its test, as the subprocess's timeout did
_TIMEOUT_SECONDS = 600


@contextlib.contextmanager
def _environment(env: Mapping[str, str], cwd: Path) -> Iterator[None]:
    """os.environ and the working directory of a dbt subprocess, for the time of a call. Only
    the variables that differ are set (and put back): other threads of the process (a moto
    server, the local Athena endpoint) never see the environment emptied."""
    here = os.getcwd()
    changed = {k: v for k, v in env.items() if os.environ.get(k) != v}
    removed = [k for k in os.environ if k not in env]
    saved = {k: os.environ.get(k) for k in (*changed, *removed)}
    os.environ.update(changed)
    for key in removed:
        os.environ.pop(key, None)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(here)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _in_process(
    cmd: list[str], cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str] | None:
    """``cmd`` (the dbt CLI's argv) run by dbt's programmatic entry point (dbtRunner) in this
    process, as the CLI runs it: same arguments, environment and working directory, its log
    lines as stdout, the CLI's exit status (0 done, 1 a node failed, 2 dbt itself failed), a
    fresh start (what a process keeps between invocations is reset: dbt-duckdb's open file and
    warn-once messages, fsspec's S3 filesystems, dbt's deprecation counts). None when that
    would not be faithful: a time zone other than this process's (dbt reads it process-wide),
    or another thread's dbt still running here."""
    if env.get("TZ") != os.environ.get("TZ"):
        return None
    if not _IN_PROCESS.acquire(blocking=False):
        return None
    worker = None
    try:
        from dbt.cli.main import dbtRunner, dbtRunnerResult

        out, err = io.StringIO(), io.StringIO()
        found: list[dbtRunnerResult] = []
        worker = threading.Thread(
            target=lambda: found.append(dbtRunner().invoke(cmd[1:])), name="dbt", daemon=True
        )
        _fresh_start()
        with (
            _environment(env, cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            worker.start()
            worker.join(_TIMEOUT_SECONDS)
        if worker.is_alive():
            raise AssertionError(f"dbt {' '.join(cmd[1:3])} ran over {_TIMEOUT_SECONDS} s")
        _fresh_start()
        (result,) = found
        status = 0 if result.success else 1 if result.exception is None else 2
        if result.exception is not None:
            err.write(f"{type(result.exception).__name__}: {result.exception}\n")
        return subprocess.CompletedProcess(cmd, status, out.getvalue(), err.getvalue())
    finally:
        if worker is None or not worker.is_alive():  # else it holds the lock: subprocesses
            _IN_PROCESS.release()


def _fresh_start() -> None:
    """What a new dbt process would not have: the DuckDB file dbt-duckdb keeps open, and its
    warn-once messages; fsspec's cached S3 filesystems; dbt's counts of deprecations shown."""
    from dbt.deprecations import reset_deprecations

    _close_duckdb()
    _forget_remote_files()
    reset_deprecations()


def _close_duckdb() -> None:
    """Closes the DuckDB file dbt-duckdb keeps open after an invocation (a class attribute,
    dropped but not closed by its close_all_connections), as the CLI's exit would: the test
    then opens the file itself, read-only."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager._ENV = None
    DuckDBConnectionManager._LOGGED_MESSAGES.clear()
    if env is not None:
        env.close()  # type: ignore[attr-defined]
    gc.collect()  # an environment dropped earlier closes its file in __del__


def _forget_remote_files() -> None:
    """Drops fsspec's cached S3 filesystems (their listings and open files) that a dbt-duckdb
    invocation kept: a new CLI process starts with none, so a rewritten object is read anew."""
    import fsspec

    fsspec.get_filesystem_class("s3").clear_instance_cache()
