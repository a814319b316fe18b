"""Writing Iceberg tables: CTAS, INSERT, data and delete files, the compare-and-swap commit."""

from __future__ import annotations

import math
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlglot import exp

from .._catalog import (
    hive_type_of,
)
from .._iceberg import (
    Meta,
    check_iceberg_type,
    check_properties,
    iceberg_partition_path,
    is_iceberg,
    new_table,
    parse_partitioning,
)
from ..errors import AthenaQueryError
from ._base import (
    Outcome,
    _codec,
    _Context,
    _count,
    _ice_store_type,
    _ice_text,
    _table_input,
)
from ._query import QueryStatements
from ._text import (
    CATALOG,
    _array_items,
    _literal,
)


class IcebergWrites(QueryStatements):
    """Writing Iceberg tables: CTAS, INSERT, data and delete files, the compare-and-swap commit."""

    def _iceberg_partitions(self, ctx: _Context, meta: Meta, source: str) -> list[tuple[Any, ...]]:
        keys = meta.partition_keys
        if not keys:
            return [()] if _count(ctx.con, source) else []
        cols = ", ".join(f'"{k}"' for k in keys)
        return [
            tuple(r) for r in ctx.con.execute(f"SELECT DISTINCT {cols} FROM {source}").fetchall()
        ]

    def _iceberg_write(
        self,
        ctx: _Context,
        meta: Meta,
        source: str,
        partitions: list[tuple[Any, ...]],
        *,
        target_size: int | None = None,
    ) -> list[dict[str, Any]]:
        """Parquet data files of the rows of ``source`` (the table's columns), one per
        partition (or as many as ``target_size`` needs): <location>/data/<k=v/…>/…"""
        keys = meta.partition_keys
        codec = _codec(str(meta.doc["properties"].get("write_compression", "zstd")))
        cols = ", ".join(f'CAST("{n}" AS {_ice_store_type(t)}) AS "{n}"' for n, t in meta.columns)
        entries: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            for n, values in enumerate(partitions):
                where = (
                    " AND ".join(
                        f'"{k}" IS NULL' if v is None else f'"{k}" = ?'
                        for k, v in zip(keys, values, strict=True)
                    )
                    or "TRUE"
                )
                params = [v for v in values if v is not None]
                row = ctx.con.execute(
                    f"SELECT count(*) FROM {source} WHERE {where}", params
                ).fetchone()
                total = int(row[0]) if row else 0
                if total == 0:
                    continue
                pieces = 1
                if target_size:
                    probe = Path(tmp) / f"probe-{n}.parquet"
                    ctx.con.execute(
                        f"COPY (SELECT {cols} FROM {source} WHERE {where}) TO '{probe}' "
                        f"(FORMAT parquet, COMPRESSION {codec})",
                        params,
                    )
                    pieces = max(1, math.ceil(probe.stat().st_size / target_size))
                texts = [_ice_text(v) for v in values]
                folder = f"{meta.table_location}/data/"
                if keys:
                    folder += iceberg_partition_path(keys, texts) + "/"
                for piece in range(pieces):
                    path = Path(tmp) / f"part-{n}-{piece}.parquet"
                    split = f" AND hash(__ara_rn) % {pieces} = {piece}" if pieces > 1 else ""
                    ctx.con.execute(
                        f"COPY (SELECT {cols} FROM (SELECT *, row_number() OVER () AS __ara_rn "
                        f"FROM {source} WHERE {where}) WHERE TRUE{split}) TO '{path}' "
                        f"(FORMAT parquet, COMPRESSION {codec})",
                        params,
                    )
                    got = ctx.con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
                    url = f"{folder}{n:05d}-{piece}-{ctx.query_id[:8]}-{uuid.uuid4()}.parquet"
                    self.catalog.put_file(url, path)
                    entries.append(
                        {
                            "path": url,
                            "partition": dict(zip(keys, texts, strict=True)),
                            "record_count": int(got[0]) if got else 0,
                            "file_size": path.stat().st_size,
                        }
                    )
        return entries

    def _iceberg_write_deletes(
        self, ctx: _Context, meta: Meta, snapshot: dict[str, Any] | None, source: str
    ) -> list[dict[str, Any]]:
        """Position delete files (file_path, pos) of the rows in ``source`` (__ara_path,
        __ara_pos): one per partition, under the partition's data folder."""
        by_path = {f["path"]: f for f in (snapshot["data_files"] if snapshot else [])}
        keys = meta.partition_keys
        found = ctx.con.execute(
            f"SELECT __ara_path, count(*) FROM {source} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        groups: dict[tuple[Any, ...], list[str]] = {}
        for path, _ in found:
            part = by_path[str(path)]["partition"]
            groups.setdefault(tuple(part.get(k) for k in keys), []).append(str(path))
        entries: list[dict[str, Any]] = []
        codec = _codec(str(meta.doc["properties"].get("write_compression", "zstd")))
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            for n, (values, paths) in enumerate(sorted(groups.items(), key=str)):
                local = Path(tmp) / f"deletes-{n}.parquet"
                listed = ", ".join(_literal(p) for p in paths)
                ctx.con.execute(
                    f"COPY (SELECT __ara_path AS file_path, CAST(__ara_pos AS BIGINT) AS pos "
                    f"FROM {source} WHERE __ara_path IN ({listed}) ORDER BY 1, 2) TO '{local}' "
                    f"(FORMAT parquet, COMPRESSION {codec})"
                )
                row = ctx.con.execute(f"SELECT count(*) FROM read_parquet('{local}')").fetchone()
                folder = f"{meta.table_location}/data/"
                if keys:
                    folder += iceberg_partition_path(keys, list(values)) + "/"
                url = f"{folder}{n:05d}-{ctx.query_id[:8]}-{uuid.uuid4()}-deletes.parquet"
                self.catalog.put_file(url, local)
                entries.append(
                    {
                        "path": url,
                        "partition": dict(zip(keys, values, strict=True)),
                        "record_count": int(row[0]) if row else 0,
                        "file_size": local.stat().st_size,
                        "referenced_data_files": paths,
                    }
                )
        return entries

    def _iceberg_commit(self, db: str, name: str, base: Meta, new: Meta) -> None:
        """Writes the new metadata object, then swaps Glue's metadata_location from the one
        the statement started from (compare-and-swap under the DDL lock)."""
        url = new.object_url()
        self.catalog.put_bytes(url, new.encoded())
        new.location = url
        if self.commit_hook is not None:
            self.commit_hook(db, name)
        with self._ddl_lock:
            table = self.catalog.get_table(db, name)
            params = dict((table or {}).get("Parameters") or {})
            if table is None or params.get("metadata_location") != base.location:
                raise AthenaQueryError(
                    "ICEBERG_COMMIT_ERROR",
                    f"Failed to commit Iceberg update to table: {db}.{name}: its "
                    f"metadata_location is no longer {base.location} (another commit won)",
                    category=1,
                )
            params["metadata_location"] = url
            params["previous_metadata_location"] = str(base.location)
            self.catalog.glue.update_table(
                DatabaseName=db, TableInput={**_table_input(table), "Parameters": params}
            )

    def _iceberg_target(self, node: exp.Expression, ctx: _Context, what: str) -> tuple[str, str]:
        if not isinstance(node, exp.Table):
            raise AthenaQueryError("SYNTAX_ERROR", f"{what}: cannot read the target table")
        db = node.db.lower() if node.db else ctx.database
        name = node.name.lower()
        table = self._table_or_fail(db, name)
        if not is_iceberg(table):
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"{what} is only supported for Iceberg tables: {db}.{name} is not one",
            )
        return db, name

    # --- Iceberg: CTAS, INSERT -------------------------------------------------------------

    def _ctas_iceberg(
        self,
        ctx: _Context,
        db: str,
        name: str,
        props: dict[str, str],
        query: str,
        with_data: bool,
        if_not_exists: bool,
    ) -> Outcome:
        location = props.pop("location", None)
        if props.pop("external_location", None) is not None:
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY",
                "external_location is not allowed for Iceberg tables: use location",
            )
        if props.pop("is_external", "false").lower() != "false":
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY", "is_external must be false for Iceberg tables"
            )
        partitioning = _array_items(props.pop("partitioning", "ARRAY[]"))
        parse_partitioning(partitioning, None)  # a transform fails before anything runs
        if "partitioned_by" in props or "bucketed_by" in props or "bucket_count" in props:
            bad = next(k for k in ("partitioned_by", "bucketed_by", "bucket_count") if k in props)
            raise AthenaQueryError(
                "INVALID_TABLE_PROPERTY",
                f"{bad} is not a property of Iceberg tables (use partitioning=ARRAY[...])",
            )
        properties = check_properties(props)
        if self._ctas_target_exists(db, name, if_not_exists=if_not_exists):
            return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=0)
        if location is None:
            location = f"{ctx.output_location.rstrip('/')}/tables/{ctx.query_id}"
        result = self._ctas_result(query, ctx, with_data=with_data)
        columns = [(c.lower(), hive_type_of(t)) for c, t in result]
        names = [c for c, _ in columns]
        for col, hive_t in columns:
            check_iceberg_type(col, hive_t)
        keys = parse_partitioning(partitioning, names)
        meta = new_table(
            location=location,
            columns=columns,
            partition_keys=keys,
            properties=properties,
            now_ms=self._now_ms(),
        )
        count = 0
        if with_data:
            partitions = self._iceberg_partitions(ctx, meta, "__ara_result")
            self._check_open_writers(len(partitions))
            files = self._iceberg_write(ctx, meta, "__ara_result", partitions)
            count = _count(ctx.con, "__ara_result")
            meta = meta.next(
                now_ms=self._now_ms(),
                operation="append",
                data_files=files,
                summary={"added-records": str(count), "added-data-files": str(len(files))},
            )
        else:
            meta = meta.next(now_ms=self._now_ms())
        url = meta.object_url()
        self.catalog.put_bytes(url, meta.encoded())
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"table_type": "ICEBERG", "metadata_location": url},
            "PartitionKeys": [],
            "StorageDescriptor": {
                "Columns": [
                    {
                        "Name": n,
                        "Type": t,
                        "Parameters": {
                            "iceberg.field.current": "true",
                            "iceberg.field.id": str(i + 1),
                            "iceberg.field.optional": "true",
                        },
                    }
                    for i, (n, t) in enumerate(columns)
                ],
                "Location": meta.table_location,
                "InputFormat": "org.apache.hadoop.mapred.FileInputFormat",
                "OutputFormat": "org.apache.hadoop.mapred.FileOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
                },
            },
        }
        with self._ddl_lock:
            if self.catalog.get_table(db, name) is not None:
                raise AthenaQueryError(
                    "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
                )
            self.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
        return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=count)

    def _insert_iceberg(self, ctx: _Context, db: str, name: str, source: str) -> Outcome:
        """Appends ``source`` (the table's columns, cast) as one commit."""
        meta = self._iceberg_meta(db, name, ctx)
        partitions = self._iceberg_partitions(ctx, meta, source)
        self._check_open_writers(len(partitions))
        files = self._iceberg_write(ctx, meta, source, partitions)
        count = _count(ctx.con, source)
        snapshot = meta.snapshot()
        new = meta.next(
            now_ms=self._now_ms(),
            operation="append",
            data_files=(snapshot["data_files"] if snapshot else []) + files,
            delete_files=snapshot["delete_files"] if snapshot else [],
            summary={"added-records": str(count), "added-data-files": str(len(files))},
        )
        self._iceberg_commit(db, name, meta, new)
        return Outcome("DML", "INSERT", update_count=count)

    def _set_iceberg_properties(
        self, ctx: _Context, db: str, name: str, given: dict[str, str]
    ) -> None:
        meta = self._iceberg_meta(db, name, ctx)
        new = meta.next(now_ms=self._now_ms())
        new.doc["properties"] = {**new.doc["properties"], **check_properties(given)}
        self._iceberg_commit(db, name, meta, new)
