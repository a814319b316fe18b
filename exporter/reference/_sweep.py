"""The reference sweep: plan a grid into shards, accept the run, run shards in a process pool.

Each pool worker calls the exporter exactly as a Lambda worker would: it gets the run's
:class:`RunRef` as a plain dict (its "event"), resolves each point's effective parameters, runs
the simulation and records the point in a :class:`ShardWriter`.
"""

from __future__ import annotations

import itertools
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from .._records import RunContext, RunRef
from .._settings import ExportSettings
from .._writer import DEFAULT_POINTS_PER_SHARD, ShardWriter, export_run_context
from ..errors import InvalidFieldError
from ._sir import SimulationError, resolve_params, simulate

__all__ = [
    "DEFAULT_CODE_VERSION",
    "VARIANTS",
    "SweepResult",
    "Variant",
    "plan_points",
    "reference_configs",
    "run_shard",
    "run_sweep",
]

DEFAULT_CODE_VERSION = "reference-sir"


@dataclass(frozen=True)
class Variant:
    """A documented change of the reference model's *code* (docs/compare.md): the same sweep
    config and effective parameters (so every point keeps its ``param_hash`` and the run its
    config fingerprint), another code version. ``ara sweep --variant NAME`` re-runs the
    baseline grid with it, so ``ara compare`` shows what the code change did, point by point."""

    name: str
    code_version: str
    substeps: int
    description: str


#: The model changes ``ara sweep --variant`` knows, by name.
VARIANTS: dict[str, Variant] = {
    "substeps": Variant(
        name="substeps",
        code_version=f"{DEFAULT_CODE_VERSION}+substeps4",
        substeps=4,
        description="each dt step integrated as 4 Euler sub-steps of dt/4 (sampled every dt): "
        "smaller integration error, and the baseline's unstable beta = 2.5 column succeeds",
    ),
}


def plan_points(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The grid's points in plan order (the cartesian product, axes sorted by name)."""
    grid: Mapping[str, Iterable[Any]] = config["grid"]
    names = sorted(grid)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(grid[n] for n in names))
    ]


def reference_configs() -> list[tuple[str, dict[str, Any]]]:
    """Three runs for the demo: two grids on the default population, one on a larger town.

    ``sir-baseline`` is a 12 x 12 beta x gamma grid, dense enough for a readable response
    surface in ``ara report``; its last beta column (2.5, with the default dt 0.25) is
    numerically unstable, so 12 of its 144 points fail on purpose.
    """
    return [
        (
            "sir-baseline",
            {
                "grid": {
                    "beta": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.5],
                    "gamma": [0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.14, 0.17, 0.2, 0.25, 0.3],
                }
            },
        ),
        (
            "sir-fine-step",
            {"grid": {"beta": [0.2, 0.3, 0.4], "gamma": [0.1, 0.125]}, "fixed": {"dt": 0.1}},
        ),
        (
            "sir-large-town",
            {
                "grid": {"beta": [0.25, 0.35, 0.45], "gamma": [0.1, 0.2]},
                "fixed": {"population": 250_000, "initial_infected": 50},
            },
        ),
    ]


def run_shard(
    root: str,
    event: dict[str, Any],
    shard_id: int,
    config: Mapping[str, Any],
    *,
    attempt: int = 1,
    settings: ExportSettings | None = None,
    substeps: int = 1,
) -> int:
    """One worker invocation: run and export one shard; returns the number of points.
    ``substeps`` > 1 is a variant's model change (:data:`VARIANTS`)."""
    run = RunRef.from_dict(event)
    points = plan_points(config)
    overrides = dict(config.get("fixed", {}))
    with ShardWriter(root, run, shard_id, attempt=attempt, settings=settings) as writer:
        for index in run.shard_points(shard_id):
            params = resolve_params(points[index], overrides)
            started = datetime.now(UTC)
            try:
                metrics, error = simulate(params, substeps=substeps), None
            except SimulationError as exc:
                metrics, error = {}, str(exc)
            writer.add_point(
                index,
                params,
                started_at=started,
                finished_at=datetime.now(UTC),
                metrics=metrics,
                error=error,
            )
    return len(run.shard_points(shard_id))


