"""Iceberg maintenance: OPTIMIZE, VACUUM, and dropping a table's files."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from .._catalog import (
    split_s3,
)
from .._iceberg import (
    is_iceberg,
    parse_meta,
)
from ..errors import AthenaQueryError
from ._base import (
    Outcome,
    _Context,
    _count,
    _table_input,
    _unqualified,
)
from ._iceberg_write import IcebergWrites
from ._text import (
    _NAME,
    _split_name,
)


class IcebergMaintenance(IcebergWrites):
    """Iceberg maintenance: OPTIMIZE, VACUUM, and dropping a table's files."""

    # --- Iceberg: OPTIMIZE, VACUUM -----------------------------------------------------------

    def _optimize(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"optimize\s+("
            + _NAME
            + r")\s+rewrite\s+data\s+using\s+bin_pack(?:\s+where\s+(.*))?\Z",
            text,
            re.I | re.S,
        )
        if not m:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                "OPTIMIZE: only OPTIMIZE [db.]table REWRITE DATA USING BIN_PACK [WHERE predicate]",
            )
        db, name = _split_name(m.group(1), ctx.database)
        self._iceberg_target(exp.to_table(f'"{db}"."{name}"'), ctx, "OPTIMIZE")
        meta = self._iceberg_meta(db, name, ctx)
        snapshot = meta.snapshot()
        if snapshot is None:
            return Outcome("DML", "OPTIMIZE", update_count=0)
        data = list(snapshot["data_files"])
        if m.group(2):
            pred = self._parse(f"SELECT 1 FROM t WHERE {m.group(2)}").args["where"].this
            keys = set(meta.partition_keys)
            for col in pred.find_all(exp.Column):
                if col.name.lower() not in keys:
                    raise AthenaQueryError(
                        "NOT_SUPPORTED",
                        "Unexpected FilterNode found in plan; probably connector was not able to "
                        f"handle provided WHERE expression (column {col.name} is not a partition "
                        "column: OPTIMIZE's WHERE may name partition columns only)",
                    )
            data = self._prune(ctx, meta, data, [_unqualified(pred)], strict=True)
        target = meta.prop("write_target_data_file_size_bytes")
        small = meta.prop("optimize_rewrite_min_data_file_size_bytes")
        large = meta.prop("optimize_rewrite_max_data_file_size_bytes")
        file_threshold = meta.prop("optimize_rewrite_data_file_threshold")
        delete_threshold = meta.prop("optimize_rewrite_delete_file_threshold")
        deletes_of: dict[str, int] = {}
        for d in snapshot["delete_files"]:
            for p in d.get("referenced_data_files", []):
                deletes_of[p] = deletes_of.get(p, 0) + 1
        keys_list = meta.partition_keys
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for f in data:
            groups.setdefault(tuple(f["partition"].get(k) for k in keys_list), []).append(f)
        selected: list[dict[str, Any]] = []
        chosen_parts = []
        for part, files in sorted(groups.items(), key=str):
            by_size = [
                f for f in files if int(f["file_size"]) < small or int(f["file_size"]) > large
            ]
            by_deletes = [f for f in files if deletes_of.get(f["path"], 0) >= delete_threshold]
            pick = {f["path"]: f for f in by_size + by_deletes}
            if by_deletes or len(pick) >= file_threshold:
                selected.extend(pick.values())
                chosen_parts.append(part)
        if not selected:
            return Outcome("DML", "OPTIMIZE", update_count=0)
        self._check_open_writers(len(chosen_parts))
        only = {f["path"] for f in selected}
        scan = self._iceberg_scan(meta, ctx, snapshot, [], only=only)
        self._run(ctx, f"CREATE TEMP TABLE __ara_opt AS {scan}")
        partitions = self._iceberg_partitions(ctx, meta, "__ara_opt")
        files = self._iceberg_write(ctx, meta, "__ara_opt", partitions, target_size=target)
        kept = [f for f in snapshot["data_files"] if f["path"] not in only]
        kept_paths = {f["path"] for f in kept}
        kept_deletes = [
            d
            for d in snapshot["delete_files"]
            if kept_paths.intersection(d.get("referenced_data_files", []))
        ]
        count = _count(ctx.con, "__ara_opt")
        new = meta.next(
            now_ms=self._now_ms(),
            operation="replace",
            data_files=kept + files,
            delete_files=kept_deletes,
            summary={
                "rewritten-data-files": str(len(selected)),
                "added-data-files": str(len(files)),
                "removed-delete-files": str(len(snapshot["delete_files"]) - len(kept_deletes)),
            },
        )
        self._iceberg_commit(db, name, meta, new)
        return Outcome("DML", "OPTIMIZE", update_count=count)

    def _protected(self) -> set[str]:
        """Every object the CURRENT metadata of any Iceberg table in the catalog references."""
        found: set[str] = set()
        for table in self.catalog.all_tables():
            if not is_iceberg(table):
                continue
            params = table.get("Parameters") or {}
            for key in ("metadata_location", "previous_metadata_location"):
                if params.get(key):
                    found.add(str(params[key]))
            location = str(params.get("metadata_location") or "")
            if not location:
                continue
            try:
                found |= parse_meta(self.catalog.get_bytes(location), location).referenced()
            except AthenaQueryError:
                # unreadable metadata: protect everything under that table's location
                sd_location = str((table.get("StorageDescriptor") or {}).get("Location") or "")
                if sd_location:
                    found.update(
                        f"s3://{o.bucket}/{o.key}"
                        for o in self.catalog.list_objects(sd_location.rstrip("/") + "/")
                    )
        return found

    def _vacuum(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"vacuum\s+(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "VACUUM: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        self._iceberg_target(exp.to_table(f'"{db}"."{name}"'), ctx, "VACUUM")
        meta = self._iceberg_meta(db, name, ctx)
        bucket, prefix = split_s3(meta.table_location)
        if not prefix.strip("/"):
            raise AthenaQueryError(
                "GENERIC_INTERNAL_ERROR", f"Path missing in file system location: s3://{bucket}"
            )
        now = self.clock()
        cutoff_ms = int((now - meta.prop("vacuum_max_snapshot_age_seconds")) * 1000)
        snaps = sorted(meta.doc["snapshots"], key=lambda s: int(s["timestamp_ms"]))
        keep_ids = {
            int(s["snapshot_id"]) for s in snaps[-meta.prop("vacuum_min_snapshots_to_keep") :]
        }
        keep_ids |= {int(s["snapshot_id"]) for s in snaps if int(s["timestamp_ms"]) >= cutoff_ms}
        current = meta.doc.get("current_snapshot_id")
        if current is not None:
            keep_ids.add(int(current))
        new = meta.next(now_ms=self._now_ms())
        new.doc["snapshots"] = [
            s for s in new.doc["snapshots"] if int(s["snapshot_id"]) in keep_ids
        ]
        log = new.doc["metadata_log"]
        keep_meta = max(meta.prop("vacuum_max_metadata_files_to_keep"), 0)
        new.doc["metadata_log"] = log[len(log) - keep_meta :] if keep_meta else []
        self._iceberg_commit(db, name, meta, new)
        # after the commit: delete what no kept snapshot, no kept metadata file and no current
        # metadata of any table references
        keep = new.referenced() | self._protected()
        doomed = (meta.referenced() - keep) | {
            str(x["metadata_file"]) for x in log if str(x["metadata_file"]) not in keep
        }
        for obj in self.catalog.list_objects(meta.table_location + "/"):
            url = f"s3://{obj.bucket}/{obj.key}"
            if url not in keep and self.catalog.last_modified(obj) < now - meta.prop(
                "vacuum_max_snapshot_age_seconds"
            ):
                doomed.add(url)  # an orphan older than the retention period
        under = meta.table_location + "/"
        doomed = {u for u in doomed if u.startswith(under) and u not in keep}
        self.catalog.delete_urls(sorted(doomed))
        return Outcome("DML", "VACUUM", update_count=len(doomed))

    # --- Iceberg: DROP, RENAME, properties -----------------------------------------------------

    def _drop_iceberg(self, db: str, name: str, table: dict[str, Any]) -> None:
        """Athena's DROP TABLE of an Iceberg table deletes its data: the objects under its
        location (refused when another table's current metadata references one of them)."""
        location = str((table.get("StorageDescriptor") or {}).get("Location") or "").rstrip("/")
        self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        if not location or not split_s3(location)[1]:
            return
        protected = self._protected()
        objects = [f"s3://{o.bucket}/{o.key}" for o in self.catalog.list_objects(location + "/")]
        shared = [u for u in objects if u in protected]
        if shared:
            # put the table back: Athena would delete objects another table reads
            self.catalog.glue.create_table(DatabaseName=db, TableInput=_table_input(table))
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"DROP TABLE {db}.{name}: Athena deletes an Iceberg table's data, and another "
                f"Glue table's current metadata references {shared[0]} under its location "
                f"{location}/ (drop the Glue entry with the Glue API instead)",
            )
        self.catalog.delete_urls(objects)
