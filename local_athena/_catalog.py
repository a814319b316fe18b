"""The local endpoint's view of its Glue catalog and S3 objects (moto, through boto3).

Names, types and storage descriptors as Athena writes them into Glue; the Parquet objects of a
table or partition, downloaded once into a local cache (keyed by ETag) for DuckDB to read.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from .errors import AthenaQueryError

__all__ = [
    "PARQUET_INPUT",
    "PARQUET_OUTPUT",
    "PARQUET_SERDE",
    "Catalog",
    "duckdb_type",
    "hive_partition_path",
    "hive_type_of",
    "presto_view_text",
    "split_s3",
    "trino_type_of",
    "view_sql",
]

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def split_s3(url: str) -> tuple[str, str]:
    m = re.fullmatch(r"s3a?://([^/]+)/?(.*)", url.strip())
    if not m:
        raise AthenaQueryError("INVALID_TABLE_PROPERTY", f"not an s3:// location: {url!r}")
    return m.group(1), m.group(2)


_HIVE_ESCAPE = set("\"#%'*/:=?\\\x7f{[]^")


def hive_partition_path(keys: list[str], values: list[str | None]) -> str:
    """``k1=v1/k2=v2`` as Hive's FileUtils.escapePathName spells a partition folder."""

    def escape(text: str) -> str:
        return "".join(f"%{ord(c):02X}" if c in _HIVE_ESCAPE or ord(c) < 0x20 else c for c in text)

    return "/".join(
        f"{k}={escape(v) if v is not None else HIVE_DEFAULT_PARTITION}"
        for k, v in zip(keys, values, strict=True)
    )


def duckdb_type(hive_type: str) -> str:
    """The DuckDB type a column of this Hive (Glue) type is read as."""
    text = hive_type.strip().lower()
    if text == "timestamp":
        return "TIMESTAMP(3)"  # Athena reads Hive timestamps with millisecond precision
    try:
        return str(exp.DataType.build(text, dialect="hive").sql("duckdb"))
    except Exception:
        raise AthenaQueryError(
            "NOT_SUPPORTED", f"column type {hive_type!r} is not supported"
        ) from None


def _parse_duckdb_type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="duckdb")


def _render(dt: exp.DataType, *, hive: bool) -> str:
    t = exp.DataType.Type
    kind = dt.this
    simple = {
        t.VARCHAR: "string" if hive else "varchar",
        t.TEXT: "string" if hive else "varchar",
        t.CHAR: "string" if hive else "varchar",
        t.BIGINT: "bigint",
        t.INT: "int" if hive else "integer",
        t.SMALLINT: "smallint",
        t.TINYINT: "tinyint",
        t.DOUBLE: "double",
        t.FLOAT: "float" if hive else "real",
        t.BOOLEAN: "boolean",
        t.DATE: "date",
        t.TIMESTAMP: "timestamp" if hive else "timestamp(3)",
        t.TIMESTAMPNTZ: "timestamp" if hive else "timestamp(3)",
        t.TIMESTAMP_MS: "timestamp" if hive else "timestamp(3)",
        t.TIMESTAMP_S: "timestamp" if hive else "timestamp(3)",
        # an Iceberg table's timestamp column is read as TIMESTAMP_NS (holding microseconds):
        # the marker of Trino's timestamp(6)
        t.TIMESTAMP_NS: "timestamp" if hive else "timestamp(6)",
        t.VARBINARY: "binary" if hive else "varbinary",
        t.BLOB: "binary" if hive else "varbinary",
    }
    if kind in simple:
        return simple[kind]
    if kind == t.JSON and not hive:  # a Trino json value (local_athena/sql/_trino.py)
        return "json"
    if kind in (t.TIMESTAMPTZ, t.TIMESTAMPLTZ):
        if hive:
            raise AthenaQueryError(
                "NOT_SUPPORTED", "Unsupported Hive type: timestamp(3) with time zone"
            )
        return "timestamp(3) with time zone"
    if kind == t.DECIMAL:
        params = [p.sql() for p in dt.expressions] or ["18", "3"]
        return f"decimal({','.join(params)})"
    if kind == t.MAP:
        key, value = (_render(e, hive=hive) for e in dt.expressions)
        return f"map<{key},{value}>" if hive else f"map({key}, {value})"
    if kind == t.ARRAY:
        (inner,) = (_render(e, hive=hive) for e in dt.expressions)
        return f"array<{inner}>" if hive else f"array({inner})"
    if kind == t.STRUCT:
        fields = []
        for f in dt.expressions:
            name = f.name
            ftype = _render(f.args["kind"], hive=hive)
            fields.append(f"{name}:{ftype}" if hive else f"{name} {ftype}")
        return f"struct<{','.join(fields)}>" if hive else f"row({', '.join(fields)})"
    raise AthenaQueryError("NOT_SUPPORTED", f"Unsupported Hive type: {dt.sql('duckdb')}")


def hive_type_of(duckdb_type_text: str) -> str:
    """The Glue (Hive) type Athena writes for a result column of this (DuckDB) type."""
    if duckdb_type_text.upper() in ("NULL", '"NULL"'):
        raise AthenaQueryError("NOT_SUPPORTED", "Unsupported Hive type: unknown (a bare NULL)")
    return _render(_parse_duckdb_type(duckdb_type_text), hive=True)