@dataclass(frozen=True)
class SweepResult:
    context: RunContext
    shards_run: int
    points_run: int
    seconds: float


def run_sweep(
    root: str,
    run_id: str,
    config: Mapping[str, Any],
    *,
    points_per_shard: int = DEFAULT_POINTS_PER_SHARD,
    workers: int = 2,
    accepted_at: datetime | None = None,
    skip_shards: Iterable[int] = (),
    request_source: str = "cli",
    requester: str | None = None,
    code_version: str | None = None,
    progress: Callable[[str], None] | None = None,
    settings: ExportSettings | None = None,
    variant: Variant | None = None,
) -> SweepResult:
    """Accept a run, then run its shards in a process pool (``workers=0`` runs them inline).

    ``skip_shards`` leaves shards out, as if their workers had been lost (for partial runs).
    ``points_per_shard`` defaults to ``DEFAULT_POINTS_PER_SHARD`` (10,000: objects Athena reads
    efficiently, see docs/runbook.md); a plan of several shards under 1,000 points each is warned
    about (:class:`~exporter.SmallShardWarning`, raised by ``export_run_context``).
    ``variant`` runs a documented model change (:data:`VARIANTS`) under its code version
    (unless ``code_version`` names another); the sweep config, and so the run's config
    fingerprint and every point's ``param_hash``, stay those of ``config``.
    Everything is validated before the run is accepted: a bad argument writes nothing.
    """
    start = time.perf_counter()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise InvalidFieldError("workers", workers, "must be an integer >= 0 (0 runs inline)")
    points = plan_points(config)
    substeps = 1 if variant is None else variant.substeps
    if code_version is None:
        code_version = DEFAULT_CODE_VERSION if variant is None else variant.code_version
    context = RunContext(
        run_id=run_id,
        accepted_at=accepted_at or datetime.now(UTC),
        request_source=request_source,
        request_id=f"req-{run_id}",
        requester=requester,
        code_version=code_version,
        points_per_shard=points_per_shard,
        point_count=len(points),
        sweep_config=dict(config),
    )
    skip = set(skip_shards)
    for shard in sorted(skip):
        context.ref().shard_points(shard)  # raises for a shard the run does not plan
    acceptance = export_run_context(root, context, settings=settings)
    event = acceptance.run.to_dict()  # the first acceptance's partition date
    shards = [s for s in range(context.shard_count) if s not in skip]
    done = 0
    report = progress or (lambda _msg: None)
    if workers == 0:
        for n, shard in enumerate(shards, 1):
            done += run_shard(root, event, shard, config, settings=settings, substeps=substeps)
            report(f"{run_id}: {n}/{len(shards)} shards, {done}/{len(points)} points")
    else:
        # imported here: a worker importing exporter.reference never loads multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(
                    run_shard, root, event, s, dict(config), settings=settings, substeps=substeps
                ): s
                for s in shards
            }
            for n, future in enumerate(as_completed(futures), 1):
                done += future.result()
                report(f"{run_id}: {n}/{len(shards)} shards, {done}/{len(points)} points")
    return SweepResult(context, len(shards), done, time.perf_counter() - start)


_PROGRESS_LINE = re.compile(r"(?P<run>\S+): (?P<done>\d+)/(?P<total>\d+) shards, (?P<rest>.*)")
_BAR_WIDTH = 24


def stderr_progress(message: str, stream: TextIO | None = None) -> None:
    """``run_sweep``'s progress on stderr: on a terminal one bar per run, updated in place
    (``\\r``) and ended with a newline when its last shard is done; otherwise plain lines."""
    out = sys.stderr if stream is None else stream
    found = _PROGRESS_LINE.fullmatch(message)
    if found is None or not out.isatty():
        print(f"  {message}", file=out, flush=True)
        return
    done, total = int(found["done"]), int(found["total"])
    filled = _BAR_WIDTH * done // total if total else _BAR_WIDTH
    bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
    line = f"  {found['run']} [{bar}] {done}/{total} shards, {found['rest']}"
    out.write(f"\r\x1b[K{line}" + ("\n" if done >= total else ""))
    out.flush()
