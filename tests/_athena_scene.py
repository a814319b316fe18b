"""Shared by tests/test_athena_atomic*.py: a module's own local Athena endpoint with the
reference sweep exported, bootstrapped and built (Scene), and the statement walk.

Athena marts that never hide data (issue 15), proved on the local Athena endpoint.

The marts are Iceberg tables built by the project's own incremental materialization
(macros/materializations/athena_incremental.sql): one MERGE commits an incremental build, a
full refresh is swapped in whole, every mart a failed build touched is restored (on-run-end),
OPTIMIZE and VACUUM keep the files few. Here, against the endpoint (S3 and Glue from moto, its
Iceberg tables committed all or nothing as Iceberg's are):

* a build made to fail at one of its statements (``LocalAthena.fail_when``; dbt runs with one
  thread, so the k-th statement is the same in every attempt) fails and leaves every mart with
  exactly the rows it had; the build that passes equals a local full build of the same
  exports. The same for ``--full-refresh``. Which statements fail: by default the first
  statement of each kind (:func:`walk_kind`: a view, a backup or stage CTAS, the MERGE,
  OPTIMIZE, a data test, …, before or after the build's first mart write), one build each,
  until a build meets no kind it has not failed (``make test-athena-faults``, in CI); with env
  ARA_ATHENA_FAULT_STRIDE=N every N-th statement (``make test-athena-faults-full``: N=1,
  every one). These modules have the marker ``athena_faults``: not in ``make test``.
* a reader querying the marts in a loop during a passing, a failing and a full-refresh build
  never sees fewer runs than before;
* after 20 incremental builds of one new run each (``make test-athena-faults``; 3 when run
  directly), no mart partition holds more than one data file and no delete file, the rows those
  of a local full build.

Every test works from the state it finds (the module's builds accumulate runs) and adds runs
of its own, so none depends on another or on the order.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from _athena_endpoint import (
    RAW_TABLES,
    athena_query,
    bootstrapped_env,
    comparable,
    local_mart,
    read_tables,
)
from _dbt_scenario import MARTS, Dbt, export_reference_sweep

from exporter.reference import reference_configs, run_sweep
from local_athena import LocalAthena

DBT_SCHEMA = "sweep_analytics_dbt"
RAW_DB = "sweep_analytics"
#: the run window: 2026-11-21 on (sir-baseline, 2026-11-20, is outside it)
AS_OF = "2026-11-23"
LOOKBACK_DAYS = 2
#: every STRIDE-th statement of a build is made to fail (1: every one); None: the first
#: statement of each kind (walk_kind)
STRIDE = (
    max(1, int(os.environ["ARA_ATHENA_FAULT_STRIDE"]))
    if os.environ.get("ARA_ATHENA_FAULT_STRIDE")
    else None
)
#: incremental builds of one new run each before the files are counted (the issue's 20: make
#: test-athena-faults; fewer in make test, already more than OPTIMIZE's thresholds need to fail)
BUILDS = max(1, int(os.environ.get("ARA_ATHENA_COMPACTION_BUILDS", "3")))

Marts = dict[str, Any]


@dataclass
class Scene:
    endpoint: LocalAthena
    env: dict[str, str]
    root: str
    athena: Dbt
    local: Dbt
    runs: int = 0

    def add_run(self, day: int = 22) -> str:
        """A new run of the first reference config accepted on 2026-11-`day` (in the window),
        its raw partitions registered."""
        self.runs += 1
        name, config = reference_configs()[0]
        accepted = datetime(2026, 11, day, 6, 0, tzinfo=UTC) + timedelta(minutes=self.runs)
        run_id = f"{name}-atomic{self.runs:03d}-{accepted:%Y%m%d}"
        run_sweep(self.root, run_id, config, points_per_shard=4, workers=0, accepted_at=accepted)
        self.repair()
        return run_id

    def repair(self) -> None:
        """Registers the raw tables' new partitions (what `ara athena repair` sends)."""
        for table in RAW_TABLES:
            state, reason, _, _ = athena_query(self.endpoint, f"MSCK REPAIR TABLE {table}", RAW_DB)
            assert state == "SUCCEEDED", reason

    def build(
        self,
        *args: str,
        fail_at: int | None = None,
        fail_pattern: str | None = None,
        fail_when: Callable[[int, str], bool] | None = None,
    ) -> tuple[int, int, str]:
        """(exit status, statements submitted, output) of `dbt build --target athena` on one
        thread, its `fail_at`-th statement (if any), those `fail_pattern` matches or those
        `fail_when` answers True for, made to fail."""
        self.endpoint.submitted = 0
        self.endpoint.fail_at = fail_at
        self.endpoint.fail_pattern = fail_pattern
        self.endpoint.fail_when = fail_when
        try:
            proc = self.athena.run(
                "build", "--target", "athena", "--threads", "1", *args, check=False
            )
        finally:
            self.endpoint.fail_at = None
            self.endpoint.fail_pattern = None
            self.endpoint.fail_when = None
        return proc.returncode, self.endpoint.submitted, proc.stdout[-4000:]

    def marts(self) -> Marts:
        return read_tables(self.endpoint, DBT_SCHEMA, MARTS)

    def local_marts(self) -> Marts:
        self.local.run("build", "--target", "local", "--full-refresh")
        return {mart: comparable(*local_mart(self.local, mart)) for mart in MARTS}

    def run_count(self, mart: str) -> int:
        state, reason, _, rows = athena_query(
            self.endpoint, f'SELECT count(DISTINCT run_id) FROM "{DBT_SCHEMA}"."{mart}"'
        )
        assert state == "SUCCEEDED", reason
        return int(rows[0][0] or 0)


