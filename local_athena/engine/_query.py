"""SELECT, and the Glue tables and views a statement reads, loaded into DuckDB."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from .._catalog import (
    duckdb_type,
    trino_type_of,
    view_sql,
)
from .._iceberg import (
    is_iceberg,
)
from ..errors import AthenaQueryError
from ..sql._functions import unsupported_function
from ..sql._transpile import rewrite_tree
from ._base import (
    Outcome,
    _Context,
    _duckdb_failure,
    _name_columns,
    _pruning_conjuncts,
    render_value,
)
from ._iceberg_read import IcebergReads
from ._text import (
    CATALOG,
    _literal,
)
from ._text_tables import text_copy, text_format
from ._types import check_types, relation_schema


def _table_sequences(tree: exp.Expression) -> None:
    """``TABLE(sequence(start => a, stop => b, step => c))`` in FROM: Trino's built-in table
    function, one bigint column ``sequential_number`` from start (default 0) to stop, by step
    (default 1) (https://trino.io/docs/current/functions/table.html#sequence), as the UNNEST of
    an array sequence the transpiler executes."""
    for table in list(tree.find_all(exp.Table)):
        call = table.this
        if not (isinstance(call, exp.Anonymous) and str(call.this).upper() == "TABLE"):
            continue
        inner = call.expressions[0] if call.expressions else None
        if not isinstance(inner, exp.GenerateSeries):
            continue
        given: dict[str, exp.Expression] = {}
        for key, arg in (("start", "start"), ("end", "stop"), ("step", "step")):
            value = inner.args.get(key)
            if isinstance(value, exp.Kwarg):
                given[value.this.name.lower()] = value.expression
            elif value is not None:
                given[arg] = value
        if "stop" not in given:
            raise AthenaQueryError("SYNTAX_ERROR", "sequence: missing argument stop")
        start = given.get("start", exp.Literal.number(0))
        step = given.get("step", exp.Literal.number(1))
        alias = table.alias or "sequence"
        bounds = ", ".join(
            f"CAST({e.sql('athena')} AS bigint)" for e in (start, given["stop"], step)
        )
        body = sqlglot.parse_one(
            "SELECT CAST(n AS bigint) AS sequential_number "
            f"FROM UNNEST(sequence({bounds})) AS s (n)",
            read="athena",
        )
        table.replace(exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias))))


class QueryStatements(IcebergReads):
    """SELECT, and the Glue tables and views a statement reads, loaded into DuckDB (also the
    query of a CTAS, which the write families run through :meth:`_ctas_result`)."""

    def _select(self, text: str, ctx: _Context) -> Outcome:
        tree = _name_columns(self._parse(text))
        duck_sql = self._prepare(tree, ctx, ctx.database)
        cursor = self._run(ctx, duck_sql)
        names = [d[0] for d in cursor.description or []]
        types = [trino_type_of(str(d[1])) for d in cursor.description or []]
        try:
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None
        out = [[render_value(v, t) for v, t in zip(row, types, strict=True)] for row in rows]
        return Outcome("DML", "SELECT", list(zip(names, types, strict=True)), out)

    # --- loading Glue tables and views into DuckDB --------------------------------------------

    def _load(self, db: str, name: str, ctx: _Context) -> None:
        key = (db, name)
        if key in ctx.loaded:
            return
        if key in ctx.loading:
            raise AthenaQueryError(
                "VIEW_IS_RECURSIVE", f"View '{CATALOG}.{db}.{name}' is recursive"
            )
        ctx.loading.add(key)
        self.catalog.require_database(db)
        table = self.catalog.get_table(db, name)
        if table is None:
            raise AthenaQueryError(
                "TABLE_NOT_FOUND", f"Table '{CATALOG}.{db}.{name}' does not exist"
            )
        ctx.con.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
        relation = f'{CATALOG}."{db}"."{name}"'
        if table.get("TableType") == "VIRTUAL_VIEW":
            sql, _, schema = view_sql(table)
            body = self._prepare(self._parse(sql), ctx, schema)
            select = body
        else:
            select = self._table_select(db, name, table, ctx)
        try:
            ctx.con.execute(f"CREATE VIEW {relation} AS {select}")
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None
        ctx.loading.discard(key)
        ctx.loaded[key] = relation

    def _table_select(self, db: str, name: str, table: dict[str, Any], ctx: _Context) -> str:
        sd = table.get("StorageDescriptor") or {}
        params = table.get("Parameters") or {}
        if is_iceberg(table):
            meta = self._iceberg_meta(db, name, ctx)
            return self._iceberg_public(meta, self._iceberg_scan(meta, ctx, meta.snapshot(), []))
        text = text_format(db, name, table)  # None: Parquet; other formats fail, named
        columns = [(c["Name"].lower(), c["Type"]) for c in sd.get("Columns", [])]
        keys = [(c["Name"].lower(), c["Type"]) for c in table.get("PartitionKeys", [])]
        #: (partition values, the partition's local file copies); one group when unpartitioned
        groups: list[tuple[list[str | None], list[str]]] = []
        if keys:
            if str(params.get("projection.enabled", "")).lower() == "true":
                parts = self._projected_partitions(table, keys)
            else:
                parts = [
                    (p["Values"], p["StorageDescriptor"]["Location"])
                    for p in self.catalog.partitions(db, name)
                ]
        else:
            parts = [([], str(sd.get("Location", "")))]
        for values, location in parts:
            paths = []
            for obj in self.catalog.data_files(location):
                if text is None:
                    path = str(self.catalog.local_copy(obj))
                else:  # its rows parsed into a local Parquet file, read like the others
                    path = text_copy(self.catalog, obj, text, columns)
                paths.append(path)
                ctx.read_files[path] = (obj.size, db, name, tuple(values))
            if paths:
                groups.append((list(values), paths))
        typed = [(n, duckdb_type(t)) for n, t in columns]
        typed_keys = [(n, duckdb_type(t)) for n, t in keys]
        if not groups:
            nulls = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in typed + typed_keys)
            return f"SELECT {nulls} LIMIT 0"
        # One branch per partition, its values as constants: a predicate on the partition
        # columns, wherever DuckDB's optimizer pushes it (through views, joins, unnests), folds
        # a pruned partition's branch to nothing, and its files are never read (Athena prunes
        # partitions the same way; what was read is counted from DuckDB's file system log).
        branches = [self._partition_branch(typed, typed_keys, v, p) for v, p in groups]
        while len(branches) > 1:  # a balanced UNION ALL: its depth grows with log2(partitions)
            branches = [
                f"({branches[i]}) UNION ALL ({branches[i + 1]})"
                if i + 1 < len(branches)
                else branches[i]
                for i in range(0, len(branches), 2)
            ]
        return branches[0]

    def _partition_branch(
        self,
        typed: list[tuple[str, str]],
        typed_keys: list[tuple[str, str]],
        values: list[str | None],
        paths: list[str],
    ) -> str:
        """The rows of one partition's files: columns read by name (a column no file has is
        null) and cast to the Glue types, the partition values as typed constants."""
        in_file: dict[str, tuple[str, bool]] = {}  # lower name -> (name in file, UTC-adjusted)
        for path in paths:
            for column, adjusted in self.catalog.parquet_columns(path):
                in_file.setdefault(column.lower(), (column, adjusted))
        exprs = []
        for n, t in typed:
            if n not in in_file:
                exprs.append(f'CAST(NULL AS {t}) AS "{n}"')
                continue
            original, adjusted = in_file[n]
            source = '"' + original.replace('"', '""') + '"'
            if t == "TIMESTAMP(3)" and adjusted:
                source = f"timezone('UTC', {source})"  # UTC-adjusted Parquet -> wall clock
            exprs.append(f'CAST({source} AS {t}) AS "{n}"')
        for (n, t), v in zip(typed_keys, values, strict=True):
            value = "NULL" if v is None or v == "__HIVE_DEFAULT_PARTITION__" else _literal(v)
            exprs.append(f'CAST({value} AS {t}) AS "{n}"')
        files = "[" + ", ".join(_literal(p) for p in paths) + "]"
        return f"SELECT {', '.join(exprs)} FROM read_parquet({files}, union_by_name = true)"

    def _projected_partitions(
        self, table: dict[str, Any], keys: list[tuple[str, str]]
    ) -> list[tuple[list[str | None], str]]:
        """Partition projection: the partition folders under the location that match the
        storage.location.template (or k=v folders) and the keys' enum values."""
        params = table.get("Parameters") or {}
        location = str(table["StorageDescriptor"]["Location"]).rstrip("/")
        template = str(params.get("storage.location.template") or "").rstrip("/")
        if not template:
            template = location + "/" + "/".join(f"{k}=${{{k}}}" for k, _ in keys)
        pattern = re.escape(template)
        for k, _ in keys:
            pattern = pattern.replace(re.escape(f"${{{k}}}"), f"(?P<{k}>[^/]+)")
        regex = re.compile(pattern + "/")
        found: dict[tuple[str, ...], str] = {}
        for obj in self.catalog.list_objects(location + "/"):
            m = regex.match(f"s3://{obj.bucket}/{obj.key}")
            if not m:
                continue
            values = tuple(m.group(k) for k, _ in keys)
            ok = True
            for k, _ in keys:
                kind = str(params.get(f"projection.{k}.type", "")).lower()
                if kind == "enum":
                    allowed = str(params.get(f"projection.{k}.values", "")).split(",")
                    ok = ok and m.group(k) in [a.strip() for a in allowed]
            if ok:
                found.setdefault(values, m.group(0))
        return [(list(v), loc) for v, loc in sorted(found.items())]

    def _prepare(self, tree: exp.Expression, ctx: _Context, default_db: str) -> str:
        """Checks the functions, loads the tables it reads into DuckDB, returns DuckDB SQL."""
        bad = unsupported_function(tree)
        if bad is not None:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"function {bad} is not supported by the local Athena endpoint "
                "(docs/athena-parity.md)",
            )
        _table_sequences(tree)
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        read: set[tuple[str, str, str]] = set()
        for table in list(tree.find_all(exp.Table)):
            if not table.name or isinstance(table.this, exp.Func):
                continue
            db_part = table.args.get("db")
            if db_part is None and table.name.lower() in ctes:
                continue
            catalog = table.args.get("catalog")
            if catalog is not None and catalog.name.lower() != CATALOG:
                raise AthenaQueryError(
                    "CATALOG_NOT_FOUND", f"Catalog '{catalog.name}' does not exist"
                )
            if db_part is None and table.name.lower().startswith("__ara_"):
                continue  # the statement's own temporary tables (MERGE, DELETE)
            db = db_part.name.lower() if db_part is not None else default_db
            name = table.name.lower()
            version = table.args.get("version")
            if "$" in name:
                name = self._load_metadata_table(db, name, ctx)
            elif self._iceberg_glue(db, name, ctx) is not None and (
                version is not None or _pruning_conjuncts(table, self._iceberg_keys(db, name, ctx))
            ):
                name = self._load_iceberg_ref(db, name, table, ctx)
            else:
                if version is not None:
                    raise AthenaQueryError(
                        "NOT_SUPPORTED",
                        f"FOR {version.this} AS OF: {db}.{name} is not an Iceberg table",
                    )
                self._load(db, name, ctx)
            if table.args.get("alias") is None and name != table.name.lower():
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("version", None)
            table.set("catalog", exp.to_identifier(CATALOG, quoted=True))
            table.set("db", exp.to_identifier(db, quoted=True))
            table.set("this", exp.to_identifier(name, quoted=True))
            read.add((CATALOG, db, name))
        # Trino's type rules, on the types of what it reads, before a row is read
        check_types(tree, relation_schema(ctx, read), catalog=CATALOG, database=default_db)
        return rewrite_tree(tree)

    # --- CTAS, shared by Hive and Iceberg tables ------------------------------------------------

    def _ctas_target_exists(self, db: str, name: str, *, if_not_exists: bool) -> bool:
        """True when the table exists and IF NOT EXISTS lets the CTAS do nothing; fails when
        it exists otherwise (or the database does not)."""
        self.catalog.require_database(db)
        if self.catalog.get_table(db, name) is None:
            return False
        if if_not_exists:
            return True
        raise AthenaQueryError(
            "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
        )

    def _ctas_result(self, query: str, ctx: _Context, *, with_data: bool) -> list[tuple[str, str]]:
        """Runs a CTAS query into the temp table ``__ara_result`` (no rows: WITH NO DATA) and
        returns its columns, (name as written, DuckDB type). An unnamed or a repeated column
        fails as on Athena."""
        tree = self._parse(query)
        selects = tree.named_selects if isinstance(tree, exp.Query) else []
        written = [n.lower() for n in selects if n != "*"]
        repeated = sorted({n for n in written if written.count(n) > 1})
        if repeated:  # (DuckDB would rename the second one)
            raise AthenaQueryError(
                "DUPLICATE_COLUMN_NAME", f"Column name '{repeated[0]}' specified more than once"
            )
        if _name_columns(tree.copy()).sql() != tree.sql():
            raise AthenaQueryError(
                "MISSING_COLUMN_NAME", "Column name not specified for an expression of the query"
            )
        duck_sql = self._prepare(tree, ctx, ctx.database)
        self._run(
            ctx, f"CREATE TEMP TABLE __ara_result AS {duck_sql}" + ("" if with_data else " LIMIT 0")
        )
        described = ctx.con.execute("DESCRIBE __ara_result").fetchall()
        columns = [(str(r[0]), str(r[1])) for r in described]
        lowered = [c.lower() for c, _ in columns]
        repeated = sorted({c for c in lowered if lowered.count(c) > 1})
        if repeated:
            raise AthenaQueryError(
                "DUPLICATE_COLUMN_NAME", f"Column name '{repeated[0]}' specified more than once"
            )
        return columns
