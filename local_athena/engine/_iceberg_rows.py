"""Row changes on Iceberg tables: MERGE INTO and DELETE."""

from __future__ import annotations

from typing import Any, cast

from sqlglot import exp

from .._catalog import (
    hive_type_of,
)
from .._iceberg import (
    Meta,
)
from ..errors import AthenaQueryError
from ._base import (
    Outcome,
    _coercible,
    _conjuncts,
    _Context,
    _count,
    _ice_store_type,
    _ice_text,
    _only_columns,
    _unqualified,
)
from ._iceberg_write import IcebergWrites


class IcebergRowChanges(IcebergWrites):
    """Row changes on Iceberg tables: MERGE INTO and DELETE."""

    # --- Iceberg: MERGE, DELETE ------------------------------------------------------------

    def _merge(self, text: str, ctx: _Context) -> Outcome:
        tree = self._parse(text)
        if not isinstance(tree, exp.Merge):
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: cannot read the statement")
        target = tree.this
        db, name = self._iceberg_target(target, ctx, "MERGE INTO")
        meta = self._iceberg_meta(db, name, ctx)
        snapshot = meta.snapshot()
        keys = set(meta.partition_keys)
        t_alias = target.alias_or_name.lower()
        using = tree.args.get("using")
        if using is None:
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: no USING")
        s_alias = using.alias_or_name.lower()
        on = tree.args.get("on")
        if on is None:
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: no ON condition")
        # the target's rows at statement start, pruned by the ON clause's partition predicates
        on_target = [
            c for c in _conjuncts(on) if _only_columns(c, keys, {t_alias, name}, single=False)
        ]
        scan = self._iceberg_scan(meta, ctx, snapshot, [_unqualified(c) for c in on_target])
        self._run(ctx, f"CREATE TEMP TABLE __ara_tgt AS {scan}")
        source_tree = exp.select("*").from_(using.copy())
        source_sql = self._prepare(source_tree, ctx, ctx.database)
        self._run(
            ctx,
            "CREATE TEMP TABLE __ara_src AS SELECT *, row_number() OVER () AS __ara_sid "
            f"FROM ({source_sql}) AS __ara_s",
        )
        columns = meta.columns
        whens = tree.args.get("whens")
        clauses = list(whens.expressions) if whens is not None else []
        if not clauses:
            raise AthenaQueryError("SYNTAX_ERROR", "MERGE: no WHEN clause")
        matched_ids: list[tuple[int, exp.Expression | None]] = []
        unmatched_ids: list[tuple[int, exp.Expression | None]] = []
        deleting: list[int] = []
        writing: dict[int, dict[str, exp.Expression]] = {}
        for i, when in enumerate(clauses, start=1):
            if when.args.get("source"):
                raise AthenaQueryError("NOT_SUPPORTED", "MERGE: WHEN NOT MATCHED BY SOURCE")
            cond = when.args.get("condition")
            then = when.args.get("then")
            if when.args.get("matched"):
                matched_ids.append((i, cond))
                if isinstance(then, exp.Update):
                    values: dict[str, exp.Expression] = {
                        n: exp.column(n, table=t_alias) for n, _ in columns
                    }
                    for eq in then.expressions:
                        col = eq.this.name.lower()
                        if col not in values:
                            raise AthenaQueryError(
                                "COLUMN_NOT_FOUND", f"Column '{col}' cannot be resolved"
                            )
                        values[col] = eq.expression
                    writing[i] = values
                    deleting.append(i)
                elif isinstance(then, exp.Var) and then.name.upper() == "DELETE":
                    deleting.append(i)
                else:
                    raise AthenaQueryError(
                        "SYNTAX_ERROR", "MERGE: WHEN MATCHED needs UPDATE or DELETE"
                    )
            else:
                unmatched_ids.append((i, cond))
                if not isinstance(then, exp.Insert):
                    raise AthenaQueryError("SYNTAX_ERROR", "MERGE: WHEN NOT MATCHED needs INSERT")
                listed = (
                    [c.name.lower() for c in then.this.expressions]
                    if then.this is not None
                    else [n for n, _ in columns]
                )
                given = list(then.expression.expressions) if then.expression is not None else []
                if len(listed) != len(given):
                    raise AthenaQueryError(
                        "SYNTAX_ERROR",
                        f"MERGE INSERT: {len(listed)} columns but {len(given)} values",
                    )
                unknown = [c for c in listed if c not in dict(columns)]
                if unknown:
                    raise AthenaQueryError(
                        "COLUMN_NOT_FOUND",
                        f"Insert column name does not exist in target table: {unknown[0]}",
                    )
                values = {n: exp.Null() for n, _ in columns}
                values.update(dict(zip(listed, given, strict=True)))
                writing[i] = values

        def chooser(ids: list[tuple[int, exp.Expression | None]]) -> exp.Expression:
            if not ids:
                return exp.Null()
            case = exp.Case()
            for i, cond in ids:
                case = case.when(
                    cond.copy() if cond is not None else exp.true(), exp.Literal.number(i)
                )
            return case

        matched = exp.Not(
            this=exp.Is(this=exp.column("__ara_path", table=t_alias), expression=exp.Null())
        )
        clause = exp.Case().when(matched, chooser(matched_ids)).else_(chooser(unmatched_ids))
        frm = exp.to_table("__ara_src").as_(s_alias)
        join_target = exp.to_table("__ara_tgt").as_(t_alias)

        def joined(select: list[exp.Expression]) -> exp.Select:
            return (
                exp.select(*select)
                .from_(frm.copy())
                .join(join_target.copy(), on=on.copy(), join_type="left")
            )

        # types: every value must be assignable to its column (Trino checks it at analysis)
        checks: list[exp.Expression] = [
            cast(exp.Expression, exp.alias_(e.copy(), f"__ara_v{i}_{n}", quoted=True))
            for i, vals in writing.items()
            for n, e in vals.items()
            if not isinstance(e, exp.Null)
        ]
        if checks:
            described = self._run(
                ctx, "DESCRIBE " + self._prepare(joined(checks), ctx, ctx.database)
            ).fetchall()
            want = dict(columns)
            for row in described:
                label, got = str(row[0]), str(row[1])
                col = label.split("_", 4)[-1]  # __ara_v<i>_<column>
                if got.upper() == '"NULL"' or got.upper() == "NULL":
                    continue
                got_hive = hive_type_of(got)
                if not _coercible(got_hive, want[col].lower()):
                    raise AthenaQueryError(
                        "TYPE_MISMATCH",
                        f"MERGE table column types don't match: column {col} is {want[col]}, "
                        f"the value is {got_hive}",
                    )
        selects: list[exp.Expression] = [
            cast(exp.Expression, exp.alias_(clause.copy(), "__ara_clause")),
            exp.column("__ara_sid", table=s_alias),
            exp.column("__ara_path", table=t_alias),
            exp.column("__ara_pos", table=t_alias),
        ]
        for n, t in columns:
            case = exp.Case()
            for i, vals in writing.items():
                case = case.when(
                    exp.EQ(this=clause.copy(), expression=exp.Literal.number(i)),
                    exp.cast(vals[n].copy(), _ice_store_type(t), dialect="duckdb"),
                )
            value = case if writing else exp.Null()
            selects.append(cast(exp.Expression, exp.alias_(value, n, quoted=True)))
        self._run(
            ctx,
            "CREATE TEMP TABLE __ara_merge AS " + self._prepare(joined(selects), ctx, ctx.database),
        )
        dup = ctx.con.execute(
            "SELECT 1 FROM __ara_merge WHERE __ara_path IS NOT NULL "
            "GROUP BY __ara_path, __ara_pos HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if dup:
            raise AthenaQueryError(
                "MERGE_TARGET_ROW_MULTIPLE_MATCHES",
                "One MERGE target table row matched more than one source row",
            )
        del_ids = ", ".join(str(i) for i in deleting) or "NULL"
        write_ids = ", ".join(str(i) for i in writing) or "NULL"
        ctx.con.execute(
            "CREATE TEMP TABLE __ara_gone AS SELECT DISTINCT __ara_path, __ara_pos "
            f"FROM __ara_merge WHERE __ara_path IS NOT NULL AND __ara_clause IN ({del_ids})"
        )
        cols = ", ".join(f'"{n}"' for n, _ in columns)
        ctx.con.execute(
            f"CREATE TEMP TABLE __ara_new AS SELECT {cols} FROM __ara_merge "
            f"WHERE __ara_clause IN ({write_ids})"
        )
        found = ctx.con.execute(
            "SELECT count(*) FROM __ara_merge WHERE __ara_clause IS NOT NULL"
        ).fetchone()
        affected = int(found[0]) if found else 0
        self._commit_row_changes(ctx, db, name, meta, snapshot, "__ara_gone", "__ara_new")
        return Outcome("DML", "MERGE", update_count=affected)

    def _commit_row_changes(
        self,
        ctx: _Context,
        db: str,
        name: str,
        meta: Meta,
        snapshot: dict[str, Any] | None,
        gone: str,
        new_rows: str | None,
    ) -> None:
        """One commit: position deletes of ``gone``'s rows, data files of ``new_rows``."""
        removed = _count(ctx.con, gone)
        added = _count(ctx.con, new_rows) if new_rows else 0
        if removed == 0 and added == 0:
            return  # nothing changed: no new snapshot
        keys = meta.partition_keys
        by_path = {f["path"]: f for f in (snapshot["data_files"] if snapshot else [])}
        paths = [
            str(r[0]) for r in ctx.con.execute(f"SELECT DISTINCT __ara_path FROM {gone}").fetchall()
        ]
        delete_parts = {tuple(by_path[p]["partition"].get(k) for k in keys) for p in paths}
        partitions = self._iceberg_partitions(ctx, meta, new_rows) if new_rows and added else []
        written = {tuple(_ice_text(v) for v in part) for part in partitions}
        self._check_open_writers(len(written | delete_parts))
        deletes = self._iceberg_write_deletes(ctx, meta, snapshot, gone) if removed else []
        files = self._iceberg_write(ctx, meta, new_rows, partitions) if new_rows and added else []
        operation = "overwrite" if deletes and files else ("delete" if deletes else "append")
        new = meta.next(
            now_ms=self._now_ms(),
            operation=operation,
            data_files=(snapshot["data_files"] if snapshot else []) + files,
            delete_files=(snapshot["delete_files"] if snapshot else []) + deletes,
            summary={
                "added-records": str(added),
                "added-position-deletes": str(removed),
                "added-data-files": str(len(files)),
                "added-delete-files": str(len(deletes)),
            },
        )
        self._iceberg_commit(db, name, meta, new)

    def _delete(self, text: str, ctx: _Context) -> Outcome:
        tree = self._parse(text)
        if not isinstance(tree, exp.Delete):
            raise AthenaQueryError("SYNTAX_ERROR", "DELETE: cannot read the statement")
        target = tree.this
        db, name = self._iceberg_target(target, ctx, "DELETE")
        meta = self._iceberg_meta(db, name, ctx)
        snapshot = meta.snapshot()
        alias = target.alias_or_name.lower()
        where = tree.args.get("where")
        pred = where.this if where is not None else exp.true()
        keys = set(meta.partition_keys)
        pruning = [
            _unqualified(c)
            for c in _conjuncts(pred)
            if _only_columns(c, keys, {alias, name}, single=True)
        ]
        self._run(
            ctx,
            f"CREATE TEMP TABLE __ara_tgt AS {self._iceberg_scan(meta, ctx, snapshot, pruning)}",
        )
        select = (
            exp.select("__ara_path", "__ara_pos")
            .from_(exp.to_table("__ara_tgt").as_(alias))
            .where(pred.copy())
        )
        self._run(
            ctx, "CREATE TEMP TABLE __ara_gone AS " + self._prepare(select, ctx, ctx.database)
        )
        count = _count(ctx.con, "__ara_gone")
        self._commit_row_changes(ctx, db, name, meta, snapshot, "__ara_gone", None)
        return Outcome("DML", "DELETE", update_count=count)