def trino_type_of(duckdb_type_text: str) -> str:
    """The Trino type name (GetQueryResults' ColumnInfo.Type) of a DuckDB result column."""
    if duckdb_type_text.upper() in ("NULL", '"NULL"'):
        return "unknown"
    dt = _parse_duckdb_type(duckdb_type_text)
    text = _render(dt, hive=False)
    return "timestamp" if text == "timestamp(3)" else text


def presto_view_text(sql: str, catalog: str, schema: str, columns: list[tuple[str, str]]) -> str:
    """Glue's ViewOriginalText of an Athena view: ``/* Presto View: <base64 JSON> */``."""
    payload = {
        "originalSql": sql,
        "catalog": catalog,
        "schema": schema,
        "columns": [{"name": n, "type": t} for n, t in columns],
        "owner": "local",
        "runAsInvoker": False,
        "properties": {},
    }
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return f"/* Presto View: {encoded} */"


def view_sql(table: dict[str, Any]) -> tuple[str, str, str]:
    """(SQL, catalog, schema) of a Glue VIRTUAL_VIEW written by Athena (Presto view text)."""
    text = str(table.get("ViewOriginalText") or "")
    m = re.fullmatch(r"\s*/\* Presto View: ([A-Za-z0-9+/=\s]+) \*/\s*", text)
    if not m:
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"view {table.get('Name')!r} has no Presto view text (not created by Athena)",
        )
    payload = json.loads(base64.b64decode(m.group(1)))
    return (
        str(payload["originalSql"]),
        str(payload.get("catalog") or "awsdatacatalog"),
        str(payload.get("schema") or table.get("DatabaseName") or "default"),
    )


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str
    size: int


def _snapshot(items: Callable[[], Iterable[Any]]) -> list[Any]:
    """A list of a moto dict's items, retried if another request changes it meanwhile."""
    for _ in range(20):
        try:
            return list(items())
        except RuntimeError:  # dictionary changed size during iteration
            continue
    return list(items())


