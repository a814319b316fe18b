"""Reading Iceberg tables: snapshots, time travel, pruning, and the ``$files``,
``$partitions``, ``$snapshots`` and ``$history`` tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
from sqlglot import exp

from .._iceberg import (
    Meta,
    is_iceberg,
    parse_meta,
)
from ..errors import AthenaQueryError, EmulationError
from ..sql._transpile import rewrite_tree
from ._base import (
    EngineBase,
    _Context,
    _duckdb_failure,
    _ice_read_type,
    _pruning_conjuncts,
)
from ._text import (
    CATALOG,
    _literal,
)


class IcebergReads(EngineBase):
    """Reading Iceberg tables: snapshots, time travel, pruning, and the ``$files``,
    ``$partitions``, ``$snapshots`` and ``$history`` tables."""

    # --- Iceberg: reading ------------------------------------------------------------------

    def _iceberg_glue(self, db: str, name: str, ctx: _Context) -> dict[str, Any] | None:
        """The Glue table if it is an Iceberg table (None for anything else or nothing)."""
        if (db, name) in ctx.iceberg:
            return {}
        if not self.catalog.database_exists(db):
            return None
        table = self.catalog.get_table(db, name)
        return table if is_iceberg(table) else None

    def _iceberg_meta(self, db: str, name: str, ctx: _Context) -> Meta:
        """The table's metadata as Glue pointed at when this statement first read it."""
        key = (db, name)
        if key not in ctx.iceberg:
            table = self._table_or_fail(db, name)
            if not is_iceberg(table):
                raise AthenaQueryError("NOT_SUPPORTED", f"{db}.{name} is not an Iceberg table")
            location = str((table.get("Parameters") or {}).get("metadata_location") or "")
            if not location:
                raise AthenaQueryError(
                    "ICEBERG_INVALID_METADATA", f"Table {db}.{name} has no metadata_location"
                )
            ctx.iceberg[key] = parse_meta(self.catalog.get_bytes(location), location)
        return ctx.iceberg[key]

    def _iceberg_keys(self, db: str, name: str, ctx: _Context) -> set[str]:
        return set(self._iceberg_meta(db, name, ctx).partition_keys)

    def _load_iceberg_ref(self, db: str, name: str, node: exp.Table, ctx: _Context) -> str:
        """A view of this one reference: its snapshot (time travel) and the files its
        partition predicates keep."""
        meta = self._iceberg_meta(db, name, ctx)
        conjuncts = _pruning_conjuncts(node, set(meta.partition_keys))
        version = node.args.get("version")
        snapshot = meta.snapshot()
        if version is not None:
            snapshot = self._travel(meta, version, ctx)
        ctx.refs += 1
        view = f"{name}__ara_ref{ctx.refs}"
        ctx.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
        select = self._iceberg_public(meta, self._iceberg_scan(meta, ctx, snapshot, conjuncts))
        self._run(ctx, f'CREATE VIEW {CATALOG}."{db}"."{view}" AS {select}')
        return view

    def _travel(self, meta: Meta, version: exp.Expression, ctx: _Context) -> dict[str, Any] | None:
        kind = str(version.this).upper()
        value = version.args.get("expression")
        if kind == "VERSION" and isinstance(value, exp.Literal) and not value.is_string:
            return meta.snapshot(int(value.this))
        if kind == "TIMESTAMP" and value is not None:
            sql = rewrite_tree(exp.select(exp.cast(value.copy(), "timestamp")))
            row = self._run(ctx, sql).fetchone()
            when = row[0] if row else None
            if isinstance(when, dt.datetime):
                stamp = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
                return meta.snapshot_at(int(stamp.timestamp() * 1000))
        raise AthenaQueryError("NOT_SUPPORTED", f"FOR {kind} AS OF {value}: not supported")

    def _prune(
        self,
        ctx: _Context,
        meta: Meta,
        files: list[dict[str, Any]],
        conjuncts: list[exp.Expression],
        *,
        strict: bool = False,
    ) -> list[dict[str, Any]]:
        """The files whose partition values may satisfy the conjuncts (identity partitions:
        a file's rows all have its partition values)."""
        keys = meta.partition_keys
        if not conjuncts or not keys or not files:
            return files
        types = dict(meta.columns)
        parts = sorted({tuple(f["partition"].get(k) for k in keys) for f in files}, key=str)
        ctx.refs += 1
        temp = f"__ara_parts{ctx.refs}"
        rows = ", ".join(
            "(" + ", ".join([str(i)] + ["NULL" if v is None else _literal(v) for v in part]) + ")"
            for i, part in enumerate(parts)
        )
        names = ", ".join(f'"{k}"' for k in keys)
        casts = ", ".join(f'CAST("{k}" AS {_ice_read_type(types[k])}) AS "{k}"' for k in keys)
        try:
            ctx.con.execute(
                f"CREATE TEMP TABLE {temp} AS SELECT __ara_i, {casts} "
                f"FROM (VALUES {rows}) AS v(__ara_i, {names})"
            )
            tree = exp.select("__ara_i").from_(temp).where(exp.and_(*[c.copy() for c in conjuncts]))
            keep = {int(r[0]) for r in ctx.con.execute(rewrite_tree(tree)).fetchall()}
        except (duckdb.Error, EmulationError, AthenaQueryError) as exc:
            if strict:
                raise _duckdb_failure(exc) if isinstance(exc, duckdb.Error) else exc from None
            return files  # pruning only saves reading: the query applies its predicates anyway
        kept = {parts[i] for i in keep}
        return [f for f in files if tuple(f["partition"].get(k) for k in keys) in kept]

    def _iceberg_scan(
        self,
        meta: Meta,
        ctx: _Context,
        snapshot: dict[str, Any] | None,
        conjuncts: list[exp.Expression],
        *,
        only: set[str] | None = None,
    ) -> str:
        """DuckDB SQL of the snapshot's live rows (data files minus position deletes), with the
        hidden columns __ara_path (the data file) and __ara_pos (the row's position in it)."""
        columns = meta.columns
        data = list(snapshot["data_files"]) if snapshot else []
        data = self._prune(ctx, meta, data, conjuncts)
        if only is not None:
            data = [f for f in data if f["path"] in only]
        paths = {f["path"] for f in data}
        deletes = [
            f
            for f in (snapshot["delete_files"] if snapshot else [])
            if paths.intersection(f.get("referenced_data_files", []))
        ]
        if not data:
            nulls = ", ".join(f'CAST(NULL AS {_ice_read_type(t)}) AS "{n}"' for n, t in columns)
            return (
                f"SELECT {nulls}, CAST(NULL AS VARCHAR) AS __ara_path, "
                "CAST(NULL AS BIGINT) AS __ara_pos LIMIT 0"
            )
        local: list[tuple[str, str]] = []
        table = next((key for key, m in ctx.iceberg.items() if m is meta), ("", ""))
        for f in data + deletes:
            obj = self.catalog.object_at(f["path"])
            path = str(self.catalog.local_copy(obj))
            local.append((path, f["path"]))
            values = tuple((f.get("partition") or {}).get(k) for k in meta.partition_keys)
            ctx.read_files[path] = (obj.size, *table, values)
        data_local = local[: len(data)]
        delete_local = local[len(data) :]
        exprs = ", ".join(f'CAST(f."{n}" AS {_ice_read_type(t)}) AS "{n}"' for n, t in columns)
        files = "[" + ", ".join(_literal(p) for p, _ in data_local) + "]"
        mapping = ", ".join(f"({_literal(p)}, {_literal(u)})" for p, u in data_local)
        sql = (
            f"SELECT {exprs}, m.__ara_path, f.file_row_number AS __ara_pos "
            f"FROM read_parquet({files}, union_by_name = true, filename = '__ara_local', "
            f"file_row_number = true) AS f JOIN (VALUES {mapping}) AS m(__ara_local, __ara_path) "
            "ON f.__ara_local = m.__ara_local"
        )
        if delete_local:
            dfiles = "[" + ", ".join(_literal(p) for p, _ in delete_local) + "]"
            sql = (
                f"SELECT r.* FROM ({sql}) AS r ANTI JOIN read_parquet({dfiles}) AS d "
                "ON d.file_path = r.__ara_path AND d.pos = r.__ara_pos"
            )
        return sql

    @staticmethod
    def _iceberg_public(meta: Meta, scan: str) -> str:
        cols = ", ".join(f'"{n}"' for n, _ in meta.columns)
        return f"SELECT {cols} FROM ({scan}) AS __ara_scan"

    def _load_metadata_table(self, db: str, name: str, ctx: _Context) -> str:
        """``"t$files"``, ``"t$snapshots"``, ``"t$partitions"`` of an Iceberg table."""
        base, _, kind = name.partition("$")
        if (db, name) in ctx.loaded:
            return name
        meta = self._iceberg_meta(db, base, ctx)
        keys = meta.partition_keys
        types = dict(meta.columns)
        snapshot = meta.snapshot()

        def part(values: dict[str, Any]) -> str:
            inner = ", ".join(
                f"'{k}': CAST({'NULL' if values.get(k) is None else _literal(values[k])} "
                f"AS {_ice_read_type(types[k])})"
                for k in keys
            )
            return "{" + inner + "}"

        rows: list[list[str]]
        if kind == "files":
            cols = ["content", "file_path", "file_format", "spec_id"]
            cols += ["partition"] if keys else []
            cols += ["record_count", "file_size_in_bytes"]
            rows = []
            for content, group in ((0, "data_files"), (1, "delete_files")):
                for f in snapshot[group] if snapshot else []:
                    row = [str(content), _literal(f["path"]), "'PARQUET'", "0"]
                    row += [part(f["partition"])] if keys else []
                    row += [str(f["record_count"]), str(f["file_size"])]
                    rows.append(row)
            casts = ["INTEGER", "VARCHAR", "VARCHAR", "INTEGER"]
            casts += [""] if keys else []
            casts += ["BIGINT", "BIGINT"]
        elif kind == "snapshots":
            cols = ["committed_at", "snapshot_id", "parent_id", "operation", "manifest_list"]
            cols += ["summary"]
            rows = []
            for snap in meta.doc["snapshots"]:
                summary = snap.get("summary") or {}
                rows.append(
                    [
                        f"make_timestamptz({int(snap['timestamp_ms']) * 1000})",
                        str(snap["snapshot_id"]),
                        "NULL" if snap.get("parent_id") is None else str(snap["parent_id"]),
                        _literal(str(snap["operation"])),
                        "NULL",
                        "MAP {"
                        + ", ".join(
                            f"{_literal(k)}: {_literal(str(v))}" for k, v in summary.items()
                        )
                        + "}",
                    ]
                )
            casts = [
                "TIMESTAMPTZ",
                "BIGINT",
                "BIGINT",
                "VARCHAR",
                "VARCHAR",
                "MAP(VARCHAR, VARCHAR)",
            ]
        elif kind == "partitions":
            cols = (["partition"] if keys else []) + ["record_count", "file_count", "total_size"]
            groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for f in snapshot["data_files"] if snapshot else []:
                groups.setdefault(tuple(f["partition"].get(k) for k in keys), []).append(f)
            rows = []
            for files in groups.values():
                row = [part(files[0]["partition"])] if keys else []
                row += [
                    str(sum(int(f["record_count"]) for f in files)),
                    str(len(files)),
                    str(sum(int(f["file_size"]) for f in files)),
                ]
                rows.append(row)
            casts = ([""] if keys else []) + ["BIGINT", "BIGINT", "BIGINT"]
        else:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"Iceberg metadata table ${kind} is not supported by the local Athena endpoint "
                "($files, $snapshots, $partitions are)",
            )
        if rows:
            body = " UNION ALL ".join(
                "SELECT "
                + ", ".join(
                    (f"CAST({v} AS {c})" if c else v) + f' AS "{n}"'
                    for v, c, n in zip(row, casts, cols, strict=True)
                )
                for row in rows
            )
        else:
            empty = [
                (f"CAST(NULL AS {c})" if c else part({})) + f' AS "{n}"'
                for c, n in zip(casts, cols, strict=True)
            ]
            body = f"SELECT {', '.join(empty)} LIMIT 0"
        ctx.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
        self._run(ctx, f'CREATE VIEW {CATALOG}."{db}"."{name}" AS {body}')
        ctx.loaded[(db, name)] = name
        return name
