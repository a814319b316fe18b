"""One accepted run's partitions: ``ALTER TABLE … ADD IF NOT EXISTS PARTITION … LOCATION …``.

:func:`register_run_partitions` adds one run's partition to each of the three tables —
idempotent, never drops anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .. import _contract as contract
from .._records import RunRef, validate_run_id
from ..errors import InvalidFieldError
from ._manifest import ADD_PARTITIONS_SQL, Statement, render_sql
from ._runner import AthenaRunner, QueryResult
from ._settings import DEFAULT_DATABASE, DEFAULT_WORKGROUP, AthenaSettings, validate_run_date

__all__ = ["partition_statements", "register_run_partitions"]


def _coerce_run(run: RunRef | tuple[str, date | str]) -> tuple[str, date]:
    if isinstance(run, RunRef):
        return run.run_id, run.run_date
    if not isinstance(run, tuple) or len(run) != 2:
        raise InvalidFieldError("run", run, "must be a RunRef or a (run_id, run_date) pair")
    run_id, run_date = run
    return validate_run_id(run_id), validate_run_date(run_date)


def partition_statements(
    run: RunRef | tuple[str, date | str],
    settings: AthenaSettings,
    tables: Iterable[str] | None = None,
) -> list[Statement]:
    """``ALTER TABLE … ADD IF NOT EXISTS PARTITION`` for one run, one statement per table."""
    run_id, run_date = _coerce_run(run)
    text = ADD_PARTITIONS_SQL.read_text(encoding="utf-8")
    statements = []
    for table in tables if tables is not None else contract.DATASETS:
        contract.dataset(table)  # only the contract's tables
        values = {
            **settings.placeholders(),
            "table": table,
            "run_date": run_date.isoformat(),
            "run_id": run_id,
            "location": settings.location(contract.partition_path(table, run_date, run_id)),
        }
        entry = f"{ADD_PARTITIONS_SQL.name} ({table})"
        statements.append(
            Statement(entry, ADD_PARTITIONS_SQL, render_sql(text, values, entry=entry))
        )
    return statements


def register_run_partitions(
    run: RunRef | tuple[str, date | str],
    *,
    root: str,
    database: str = DEFAULT_DATABASE,
    workgroup: str = DEFAULT_WORKGROUP,
    output_location: str | None = None,
    region: str | None = None,
    runner: AthenaRunner | None = None,
) -> list[QueryResult]:
    """Register one accepted run's partition in all three tables; call it after acceptance.

    Idempotent (``ADD IF NOT EXISTS``) and additive only: it never drops a partition or touches
    an object. A partition whose folder has no objects yet (a shard still running, or a dataset
    turned off by the feature gate) is simply empty until objects arrive.
    """
    settings = AthenaSettings(
        root=root,
        database=database,
        workgroup=workgroup,
        output_location=output_location,
        region=region,
    )
    statements = partition_statements(run, settings)
    active = runner if runner is not None else AthenaRunner.for_settings(settings)
    return active.run(statements)
