"""The local endpoint's Iceberg tables: a small, documented metadata model (docs/athena-parity.md,
"Iceberg tables") whose commits are all-or-nothing as Iceberg's are.

A table is a Glue ``EXTERNAL_TABLE`` with ``Parameters.table_type = ICEBERG`` and
``metadata_location`` naming one JSON object (format :data:`FORMAT`) under
``<location>/metadata/``: schema, identity partition spec, table properties and the snapshots,
each listing every live data file and position delete file. A statement writes its Parquet
files and a NEW metadata object, then swaps the Glue pointer with a compare-and-swap; anything
that fails before the swap leaves the table as it was (its files are orphans VACUUM removes).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from ._catalog import split_s3
from .errors import AthenaQueryError

__all__ = [
    "DEFAULT_PROPERTIES",
    "FORMAT",
    "TABLE_PROPERTIES",
    "Meta",
    "check_iceberg_type",
    "iceberg_partition_path",
    "is_iceberg",
    "parse_partitioning",
]

FORMAT = "ara-local-iceberg/1"
#: Athena's Iceberg table properties (CTAS WITH / ALTER TABLE SET TBLPROPERTIES) and their
#: defaults (https://docs.aws.amazon.com/athena/latest/ug/create-table-as.html)
DEFAULT_PROPERTIES: dict[str, str] = {
    "format": "parquet",
    "write_compression": "zstd",
    "optimize_rewrite_data_file_threshold": "5",
    "optimize_rewrite_delete_file_threshold": "2",
    "vacuum_min_snapshots_to_keep": "1",
    "vacuum_max_snapshot_age_seconds": "432000",
    "vacuum_max_metadata_files_to_keep": "100",
    "write_target_data_file_size_bytes": str(512 * 1024 * 1024),
}
#: properties that may be given beyond the defaulted ones (their defaults derive from others)
TABLE_PROPERTIES = frozenset(
    {
        *DEFAULT_PROPERTIES,
        "optimize_rewrite_min_data_file_size_bytes",
        "optimize_rewrite_max_data_file_size_bytes",
    }
)
_INTEGER_PROPERTIES = TABLE_PROPERTIES - {"format", "write_compression"}


def is_iceberg(table: dict[str, Any] | None) -> bool:
    params = (table or {}).get("Parameters") or {}
    return str(params.get("table_type", "")).upper() == "ICEBERG"


def check_iceberg_type(column: str, hive_type: str) -> None:
    """Athena's Iceberg tables have no tinyint, smallint, char (nor time zones in DDL)."""
    text = hive_type.replace(" ", "").lower()
    bad = re.search(r"\b(tinyint|smallint|char\(\d+\)|char\b)", text)
    if bad or "withtimezone" in text:
        shown = bad.group(1) if bad else hive_type
        raise AthenaQueryError(
            "NOT_SUPPORTED", f"Type not supported for Iceberg: {shown} (column {column})"
        )


def parse_partitioning(items: list[str], columns: list[str] | None) -> list[str]:
    """The identity partition columns of ``partitioning=ARRAY[...]``; transforms fail (and,
    given the columns, a name that is not one)."""
    names = []
    for item in items:
        text = item.strip()
        if not re.fullmatch(r'"?[A-Za-z_][\w]*"?', text):
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"partition transform {text!r} is not supported by the local Athena endpoint "
                "(identity partitioning on named columns only; docs/athena-parity.md)",
            )
        name = text.strip('"').lower()
        if columns is not None and name not in columns:
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY", f"Partition column not found in the table: {name}"
            )
        if name in names:
            raise AthenaQueryError("INVALID_TABLE_PROPERTY", f"Duplicate partition column {name}")
        names.append(name)
    return names


def check_properties(props: dict[str, str]) -> dict[str, str]:
    """Validated Iceberg table properties (names Athena documents; integers where numeric)."""
    unknown = sorted(set(props) - TABLE_PROPERTIES)
    if unknown:
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"Iceberg table properties not supported by the local Athena endpoint: "
            f"{', '.join(unknown)}",
        )
    for name in sorted(set(props) & _INTEGER_PROPERTIES):
        if not re.fullmatch(r"\d+", props[name].strip()):
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY", f"{name} must be a non-negative integer: {props[name]!r}"
            )
    if props.get("format", "parquet").lower() != "parquet":
        raise AthenaQueryError(
            "NOT_SUPPORTED", f"Iceberg format '{props['format']}' is not supported (Parquet only)"
        )
    return {k: v.strip() for k, v in props.items()}


def iceberg_partition_path(keys: list[str], values: list[str | None]) -> str:
    """``k=v/…`` of a data file's folder (URL-escaped, as Iceberg's partitionToPath)."""
    from urllib.parse import quote_plus

    return "/".join(
        f"{k}={quote_plus(v) if v is not None else 'null'}"
        for k, v in zip(keys, values, strict=True)
    )


