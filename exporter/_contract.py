"""The data contract: the one place a dataset, column, partition key or layout rule is named.

Everything else — the writers, the Athena DDL, the dbt sources — is derived from or checked
against this module by tests (``tests/test_athena_sql.py`` for the DDL, ``tests/test_dbt_*.py``
for the dbt sources, ``tests/test_contract_docs.py`` for ``docs/data-contract.md``, which explains
it for people).

Versioning: ``SCHEMA_VERSION`` is ``MAJOR.MINOR``. Within a major version changes are additive
only (a new nullable column, a new dataset); renaming, retyping or removing a column is a new
major version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

__all__ = [
    "DATASETS",
    "JOIN_KEYS",
    "OUTCOME_STATUSES",
    "PARTITION_KEYS",
    "PARTITION_TYPES",
    "RUN_CONTEXT_OBJECT",
    "RUN_ID_PATTERN",
    "RUN_INDEX_PREFIX",
    "RUN_PLAN_FIELDS",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "TEMP_PREFIX",
    "Column",
    "Dataset",
    "dataset",
    "object_key",
    "partition_path",
    "run_index_key",
    "shard_object_name",
]

SCHEMA_VERSION = "1.1"

#: Hive partition keys, outermost first. They live in the object path only, never in the files.
PARTITION_KEYS: tuple[str, ...] = ("run_date", "run_id")

#: Keys that join effective parameters to outcomes (and, through ``run_id``, to run context).
JOIN_KEYS: tuple[str, ...] = ("run_id", "shard_id", "point_index")

#: A run id is one path segment: letters, digits, ``_``, ``-`` and single dots, 1-128 chars,
#: starting with a letter or digit. No ``/``, ``=``, spaces or ``..``.
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.)){0,127}$")

OUTCOME_STATUSES: tuple[str, ...] = ("succeeded", "failed")
#: ``accepted`` is what the exporter writes; the others are derived by ``dim_runs``.
RUN_STATUSES: tuple[str, ...] = ("accepted", "partial", "complete", "failed", "inconsistent")

RUN_CONTEXT_OBJECT = "run_context.parquet"
#: The exporter's acceptance index: one small JSON object per accepted run, ``{root}/_run_index/
#: {run_id}.json``, holding the run's partition date and plan. It is how a re-acceptance on
#: another day finds the run's first partition. Not a dataset: no table or model reads it.
RUN_INDEX_PREFIX = "_run_index"
#: The run-context fields a re-acceptance must repeat exactly (else RunConflictError).
RUN_PLAN_FIELDS: tuple[str, ...] = (
    "config_fingerprint",
    "code_version",
    "points_per_shard",
    "point_count",
)
SHARD_OBJECT_DIGITS = 5
#: Where a local root stages an object before the atomic rename: ``{root}/_tmp/``, on the same
#: filesystem as the datasets but outside every dataset prefix and table location, so no glob
#: (DuckDB, dbt, Athena) ever sees a temporary or leftover file.
TEMP_PREFIX = "_tmp"


@dataclass(frozen=True)
class Column:
    """One column of a dataset, with its Arrow type, its Athena (Hive DDL) type and meaning."""

    name: str
    arrow_type: pa.DataType
    athena_type: str
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Dataset:
    """One exported dataset: its columns (in file order) and how its objects are named."""

    name: str
    description: str
    grain: str
    columns: tuple[Column, ...]
    sort_key: tuple[str, ...]
    unique_key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def arrow_schema(self) -> pa.Schema:
        """The schema of every Parquet object of this dataset (partition keys excluded)."""
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in self.columns],
            metadata={b"schema_version": SCHEMA_VERSION.encode(), b"dataset": self.name.encode()},
        )


_TS = pa.timestamp("ms", tz="UTC")
_METRICS = pa.map_(pa.string(), pa.float64())


def _schema_version() -> Column:
    return Column("schema_version", pa.string(), "string", "Contract version, MAJOR.MINOR.")


def _key(name: str, description: str) -> Column:
    return Column(name, pa.int64(), "bigint", description)


_SHARD_ID = _key("shard_id", "0-based shard number within the run.")
_POINT_INDEX = _key(
    "point_index", "0-based position of the point in the run's whole plan; unique within a run."
)
_WRITE_ID = Column(
    "write_id",
    pa.string(),
    "string",
    "Id of the shard write (one ShardWriter.close) that wrote the row; a shard's params and "
    "outcomes rows from one write share it (1.1; null in 1.0 files).",
    nullable=True,
)
_PARAM_HASH = Column(
    "param_hash",
    pa.string(),
    "string",
    "SHA-256 (hex) of the canonical JSON of the point's effective parameters.",
)

RUN_CONTEXT = Dataset(
    name="run_context",
    description="How a run was requested and planned; written once when the run is accepted.",
    grain="one row per run",
    columns=(
        _schema_version(),
        Column("accepted_at", _TS, "timestamp", "When the orchestrator accepted the run (UTC)."),
        Column(
            "request_source",
            pa.string(),
            "string",
            "What submitted the request (api, cli, schedule…).",
        ),
        Column("request_id", pa.string(), "string", "Id of the triggering request.", nullable=True),
        Column(
            "requester",
            pa.string(),
            "string",
            "Who asked for the run (a name, never a credential).",
            nullable=True,
        ),
        Column(
            "code_version",
            pa.string(),
            "string",
            "Version of the simulation code (e.g. a git sha).",
        ),
        Column(
            "points_per_shard", pa.int64(), "bigint", "Shard planning input: points in each shard."
        ),
        Column("shard_count", pa.int64(), "bigint", "Planned number of shards."),
        Column("point_count", pa.int64(), "bigint", "Planned number of points in the whole run."),
        Column(
            "config_fingerprint",
            pa.string(),
            "string",
            "SHA-256 (hex) of the canonical JSON of the sweep configuration.",
        ),
        Column("config_json", pa.string(), "string", "The sweep configuration as canonical JSON."),
        Column("status", pa.string(), "string", "Run status at write time: always 'accepted'."),
        Column(
            "exporter_version", pa.string(), "string", "Version of the exporter that wrote the row."
        ),
    ),
    sort_key=(),
    unique_key=("run_id",),
)

EFFECTIVE_PARAMS = Dataset(
    name="effective_params",
    description=(
        "The fully resolved parameters each point actually ran with "
        "(defaults and derived values included)."
    ),
    grain="one row per planned point of an exported shard",
    columns=(
        _schema_version(),
        _SHARD_ID,
        _POINT_INDEX,
        _PARAM_HASH,
        Column("param_count", pa.int32(), "int", "Number of top-level parameters in params_json."),
        Column(
            "params_json",
            pa.string(),
            "string",
            "Effective parameters as canonical JSON (lossless, typed).",
        ),
        _WRITE_ID,
    ),
    sort_key=("point_index",),
    unique_key=JOIN_KEYS,
)

OUTCOMES = Dataset(
    name="outcomes",
    description="What each point's simulation produced.",
    grain="one row per executed point",
    columns=(
        _schema_version(),
        _SHARD_ID,
        _POINT_INDEX,
        _PARAM_HASH,
        Column("status", pa.string(), "string", "succeeded or failed."),
        Column(
            "error_message",
            pa.string(),
            "string",
            "Why the point failed; null when it succeeded.",
            nullable=True,
        ),
        Column(
            "attempt",
            pa.int32(),
            "int",
            "1-based attempt number of the shard run that wrote the row.",
        ),
        Column("started_at", _TS, "timestamp", "When the point's simulation started (UTC)."),
        Column("finished_at", _TS, "timestamp", "When the point's simulation finished (UTC)."),
        Column(
            "duration_ms",
            pa.float64(),
            "double",
            "finished_at - started_at in ms, unrounded (the timestamps are stored in ms).",
        ),
        Column(
            "metrics",
            _METRICS,
            "map<string,double>",
            "Metric name to value; empty when the point failed.",
        ),
        _WRITE_ID,
    ),
    sort_key=("point_index",),
    unique_key=JOIN_KEYS,
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (RUN_CONTEXT, EFFECTIVE_PARAMS, OUTCOMES)}

#: Partition key types, for DDL and for readers that must not auto-detect them.
PARTITION_TYPES: dict[str, str] = {"run_date": "date", "run_id": "string"}


def dataset(name: str) -> Dataset:
    """The dataset named ``name``; ``KeyError`` for an unknown one."""
    return DATASETS[name]


def partition_path(dataset_name: str, run_date: date, run_id: str) -> str:
    """Relative folder of one run's objects: ``{dataset}/run_date=YYYY-MM-DD/run_id={run_id}``."""
    dataset(dataset_name)
    return f"{dataset_name}/run_date={run_date.isoformat()}/run_id={run_id}"


def shard_object_name(shard_id: int) -> str:
    """Deterministic object name of one shard: ``shard-00042.parquet``."""
    return f"shard-{shard_id:0{SHARD_OBJECT_DIGITS}d}.parquet"


def run_index_key(run_id: str) -> str:
    """Key of a run's acceptance-index object."""
    return f"{RUN_INDEX_PREFIX}/{run_id}.json"


def object_key(dataset_name: str, run_date: date, run_id: str, shard_id: int | None = None) -> str:
    """Relative key of an object: the run-context object when ``shard_id`` is None."""
    name = RUN_CONTEXT_OBJECT if shard_id is None else shard_object_name(shard_id)
    return f"{partition_path(dataset_name, run_date, run_id)}/{name}"
