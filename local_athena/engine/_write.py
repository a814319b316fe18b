"""CREATE TABLE AS SELECT and INSERT INTO (Hive tables; an Iceberg table's go to the
Iceberg families)."""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from pathlib import Path

from sqlglot import exp

from .._catalog import (
    PARQUET_INPUT,
    PARQUET_OUTPUT,
    PARQUET_SERDE,
    duckdb_type,
    hive_partition_path,
    hive_type_of,
)
from .._iceberg import (
    is_iceberg,
)
from .._text_files import TextFormat, encode_rows
from ..errors import AthenaQueryError
from ._base import (
    MAX_OPEN_WRITERS,
    Outcome,
    _codec,
    _coercible,
    _Context,
    _count,
    _ice_store_type,
    _partition_text,
)
from ._iceberg_write import IcebergWrites
from ._text import (
    _NAME,
    CATALOG,
    _array,
    _closing,
    _split_name,
    _with_properties,
)
from ._text_tables import (
    Storage,
    check_text_write,
    ctas_delimiter,
    ctas_text_storage,
    text_compression,
    text_format,
    text_suffix,
)


class WriteStatements(IcebergWrites):
    """CREATE TABLE AS SELECT and INSERT INTO (Hive tables; an Iceberg table's go to the
    Iceberg families)."""

    # --- CTAS and INSERT INTO -----------------------------------------------------------------

    def _ctas(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"create\s+table\s+(if\s+not\s+exists\s+)?(" + _NAME + r")\s*", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE TABLE AS: cannot read the statement")
        db, name = _split_name(m.group(2), ctx.database)
        rest = text[m.end() :]
        props: dict[str, str] = {}
        if re.match(r"with\s*\(", rest, re.I):
            start = rest.index("(")
            end = _closing(rest, start)
            props = _with_properties(rest[start + 1 : end])
            rest = rest[end + 1 :]
        am = re.match(r"\s*as\s+(.*)\Z", rest, re.I | re.S)
        if not am:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE TABLE AS: no AS <query>")
        query = am.group(1).strip()
        with_data = True
        nd = re.search(r"\bwith\s+(no\s+)?data\s*\Z", query, re.I)
        if nd:
            with_data = not nd.group(1)
            query = query[: nd.start()].strip()
        if query.startswith("(") and _closing(query, 0) == len(query) - 1:
            query = query[1:-1]
        table_type = props.pop("table_type", "hive").lower()
        if table_type == "iceberg":
            return self._ctas_iceberg(ctx, db, name, props, query, with_data, bool(m.group(1)))
        if table_type != "hive":
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"CTAS with table_type='{table_type}' is not supported (Hive and Iceberg only)",
            )
        fmt = props.pop("format", "parquet").lower()
        text_fmt: TextFormat | None = None
        if fmt == "textfile":  # LazySimpleSerDe text, field_delimiter (create-table-as.html)
            delimiter = ctas_delimiter(props.pop("field_delimiter", None))
            compression = text_compression(props.pop("write_compression", None))
            text_fmt = TextFormat(kind="lazy", separator=delimiter, compression=compression)
        elif fmt != "parquet":
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"CTAS with format='{fmt}' is not supported by the local Athena endpoint "
                "(PARQUET and TEXTFILE only)",
            )
        else:
            compression = props.pop("write_compression", props.pop("parquet_compression", "gzip"))
        partitioned_by = _array(props.pop("partitioned_by", "ARRAY[]"))
        location = props.pop("external_location", None)
        props.pop("is_external", None)
        if props:
            raise AthenaQueryError(
                "NOT_SUPPORTED", f"CTAS table properties not supported: {', '.join(sorted(props))}"
            )
        if self._ctas_target_exists(db, name, if_not_exists=bool(m.group(1))):
            return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=0)
        if location is None:
            location = f"{ctx.output_location.rstrip('/')}/tables/{ctx.query_id}"
        if any(True for _ in self.catalog.data_files(location)):
            raise AthenaQueryError(
                "HIVE_PATH_ALREADY_EXISTS",
                f"Target directory for table '{db}.{name}' already exists: {location}. You may "
                "need to manually clean the data at location before retrying. Athena will not "
                "delete data in your account.",
            )
        columns = self._ctas_result(query, ctx, with_data=with_data)
        lowered = [c.lower() for c, _ in columns]
        if (
            partitioned_by != lowered[len(lowered) - len(partitioned_by) :]
            or len(partitioned_by) > len(lowered) - 1
        ):
            raise AthenaQueryError(
                "HIVE_COLUMN_ORDER_MISMATCH",
                "Partition keys must be the last columns in the table and in the same order as "
                f"the table properties: {partitioned_by}",
            )
        micro = [c for c, t in columns if t.upper() == "TIMESTAMP_NS"]  # Trino's timestamp(6)
        if micro:  # engine v3: a Hive table's timestamps are milliseconds
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                "Incorrect timestamp precision for timestamp(6); the configured precision is "
                f"MILLISECONDS; column name: {micro[0].lower()}",
            )
        hive = [(c.lower(), hive_type_of(t)) for c, t in columns]
        data_cols = hive[: len(hive) - len(partitioned_by)]
        key_cols = hive[len(hive) - len(partitioned_by) :]
        if text_fmt is None:
            storage = Storage(PARQUET_SERDE, PARQUET_INPUT, PARQUET_OUTPUT)
            compression_key = "parquet.compression"
        else:
            check_text_write(db, name, data_cols, text_fmt)
            storage = ctas_text_storage(text_fmt.separator)
            compression_key = "write.compression"
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "EXTERNAL": "TRUE",
                "has_encrypted_data": "false",
                compression_key: compression.upper(),
            },
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in key_cols],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in data_cols],
                "Location": location,
                "InputFormat": storage.input_format,
                "OutputFormat": storage.output_format,
                "SerdeInfo": {
                    "SerializationLibrary": storage.serde,
                    "Parameters": {"serialization.format": "1", **storage.serde_params},
                },
            },
        }
        written = self._write(ctx, columns, partitioned_by, compression, location, None, text_fmt)
        with self._ddl_lock:
            if self.catalog.get_table(db, name) is not None:
                raise AthenaQueryError(
                    "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists"
                )
            self.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
            table = self.catalog.get_table(db, name)
            assert table is not None
            if partitioned_by and written:
                self.catalog.add_partitions(db, name, table, [(v, loc) for v, loc in written])
        count = _count(ctx.con, "__ara_result")
        return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=count)

    def _write(
        self,
        ctx: _Context,
        columns: list[tuple[str, str]],
        keys: list[str],
        compression: str,
        location: str,
        partition_locations: dict[tuple[str | None, ...], str] | None,
        text: TextFormat | None = None,
    ) -> list[tuple[list[str], str]]:
        """Writes __ara_result as Parquet (or, given a text format, as text files in it)
        under location (one folder per partition); returns the (values, location) of every
        partition written."""
        data = [c for c, _ in columns if c.lower() not in keys]
        key_src = [next(c for c, _ in columns if c.lower() == k) for k in keys]
        if keys:
            distinct = ctx.con.execute(
                "SELECT DISTINCT " + ", ".join(f'"{k}"' for k in key_src) + " FROM __ara_result"
            ).fetchall()
        else:
            distinct = [()] if _count(ctx.con, "__ara_result") else []
        if len(distinct) > MAX_OPEN_WRITERS:
            raise AthenaQueryError(
                "HIVE_TOO_MANY_OPEN_PARTITIONS",
                f"Exceeded limit of {MAX_OPEN_WRITERS} open writers for partitions/buckets",
            )
        codec = _codec(compression) if text is None else ""
        stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
        written: list[tuple[list[str], str]] = []
        cols = ", ".join(f'"{c}"' for c in data)
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            for n, values in enumerate(distinct):
                texts = [_partition_text(v) for v in values]
                where = (
                    " AND ".join(
                        f'"{k}" IS NULL' if v is None else f'"{k}" = ?'
                        for k, v in zip(key_src, values, strict=True)
                    )
                    or "TRUE"
                )
                params = [v for v in values if v is not None]
                path = Path(tmp) / f"part-{n}.parquet"
                if text is None:
                    ctx.con.execute(
                        f"COPY (SELECT {cols} FROM __ara_result WHERE {where}) TO '{path}' "
                        f"(FORMAT parquet, COMPRESSION {codec})",
                        params,
                    )
                else:
                    rows = ctx.con.execute(
                        f"SELECT {cols} FROM __ara_result WHERE {where}", params
                    ).fetchall()
                    path.write_bytes(encode_rows(rows, text))
                if keys:
                    folder = (partition_locations or {}).get(tuple(texts))
                    if folder is None:
                        folder = f"{location.rstrip('/')}/{hive_partition_path(keys, texts)}/"
                else:
                    folder = location.rstrip("/") + "/"
                key = f"{folder}{stamp}_{ctx.query_id[:8]}_{uuid.uuid4()}"
                if text is not None:
                    key += text_suffix(text)  # a text file's compression is its extension
                self.catalog.put_file(key, path)
                written.append(
                    ([t if t is not None else "__HIVE_DEFAULT_PARTITION__" for t in texts], folder)
                )
        return written

    def _insert(self, text: str, ctx: _Context) -> Outcome:
        tree = self._parse(text)
        if not isinstance(tree, exp.Insert):
            raise AthenaQueryError("SYNTAX_ERROR", "INSERT INTO: cannot read the statement")
        target = tree.this
        listed: list[str] | None = None
        if isinstance(target, exp.Schema):
            listed = [e.name.lower() for e in target.expressions]
            target = target.this
        assert isinstance(target, exp.Table)
        db = target.db.lower() if target.db else ctx.database
        name = target.name.lower()
        table = self._table_or_fail(db, name)
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise AthenaQueryError(
                "NOT_SUPPORTED", f"Inserting into views is not supported: {db}.{name}"
            )
        sd = table["StorageDescriptor"]
        iceberg = is_iceberg(table)
        # Parquet (None) or a text format; another format fails, named
        text_fmt = None if iceberg else text_format(db, name, table)
        cast_type = _ice_store_type if iceberg else duckdb_type
        table_cols = [(c["Name"].lower(), c["Type"]) for c in sd["Columns"]]
        if text_fmt is not None:
            check_text_write(db, name, table_cols, text_fmt)
        keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
        all_cols = table_cols + keys
        query = tree.expression
        duck_sql = self._prepare(query, ctx, ctx.database)
        self._run(ctx, f"CREATE TEMP TABLE __ara_query AS {duck_sql}")
        described = [
            (str(r[0]), str(r[1])) for r in ctx.con.execute("DESCRIBE __ara_query").fetchall()
        ]
        targets = listed if listed is not None else [n for n, _ in all_cols]
        unknown = [c for c in targets if c not in dict(all_cols)]
        if unknown:
            raise AthenaQueryError(
                "COLUMN_NOT_FOUND",
                f"Insert column name does not exist in target table: {unknown[0]}",
            )
        if len(described) != len(targets):
            raise AthenaQueryError(
                "TYPE_MISMATCH",
                f"Insert query has {len(described)} columns, the target has {len(targets)}",
            )
        source = dict(zip(targets, described, strict=True))
        selects = []
        for col, hive_t in all_cols:
            if col not in source:
                selects.append(f'CAST(NULL AS {cast_type(hive_t)}) AS "{col}"')
                continue
            src_name, src_type = source[col]
            if src_type.upper() == "TIMESTAMP WITH TIME ZONE" and hive_t.lower() == "timestamp":
                got = hive_t  # an assignment cast: the instant's wall time in its zone (UTC)
            else:
                got = hive_type_of(src_type) if src_type.upper() != "NULL" else hive_t
            if not _coercible(got, hive_t.lower()):
                raise AthenaQueryError(
                    "TYPE_MISMATCH",
                    f"Insert query has mismatched column types: column {col} is {hive_t}, "
                    f"the query gives {got}",
                )
            selects.append(f'CAST("{src_name}" AS {cast_type(hive_t)}) AS "{col}"')
        self._run(
            ctx, f"CREATE TEMP TABLE __ara_result AS SELECT {', '.join(selects)} FROM __ara_query"
        )
        if iceberg:
            return self._insert_iceberg(ctx, db, name, "__ara_result")
        columns = [(n, duckdb_type(t)) for n, t in all_cols]
        existing = (
            {
                tuple(p["Values"]): p["StorageDescriptor"]["Location"]
                for p in self.catalog.partitions(db, name)
            }
            if keys
            else {}
        )
        compression = str((table.get("Parameters") or {}).get("parquet.compression", "gzip"))
        written = self._write(
            ctx,
            columns,
            [k for k, _ in keys],
            compression,
            str(sd["Location"]),
            existing,
            text_fmt,
        )
        new = [(v, loc) for v, loc in written if tuple(v) not in existing]
        seen: set[tuple[str, ...]] = set()
        unique_new = []
        for v, loc in new:
            if tuple(v) not in seen:
                seen.add(tuple(v))
                unique_new.append((v, loc))
        if keys and unique_new:
            with self._ddl_lock:
                current = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
                todo = [(v, loc) for v, loc in unique_new if tuple(v) not in current]
                if todo:
                    self.catalog.add_partitions(db, name, table, todo)
        count = _count(ctx.con, "__ara_result")
        return Outcome("DML", "INSERT", update_count=count)
