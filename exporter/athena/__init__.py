"""The Athena bootstrap: an ordered SQL manifest, the runner that submits it, and partitions.

* ``_settings`` — :class:`AthenaSettings` and the safe patterns of values pasted into SQL;
* ``_manifest`` — reading the manifest and rendering its ``${placeholder}`` SQL files;
* ``_runner`` — :class:`AthenaRunner` and :func:`bootstrap`: one statement at a time, stop at the
  first failure with its QueryExecutionId and reason;
* ``_partitions`` — :func:`register_run_partitions` for one accepted run;
* ``_cli`` — ``ara athena …``; ``sql/`` — the packaged manifest and its statements.
"""

from ._manifest import (
    ADD_PARTITIONS_SQL,
    DEFAULT_MANIFEST,
    REPAIR_MANIFEST,
    SQL_DIR,
    Statement,
    load_manifest,
    plan_bootstrap,
    render_sql,
)
from ._partitions import partition_statements, register_run_partitions
from ._runner import TRANSIENT_ERROR_CODES, AthenaRunner, QueryResult, bootstrap
from ._settings import DEFAULT_DATABASE, DEFAULT_WORKGROUP, AthenaSettings

__all__ = [
    "ADD_PARTITIONS_SQL",
    "DEFAULT_DATABASE",
    "DEFAULT_MANIFEST",
    "DEFAULT_WORKGROUP",
    "REPAIR_MANIFEST",
    "SQL_DIR",
    "TRANSIENT_ERROR_CODES",
    "AthenaRunner",
    "AthenaSettings",
    "QueryResult",
    "Statement",
    "bootstrap",
    "load_manifest",
    "partition_statements",
    "plan_bootstrap",
    "register_run_partitions",
    "render_sql",
]