class Catalog:
    """Glue and S3 of the endpoint's moto server, and a local cache of downloaded objects.

    Changes go through the boto3 clients (moto validates them as the APIs do); reads, which a
    query makes many of, go to moto's backends in this process (no HTTP round trip).
    """

    def __init__(self, glue: Any, s3: Any, cache_dir: Path, region: str) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
        from moto.glue.models import glue_backends
        from moto.s3.models import s3_backends

        self.glue = glue
        self.s3 = s3
        self.cache_dir = cache_dir
        self._glue_backend = glue_backends[DEFAULT_ACCOUNT_ID][region]
        self._s3_backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        self._lock = threading.Lock()
        #: footers of the local copies (immutable): columns, where the footer starts, origin
        self._columns: dict[str, list[tuple[str, bool]]] = {}
        self._footers: dict[str, int] = {}
        self._origins: dict[str, str] = {}

    # --- Glue --------------------------------------------------------------------------------

    def database_exists(self, name: str) -> bool:
        return name in self._glue_backend.databases

    def require_database(self, name: str) -> None:
        if not self.database_exists(name):
            raise AthenaQueryError("SCHEMA_NOT_FOUND", f"Schema '{name}' does not exist")

    def get_table(self, database: str, name: str) -> dict[str, Any] | None:
        db = self._glue_backend.databases.get(database)
        table = db.tables.get(name) if db is not None else None
        if table is None:
            return None
        return copy.deepcopy(dict(table.as_dict()))

    def partitions(self, database: str, name: str) -> list[dict[str, Any]]:
        db = self._glue_backend.databases.get(database)
        table = db.tables.get(name) if db is not None else None
        if table is None:
            return []
        return [copy.deepcopy(dict(p.as_dict())) for p in _snapshot(table.partitions.values)]

    def add_partitions(
        self, database: str, name: str, table: dict[str, Any], entries: list[tuple[list[str], str]]
    ) -> None:
        """Register partitions (values, location); a storage descriptor like the table's."""
        sd = table.get("StorageDescriptor", {})
        for start in range(0, len(entries), 100):  # BatchCreatePartition takes 100 at most
            chunk = entries[start : start + 100]
            inputs = [
                {
                    "Values": values,
                    "StorageDescriptor": {
                        "Columns": sd.get("Columns", []),
                        "Location": location,
                        "InputFormat": sd.get("InputFormat", PARQUET_INPUT),
                        "OutputFormat": sd.get("OutputFormat", PARQUET_OUTPUT),
                        "SerdeInfo": sd.get("SerdeInfo", {"SerializationLibrary": PARQUET_SERDE}),
                    },
                    "Parameters": {},
                }
                for values, location in chunk
            ]
            response = self.glue.batch_create_partition(
                DatabaseName=database, TableName=name, PartitionInputList=inputs
            )
            errors = response.get("Errors") or []
            if errors:
                detail = errors[0].get("ErrorDetail", {})
                raise AthenaQueryError(
                    "HIVE_METASTORE_ERROR",
                    f"adding partitions to {database}.{name}: {detail.get('ErrorMessage', errors)}",
                    category=1,
                )

    # --- S3 ----------------------------------------------------------------------------------

    def list_objects(self, url: str) -> Iterator[S3Object]:
        bucket, prefix = split_s3(url)
        found = self._s3_backend.buckets.get(bucket)
        if found is None:
            raise AthenaQueryError(
                "HIVE_FILESYSTEM_ERROR", f"bucket {bucket} does not exist ({url})"
            )
        for key_name, key in sorted(_snapshot(found.keys.items), key=lambda kv: kv[0]):
            if key_name.startswith(prefix) and key is not None:
                yield S3Object(bucket, key_name, str(key.etag).strip('"'), int(key.size))

    def data_files(self, location: str) -> list[S3Object]:
        """The objects Athena reads under a location: not folders, not names starting _ or ."""
        prefix = location if location.endswith("/") else location + "/"
        return [
            o
            for o in self.list_objects(prefix)
            if not o.key.endswith("/")
            and not any(
                part.startswith(("_", ".")) for part in o.key[len(split_s3(prefix)[1]) :].split("/")
            )
        ]

    def local_copy(self, obj: S3Object) -> Path:
        digest = hashlib.sha1(f"{obj.bucket}/{obj.key}".encode()).hexdigest()
        path = self.cache_dir / f"{digest}-{obj.etag}.parquet"
        if not path.exists():
            key = self._s3_backend.buckets[obj.bucket].keys.get(obj.key)
            if key is None:
                raise AthenaQueryError(
                    "HIVE_CANNOT_OPEN_SPLIT", f"s3://{obj.bucket}/{obj.key} no longer exists"
                )
            body = key.value
            tmp = path.with_name(path.name + f".{threading.get_ident()}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
        self._origins.setdefault(str(path), f"s3://{obj.bucket}/{obj.key}")
        return path

    def parquet_columns(self, path: str) -> list[tuple[str, bool]]:
        """(name, UTC-adjusted timestamp) of a local copy's top-level columns, from its footer
        (a local copy never changes: its name holds the object's ETag)."""
        if path not in self._columns:
            try:
                schema = pq.read_schema(path)
            except (OSError, pa.ArrowException) as exc:
                raise AthenaQueryError(
                    "HIVE_BAD_DATA", f"{self._origin(path)} is not a valid Parquet file: {exc}"
                ) from None
            self._columns[path] = [
                (f.name, pa.types.is_timestamp(f.type) and f.type.tz is not None) for f in schema
            ]
        return self._columns[path]

    def parquet_footer_start(self, path: str) -> int:
        """The offset where a local copy's Parquet footer starts (before it: data pages)."""
        if path not in self._footers:
            with open(path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 8))
                tail = fh.read(8)
            length = int.from_bytes(tail[:4], "little") if len(tail) == 8 else 0
            self._footers[path] = max(0, size - 8 - length)
        return self._footers[path]

    def _origin(self, path: str) -> str:
        return self._origins.get(path, Path(path).name)

    def put_file(self, url: str, path: Path) -> None:
        bucket, key = split_s3(url)
        with path.open("rb") as fh:
            self.s3.put_object(Bucket=bucket, Key=key, Body=fh.read())

    def put_bytes(self, url: str, body: bytes) -> None:
        bucket, key = split_s3(url)
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)

    def get_bytes(self, url: str) -> bytes:
        bucket, key_name = split_s3(url)
        found = self._s3_backend.buckets.get(bucket)
        key = found.keys.get(key_name) if found is not None else None
        if key is None:
            raise AthenaQueryError(
                "ICEBERG_MISSING_METADATA", f"Metadata not found in metadata location {url}"
            )
        return bytes(key.value)

    def object_at(self, url: str) -> S3Object:
        bucket, key_name = split_s3(url)
        found = self._s3_backend.buckets.get(bucket)
        key = found.keys.get(key_name) if found is not None else None
        if key is None:
            raise AthenaQueryError("ICEBERG_CANNOT_OPEN_SPLIT", f"{url} no longer exists")
        return S3Object(bucket, key_name, str(key.etag).strip('"'), int(key.size))

    def last_modified(self, obj: S3Object) -> float:
        """The object's LastModified as a POSIX time."""
        key = self._s3_backend.buckets[obj.bucket].keys.get(obj.key)
        if key is None:
            return 0.0
        return float(key.last_modified.timestamp())

    def delete_urls(self, urls: Iterable[str]) -> None:
        """Deletes objects (DeleteObjects, 1000 keys a request)."""
        by_bucket: dict[str, list[str]] = {}
        for url in urls:
            bucket, key = split_s3(url)
            by_bucket.setdefault(bucket, []).append(key)
        for bucket, keys in by_bucket.items():
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                self.s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
                )

    def all_tables(self) -> list[dict[str, Any]]:
        """Every table of every Glue database (copies)."""
        found = []
        for db in _snapshot(self._glue_backend.databases.values):
            for table in _snapshot(db.tables.values):
                found.append(copy.deepcopy(dict(table.as_dict())))
        return found