@dataclass
class Meta:
    """One metadata object: its JSON document and where it is (None before the first commit)."""

    doc: dict[str, Any]
    location: str | None

    # --- reading -------------------------------------------------------------------------

    @property
    def table_location(self) -> str:
        return str(self.doc["location"]).rstrip("/")

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(str(c["name"]), str(c["type"])) for c in self.doc["schema"]]

    @property
    def partition_keys(self) -> list[str]:
        return [str(p["source"]) for p in self.doc["partition_spec"]]

    def prop(self, name: str) -> int:
        props = self.doc["properties"]
        if name in props:
            return int(props[name])
        target = int(props.get("write_target_data_file_size_bytes", 0)) or int(
            DEFAULT_PROPERTIES["write_target_data_file_size_bytes"]
        )
        if name == "optimize_rewrite_min_data_file_size_bytes":
            return int(target * 0.75)
        if name == "optimize_rewrite_max_data_file_size_bytes":
            return int(target * 1.8)
        return int(DEFAULT_PROPERTIES[name])

    def snapshot(self, snapshot_id: int | None = None) -> dict[str, Any] | None:
        wanted = self.doc.get("current_snapshot_id") if snapshot_id is None else snapshot_id
        if wanted is None:
            return None
        for snap in self.doc["snapshots"]:
            if int(snap["snapshot_id"]) == int(wanted):
                return dict(snap)
        raise AthenaQueryError("INVALID_ARGUMENT", f"Iceberg snapshot ID does not exists: {wanted}")

    def snapshot_at(self, timestamp_ms: int) -> dict[str, Any]:
        """The snapshot current at a time (the newest committed at or before it)."""
        found = [s for s in self.doc["snapshots"] if int(s["timestamp_ms"]) <= timestamp_ms]
        if not found:
            raise AthenaQueryError(
                "INVALID_ARGUMENT", "No version history table before the given timestamp"
            )
        return dict(max(found, key=lambda s: (int(s["timestamp_ms"]), int(s["snapshot_id"]))))

    def referenced(self) -> set[str]:
        """Every object this metadata references: files of all its snapshots, logged metadata."""
        found: set[str] = set()
        for snap in self.doc["snapshots"]:
            found.update(f["path"] for f in snap["data_files"])
            found.update(f["path"] for f in snap["delete_files"])
        found.update(str(m["metadata_file"]) for m in self.doc.get("metadata_log", []))
        if self.location:
            found.add(self.location)
        return found

    # --- new versions ----------------------------------------------------------------------

    def next(
        self,
        *,
        now_ms: int,
        operation: str | None = None,
        data_files: list[dict[str, Any]] | None = None,
        delete_files: list[dict[str, Any]] | None = None,
        summary: dict[str, str] | None = None,
    ) -> Meta:
        """The next version: a new snapshot (if ``operation``) listing the live files given."""
        doc = json.loads(json.dumps(self.doc))
        doc["sequence"] = int(doc["sequence"]) + 1
        doc["last_updated_ms"] = now_ms
        if self.location is not None:
            log = list(doc.get("metadata_log", []))
            log.append(
                {"timestamp_ms": int(self.doc["last_updated_ms"]), "metadata_file": self.location}
            )
            doc["metadata_log"] = log
        if operation is not None:
            snapshot_id = uuid.uuid4().int & ((1 << 62) - 1)
            doc["snapshots"].append(
                {
                    "snapshot_id": snapshot_id,
                    "parent_id": doc.get("current_snapshot_id"),
                    "timestamp_ms": now_ms,
                    "operation": operation,
                    "summary": summary or {},
                    "data_files": data_files or [],
                    "delete_files": delete_files or [],
                }
            )
            doc["current_snapshot_id"] = snapshot_id
        return Meta(doc, None)

    def object_url(self) -> str:
        return (
            f"{self.table_location}/metadata/{int(self.doc['sequence']):05d}-{uuid.uuid4()}"
            ".metadata.json"
        )

    def encoded(self) -> bytes:
        return json.dumps(self.doc, indent=1, sort_keys=True).encode()


def new_table(
    *,
    location: str,
    columns: list[tuple[str, str]],
    partition_keys: list[str],
    properties: dict[str, str],
    now_ms: int,
) -> Meta:
    split_s3(location)
    doc = {
        "format": FORMAT,
        "table_uuid": str(uuid.uuid4()),
        "location": location.rstrip("/"),
        "sequence": 0,
        "last_updated_ms": now_ms,
        "schema": [{"id": i + 1, "name": n, "type": t} for i, (n, t) in enumerate(columns)],
        "partition_spec": [{"source": k, "transform": "identity"} for k in partition_keys],
        "properties": {**DEFAULT_PROPERTIES, **properties},
        "current_snapshot_id": None,
        "snapshots": [],
        "metadata_log": [],
    }
    return Meta(doc, None)


def parse_meta(body: bytes, location: str) -> Meta:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"Iceberg metadata {location} is not in the local endpoint's format {FORMAT} "
            "(tables written by other engines are not read)",
        )
    return Meta(doc, location)
