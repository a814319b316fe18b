"""athena-run-analytics exporter: sweep results as hive-partitioned Parquet, one data contract.

The orchestrator calls :func:`export_run_context` once per accepted run; each worker opens a
:class:`ShardWriter` per shard. Both take one root: a local folder or ``s3://bucket/prefix``.

A worker's ``import exporter`` loads the writer, pyarrow and the standard library only; the
Athena bootstrap (``AthenaSettings``, ``bootstrap``, ``register_run_partitions``) is imported
on first use, and boto3 when an ``s3://`` root is opened.
"""

from typing import TYPE_CHECKING, Any

from ._canonical import VOLATILE_CONFIG_KEYS, canonical_json, config_fingerprint, param_hash
from ._cleanup import CleanupItem, CleanupReport, cleanup_spool
from ._contract import (
    DATASETS,
    JOIN_KEYS,
    PARTITION_KEYS,
    RUN_ID_PATTERN,
    SCHEMA_VERSION,
    Column,
    Dataset,
    object_key,
    partition_path,
)
from ._records import PointResult, RunContext, RunRef, allow_names
from ._settings import ExportSettings
from ._storage import open_root
from ._version import __version__
from ._writer import (
    RunAcceptance,
    ShardWriter,
    ShardWritten,
    SmallShardWarning,
    export_run_context,
)

if TYPE_CHECKING:  # imported on first use (see __getattr__): a worker never loads the bootstrap
    from .athena import AthenaSettings, bootstrap, register_run_partitions

__all__ = [
    "DATASETS",
    "JOIN_KEYS",
    "PARTITION_KEYS",
    "RUN_ID_PATTERN",
    "SCHEMA_VERSION",
    "VOLATILE_CONFIG_KEYS",
    "AthenaSettings",
    "CleanupItem",
    "CleanupReport",
    "Column",
    "Dataset",
    "ExportSettings",
    "PointResult",
    "RunAcceptance",
    "RunContext",
    "RunRef",
    "ShardWriter",
    "ShardWritten",
    "SmallShardWarning",
    "__version__",
    "allow_names",
    "bootstrap",
    "canonical_json",
    "cleanup_spool",
    "config_fingerprint",
    "export_run_context",
    "object_key",
    "open_root",
    "param_hash",
    "partition_path",
    "register_run_partitions",
]

#: Public names that live in a subpackage the worker path does not need: imported on first use.
_LAZY = {
    "AthenaSettings": "exporter.athena",
    "bootstrap": "exporter.athena",
    "register_run_partitions": "exporter.athena",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'exporter' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
