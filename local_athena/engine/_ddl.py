"""Catalog and DDL: databases, external tables, partitions, views, DROP, RENAME, SHOW."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import duckdb
from sqlglot import exp

from .._catalog import (
    hive_partition_path,
    presto_view_text,
    split_s3,
    trino_type_of,
)
from .._iceberg import (
    is_iceberg,
)
from ..errors import AthenaQueryError
from ._base import (
    Outcome,
    _Context,
    _duckdb_failure,
    _hive_text,
    _table_input,
    _view_hive_type,
)
from ._iceberg_maintenance import IcebergMaintenance
from ._text import (
    _NAME,
    CATALOG,
    _ident,
    _prop_value,
    _split_name,
    _unescape,
)
from ._text_tables import create_table_storage


class CatalogStatements(IcebergMaintenance):
    """Catalog and DDL: databases, external tables, partitions, views, DROP, RENAME, SHOW."""

    # --- DDL: databases and external tables ---------------------------------------------------

    def _create_database(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"create\s+(?:database|schema)\s+(if\s+not\s+exists\s+)?(" + _NAME + r")(.*)\Z",
            text,
            re.I | re.S,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE DATABASE: cannot read the statement")
        name = _ident(m.group(2).split(".")[-1])
        rest = m.group(3)
        comment = re.search(r"\bcomment\s+'((?:[^']|'')*)'", rest, re.I)
        location = re.search(r"\blocation\s+'([^']*)'", rest, re.I)
        with self._ddl_lock:
            if self.catalog.database_exists(name):
                if m.group(1):
                    return Outcome("DDL", "CREATE_DATABASE")
                raise AthenaQueryError("ALREADY_EXISTS", f"Database {name} already exists")
            db_input: dict[str, Any] = {"Name": name}
            if comment:
                db_input["Description"] = comment.group(1).replace("''", "'")
            if location:
                db_input["LocationUri"] = location.group(1)
            self.catalog.glue.create_database(DatabaseInput=db_input)
        return Outcome("DDL", "CREATE_DATABASE")

    def _drop_database(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"drop\s+(?:database|schema)\s+(if\s+exists\s+)?("
            + _NAME
            + r")\s*(cascade|restrict)?\s*\Z",
            text,
            re.I,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "DROP DATABASE: cannot read the statement")
        name = _ident(m.group(2).split(".")[-1])
        with self._ddl_lock:
            if not self.catalog.database_exists(name):
                if m.group(1):
                    return Outcome("DDL", "DROP_DATABASE")
                raise AthenaQueryError("SCHEMA_NOT_FOUND", f"Database does not exist: {name}")
            tables = self.catalog.glue.get_tables(DatabaseName=name)["TableList"]
            if tables and (m.group(3) or "").lower() != "cascade":
                raise AthenaQueryError(
                    "SCHEMA_NOT_EMPTY", f"Database {name} is not empty. One or more tables exist."
                )
            self.catalog.glue.delete_database(Name=name)
        return Outcome("DDL", "DROP_DATABASE")

    def _create_external_table(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"create\s+external\s+table\s+(if\s+not\s+exists\s+)?(" + _NAME + r")\s*\(",
            text,
            re.I,
        )
        if not m:
            raise AthenaQueryError(
                "SYNTAX_ERROR", "CREATE EXTERNAL TABLE: cannot read the statement"
            )
        db, name = _split_name(m.group(2), ctx.database)
        tree = self._parse(text)
        schema = tree.this if isinstance(tree, exp.Create) else None
        if not isinstance(schema, exp.Schema):
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE EXTERNAL TABLE: no column list")
        columns = [
            {"Name": c.name.lower(), "Type": _hive_text(c.args["kind"])}
            for c in schema.expressions
            if isinstance(c, exp.ColumnDef)
        ]
        comments = {
            c.name.lower(): c.find(exp.CommentColumnConstraint)
            for c in schema.expressions
            if isinstance(c, exp.ColumnDef)
        }
        for col in columns:
            comment = comments.get(col["Name"])
            if comment is not None:
                col["Comment"] = comment.this.name
        keys: list[dict[str, str]] = []
        location = None
        table_props: dict[str, str] = {}
        properties = tree.args.get("properties")
        top = list(properties.expressions) if properties is not None else []
        # ROW FORMAT / STORED AS as Athena registers them (no STORED AS: TEXTFILE)
        storage = create_table_storage(top)
        for prop in top:
            if isinstance(prop, exp.PartitionedByProperty):
                keys = [
                    {"Name": c.name.lower(), "Type": _hive_text(c.args["kind"])}
                    for c in prop.this.expressions
                    if isinstance(c, exp.ColumnDef)
                ]
            elif isinstance(prop, exp.LocationProperty):
                location = prop.this.name
            elif type(prop) is exp.Property:
                table_props[prop.name] = _prop_value(prop.args.get("value"))
        if table_props.get("table_type", "").upper() == "ICEBERG":
            raise AthenaQueryError(
                "NOT_SUPPORTED", "External keyword not supported for table type ICEBERG"
            )
        if location is None:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE EXTERNAL TABLE needs a LOCATION")
        split_s3(location)
        names = [c["Name"] for c in columns + keys]
        if len(set(names)) != len(names):
            raise AthenaQueryError("DUPLICATE_COLUMN_NAME", f"columns {names} repeat a name")
        with self._ddl_lock:
            self.catalog.require_database(db)
            if self.catalog.get_table(db, name) is not None:
                if m.group(1):
                    return Outcome("DDL", "CREATE_TABLE")
                raise AthenaQueryError("ALREADY_EXISTS", f"Table {db}.{name} already exists")
            self.catalog.glue.create_table(
                DatabaseName=db,
                TableInput={
                    "Name": name,
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"EXTERNAL": "TRUE", **table_props},
                    "PartitionKeys": keys,
                    "StorageDescriptor": {
                        "Columns": columns,
                        "Location": location,
                        "InputFormat": storage.input_format,
                        "OutputFormat": storage.output_format,
                        "SerdeInfo": {
                            "SerializationLibrary": storage.serde,
                            "Parameters": {"serialization.format": "1", **storage.serde_params},
                        },
                    },
                },
            )
        return Outcome("DDL", "CREATE_TABLE")

    def _partition_location(self, table: dict[str, Any], values: list[str | None]) -> str:
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        base = str(table["StorageDescriptor"]["Location"]).rstrip("/")
        return f"{base}/{hive_partition_path(keys, values)}/"

    def _add_partitions(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+add\s+(if\s+not\s+exists\s+)?(.*)\Z",
            text,
            re.I | re.S,
        )
        if not m or not re.match(r"partition\b", m.group(3), re.I):
            raise AthenaQueryError(
                "NOT_SUPPORTED", "ALTER TABLE ADD: only ADD PARTITION is supported"
            )
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "ALTER TABLE ADD PARTITION")
        keys = [(k["Name"].lower(), k["Type"]) for k in table.get("PartitionKeys", [])]
        specs = re.findall(r"partition\s*\(([^)]*)\)\s*(?:location\s+'([^']*)')?", m.group(3), re.I)
        if not specs:
            raise AthenaQueryError("SYNTAX_ERROR", "ALTER TABLE ADD PARTITION: no partition spec")
        existing = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
        new: list[tuple[list[str], str]] = []
        for spec, location in specs:
            given = {
                k.strip().strip('"`').lower(): v
                for k, v in re.findall(r"([\w\"`]+)\s*=\s*('(?:[^']|'')*'|[^,\s]+)", spec)
            }
            if sorted(given) != sorted(k for k, _ in keys):
                raise AthenaQueryError(
                    "HIVE_METASTORE_ERROR",
                    f"partition spec {{{spec.strip()}}} does not name the partition keys "
                    f"{[k for k, _ in keys]} of {db}.{name}",
                )
            values: list[str] = []
            for k, t in keys:
                raw = given[k]
                value = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
                if t.lower() == "date":
                    try:
                        dt.date.fromisoformat(value)
                    except ValueError:
                        raise AthenaQueryError(
                            "HIVE_INVALID_PARTITION_VALUE",
                            f"Invalid partition value '{value}' for DATE partition key: {k}",
                        ) from None
                values.append(value)
            if tuple(values) in existing:
                if m.group(2):
                    continue
                raise AthenaQueryError("ALREADY_EXISTS", f"Partition already exists: {values}")
            existing.add(tuple(values))
            new.append((values, location or self._partition_location(table, list(values))))
        if new:
            self.catalog.add_partitions(db, name, table, new)
        return Outcome("DDL", "ALTER_TABLE_ADD_PARTITION")

    def _drop_partitions(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+drop\s+(if\s+exists\s+)?(.*)\Z", text, re.I | re.S
        )
        if not m or not re.match(r"partition\b", m.group(3), re.I):
            raise AthenaQueryError(
                "NOT_SUPPORTED", "ALTER TABLE DROP: only DROP PARTITION is supported"
            )
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "ALTER TABLE DROP PARTITION")
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        existing = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
        for spec in re.findall(r"partition\s*\(([^)]*)\)", m.group(3), re.I):
            given = {
                k.strip().strip('"`').lower(): v.strip("'")
                for k, v in re.findall(r"([\w\"`]+)\s*=\s*('(?:[^']|'')*'|[^,\s]+)", spec)
            }
            values = tuple(given.get(k) for k in keys)
            if values not in existing:
                if m.group(2):
                    continue
                raise AthenaQueryError(
                    "HIVE_METASTORE_ERROR", f"Partition not found: {spec.strip()}"
                )
            self.catalog.glue.delete_partition(
                DatabaseName=db, TableName=name, PartitionValues=list(values)
            )
        return Outcome("DDL", "ALTER_TABLE_DROP_PARTITION")

    def _set_tblproperties(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+set\s+tblproperties\s*\((.*)\)\s*\Z",
            text,
            re.I | re.S,
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "ALTER TABLE SET TBLPROPERTIES: cannot read it")
        db, name = _split_name(m.group(1), ctx.database)
        pairs = re.findall(r"'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'", m.group(2))
        if is_iceberg(self._table_or_fail(db, name)):
            given = {k.replace("''", "'"): v.replace("''", "'") for k, v in pairs}
            self._set_iceberg_properties(ctx, db, name, given)
            return Outcome("DDL", "ALTER_TABLE_SET_TBLPROPERTIES")
        with self._ddl_lock:
            table = self._table_or_fail(db, name)
            params = dict(table.get("Parameters") or {})
            params.update({k.replace("''", "'"): v.replace("''", "'") for k, v in pairs})
            self.catalog.glue.update_table(
                DatabaseName=db, TableInput={**_table_input(table), "Parameters": params}
            )
        return Outcome("DDL", "ALTER_TABLE_SET_TBLPROPERTIES")

    def _msck_repair(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"msck\s+repair\s+table\s+(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "MSCK REPAIR TABLE: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "MSCK REPAIR TABLE")
        keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
        if not keys:
            return Outcome("DDL", "MSCK_REPAIR_TABLE")
        location = str(table["StorageDescriptor"]["Location"]).rstrip("/") + "/"
        _, prefix = split_s3(location)
        pattern = re.compile("/".join(f"{re.escape(k)}=([^/]+)" for k in keys) + "/[^/]")
        found: dict[tuple[str, ...], str] = {}
        for obj in self.catalog.list_objects(location):
            hit = pattern.match(obj.key[len(prefix) :])
            if hit:
                values = tuple(_unescape(v) for v in hit.groups())
                folder = "/".join(f"{k}={v}" for k, v in zip(keys, hit.groups(), strict=True))
                found.setdefault(values, f"{location}{folder}/")
        existing = {tuple(p["Values"]) for p in self.catalog.partitions(db, name)}
        new = [(list(v), loc) for v, loc in sorted(found.items()) if v not in existing]
        if new:
            self.catalog.add_partitions(db, name, table, new)
        return Outcome("DDL", "MSCK_REPAIR_TABLE")

    # --- views ---------------------------------------------------------------------------------

    def _create_view(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"create\s+(or\s+replace\s+)?view\s+(" + _NAME + r")\s+as\s+(.*)\Z", text, re.I | re.S
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE VIEW: cannot read the statement")
        db, name = _split_name(m.group(2), ctx.database)
        body = m.group(3).strip()
        tree = self._parse(body)
        if not isinstance(tree, exp.Query):
            raise AthenaQueryError("SYNTAX_ERROR", "CREATE VIEW: the body is not a query")
        self.catalog.require_database(db)
        duck_sql = self._prepare(tree, ctx, db)
        try:
            described = ctx.con.execute(f"DESCRIBE {duck_sql}").fetchall()
        except duckdb.Error as exc:
            raise _duckdb_failure(exc) from None
        columns = [(str(r[0]).lower(), str(r[1])) for r in described]
        repeated = sorted({n for n, _ in columns if [c for c, _ in columns].count(n) > 1})
        if repeated:  # Trino: a view's column names are unique (as a CTAS's)
            raise AthenaQueryError(
                "DUPLICATE_COLUMN_NAME", f"Column name '{repeated[0]}' specified more than once"
            )
        trino_columns = [(n, trino_type_of(t)) for n, t in columns]
        table_input = {
            "Name": name,
            "TableType": "VIRTUAL_VIEW",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": presto_view_text(body, CATALOG, db, trino_columns),
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": _view_hive_type(t)} for n, t in columns],
                "SerdeInfo": {},
                "Location": "",
            },
            "PartitionKeys": [],
        }
        with self._ddl_lock:
            existing = self.catalog.get_table(db, name)
            if existing is not None:
                if existing.get("TableType") != "VIRTUAL_VIEW":
                    raise AthenaQueryError(
                        "TABLE_ALREADY_EXISTS", f"Table already exists: '{CATALOG}.{db}.{name}'"
                    )
                if not m.group(1):
                    raise AthenaQueryError(
                        "ALREADY_EXISTS", f"View already exists: '{CATALOG}.{db}.{name}'"
                    )
                self.catalog.glue.update_table(DatabaseName=db, TableInput=table_input)
            else:
                self.catalog.glue.create_table(DatabaseName=db, TableInput=table_input)
        return Outcome("DDL", "CREATE_VIEW")

    def _drop(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"drop\s+(table|view)\s+(if\s+exists\s+)?(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "DROP: cannot read the statement")
        kind = m.group(1).upper()
        db, name = _split_name(m.group(3), ctx.database)
        with self._ddl_lock:
            table = self.catalog.get_table(db, name) if self.catalog.database_exists(db) else None
            is_view = table is not None and table.get("TableType") == "VIRTUAL_VIEW"
            if table is None or (kind == "VIEW") != is_view:
                if table is not None and kind == "TABLE":
                    raise AthenaQueryError("NOT_SUPPORTED", "Cannot drop a view with DROP TABLE")
                if m.group(2):
                    return Outcome("DDL", f"DROP_{kind}")
                what = "View" if kind == "VIEW" else "Table"
                raise AthenaQueryError(
                    f"{kind}_NOT_FOUND", f"{what} '{CATALOG}.{db}.{name}' does not exist"
                )
            if is_iceberg(table):
                assert table is not None
                self._drop_iceberg(db, name, table)
                return Outcome("DDL", f"DROP_{kind}")
            # Hive tables in Athena are external: DROP TABLE removes the metadata only
            self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        return Outcome("DDL", f"DROP_{kind}")

    def _rename(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(
            r"alter\s+table\s+(" + _NAME + r")\s+rename\s+to\s+(" + _NAME + r")\s*\Z", text, re.I
        )
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "ALTER TABLE RENAME TO: cannot read it")
        db, name = _split_name(m.group(1), ctx.database)
        new_db, new_name = _split_name(m.group(2), db)
        with self._ddl_lock:
            table = self._table_or_fail(db, name)
            if not is_iceberg(table):
                raise AthenaQueryError(
                    "NOT_SUPPORTED",
                    f"ALTER TABLE RENAME TO is only supported for Iceberg tables: {db}.{name}",
                )
            self.catalog.require_database(new_db)
            if self.catalog.get_table(new_db, new_name) is not None:
                raise AthenaQueryError(
                    "TABLE_ALREADY_EXISTS", f"Table '{CATALOG}.{new_db}.{new_name}' already exists"
                )
            self.catalog.glue.create_table(
                DatabaseName=new_db, TableInput={**_table_input(table), "Name": new_name}
            )
            self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        return Outcome("DDL", "ALTER_TABLE_RENAME")

    # --- SHOW ----------------------------------------------------------------------------------

    def _show_databases(self, text: str, ctx: _Context) -> Outcome:
        names = sorted(d["Name"] for d in self.catalog.glue.get_databases()["DatabaseList"])
        return Outcome(
            "UTILITY", "SHOW_DATABASES", [("database_name", "varchar")], [[n] for n in names]
        )

    def _show_tables(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"show\s+tables(?:\s+(?:in|from)\s+(" + _NAME + r"))?\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("NOT_SUPPORTED", "SHOW TABLES: only SHOW TABLES [IN db]")
        db = _ident(m.group(1)) if m.group(1) else ctx.database
        self.catalog.require_database(db)
        names = sorted(
            t["Name"] for t in self.catalog.glue.get_tables(DatabaseName=db)["TableList"]
        )
        return Outcome("UTILITY", "SHOW_TABLES", [("tab_name", "varchar")], [[n] for n in names])

    def _show_partitions(self, text: str, ctx: _Context) -> Outcome:
        m = re.match(r"show\s+partitions\s+(" + _NAME + r")\s*\Z", text, re.I)
        if not m:
            raise AthenaQueryError("SYNTAX_ERROR", "SHOW PARTITIONS: cannot read the statement")
        db, name = _split_name(m.group(1), ctx.database)
        table = self._hive_or_fail(db, name, "SHOW PARTITIONS")
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        rows = sorted(
            "/".join(f"{k}={v}" for k, v in zip(keys, p["Values"], strict=True))
            for p in self.catalog.partitions(db, name)
        )
        return Outcome(
            "UTILITY", "SHOW_PARTITIONS", [("partition", "varchar")], [[r] for r in rows]
        )