@pytest.fixture(scope="module")
def scene(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    """The module's scene, in the module's own region (its ATHENA_REGION): moto's backends are
    one per process, and each region has its own Glue catalog."""
    region = str(request.module.ATHENA_REGION)
    with LocalAthena(region=region) as endpoint:
        s3 = endpoint.client("s3")
        for bucket in ("ara-local-results", f"ara-atomic-{uuid.uuid4().hex[:8]}"):
            # the results bucket may come from another module's endpoint in this process
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                s3.create_bucket(
                    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
                )
        env = bootstrapped_env(endpoint, bucket, RAW_DB)
        root = env["ARA_ROOT"]
        with pytest.MonkeyPatch.context() as mp:
            for key, value in endpoint.env(bucket).items():
                mp.setenv(key, value)
            export_reference_sweep(root)
            dbt_env = {k: v for k, v in env.items() if k.startswith(("AWS_", "ARA_"))}
            window = {"run_window_as_of": AS_OF, "lookback_days": LOOKBACK_DAYS}
            scene = Scene(
                endpoint,
                env,
                root,
                Dbt(tmp_path_factory.mktemp("atomic_athena"), root, env=dbt_env, vars=window),
                Dbt(tmp_path_factory.mktemp("atomic_local"), root, env=dbt_env),
            )
            scene.repair()
            scene.athena.vars = {**window, "test_whole_store": False}
            status, _, out = scene.build()
            assert status == 0, out
            yield scene


_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
_BUILT_TABLE = re.compile(r'^create table \S*?__(ara_[a-z]+|dbt_tmp)"? ')
#: statement heads, longest first; a CTAS is told apart by its table's suffix (_BUILT_TABLE)
_HEADS = (
    "create or replace view",
    "select count(*) as failures",  # a data test
    "with dbt_internal_unit_test_actual",  # a unit test's comparison
    "select distinct",  # the stage's partitions
    "merge into",
    "optimize",
    "vacuum",
    "insert into",
    "delete from",
    "drop table",
    "alter table",
    "create table",
    "select",
)
#: a walk that fails more builds than this is broken (a kind that never repeats, a stride of 1
#: over a build of this many statements)
_MOST_BUILDS = 300
#: the kinds that change a mart: a MERGE, or the CTAS a full refresh swaps in
_MART_WRITES = ("merge into", "create table as (__ara_next)")


def walk_kind(sql: str) -> str:
    """What a build's statement does, without its tables and values, for the fault walk: its
    leading keywords (comments dropped), a CTAS named by its table's role (``__ara_prev``
    backup, ``__ara_stage``, ``__ara_next``, dbt's own ``__dbt_tmp``: a unit test's input)."""
    text = " ".join(_COMMENTS.sub(" ", sql).lower().split())
    if m := _BUILT_TABLE.match(text):
        return f"create table as (__{m.group(1)})"
    return next((h for h in _HEADS if text.startswith(h)), " ".join(text.split()[:2]))


def _first_of_a_new_kind(covered: set[str], chosen: list[str]) -> Callable[[int, str], bool]:
    """A ``fail_when`` for one build: True for its first statement whose kind, before or
    after the build's first mart write, is not in ``covered`` (appended to ``chosen``)."""
    written = False

    def fail(nth: int, sql: str) -> bool:
        nonlocal written
        kind = walk_kind(sql)
        phase = f"{kind}, {'after' if written else 'before'} a mart write"
        written = written or kind in _MART_WRITES
        if chosen or phase in covered:
            return False
        chosen.append(phase)
        return True

    return fail


def walk(scene: Scene, *args: str) -> tuple[int, list[str]]:
    """Fails a build at one statement until a build passes; after each failure every mart
    must hold exactly its rows from before. Which statement: the first of a kind not failed
    yet (STRIDE None; the passing build met no other kind), or statement 1, 1+STRIDE, … (its
    last statement is behind). Returns the passing build's statement count and what was
    failed (kinds, or statement numbers)."""
    before = scene.marts()
    failed: list[str] = []
    k = 1
    while True:
        assert len(failed) < _MOST_BUILDS, f"the walk failed {len(failed)} builds: {failed}"
        chosen: list[str] = []
        if STRIDE is None:
            status, submitted, out = scene.build(
                *args, fail_when=_first_of_a_new_kind(set(failed), chosen)
            )
        else:
            status, submitted, out = scene.build(*args, fail_at=k)
            chosen = [str(k)] if submitted >= k else []
        if status == 0:
            assert not chosen, f"{chosen} was failed, yet the build passed:\n{out}"
            return submitted, failed
        assert chosen, out
        assert "INJECTED_FAILURE" in out or "failed on purpose" in out, out
        after = scene.marts()
        changed = [m for m in MARTS if after[m] != before[m]]
        assert not changed, f"build failed at {chosen[0]}: {changed} changed\n{out}"
        failed.extend(chosen)
        k += STRIDE or 0
