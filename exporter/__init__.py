"""athena-run-analytics exporter: sweep results as hive-partitioned Parquet, one data contract.

The orchestrator calls :func:`export_run_context` once per accepted run; each worker opens a
:class:`ShardWriter` per shard. Both take one root: a local folder or ``s3://bucket/prefix``.
"""

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
