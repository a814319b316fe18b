"""Text tables (TEXTFILE: OpenCSVSerDe, LazySimpleSerDe) in the Glue catalog: the storage
descriptor Athena registers for a CREATE EXTERNAL TABLE or a CTAS, the format a table's
files are read and written in, and the local copy a query reads (the parsed rows as Parquet).

Sources: https://docs.aws.amazon.com/athena/latest/ug/create-table.html (ROW FORMAT, STORED
AS; TEXTFILE when neither says otherwise), https://docs.aws.amazon.com/athena/latest/ug/
serde-create-a-table.html (ROW FORMAT DELIMITED is the LazySimpleSerDe, its clauses the
SerDe's properties), https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html,
https://docs.aws.amazon.com/athena/latest/ug/lazy-simple-serde.html,
https://docs.aws.amazon.com/athena/latest/ug/create-table-as.html (CTAS ``format``,
``field_delimiter``, ``write_compression``).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow.parquet as pq
from sqlglot import exp

from .._catalog import PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE, Catalog, S3Object
from .._text_files import WRITE_SUFFIX, TextFormat, arrow_table, decode_object, field_type
from ..errors import AthenaQueryError
from ._text import _prop_value

OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

#: STORED AS <format> -> (SerDe when ROW FORMAT names none, InputFormat, OutputFormat), as
#: Athena's CREATE TABLE registers them (create-table.html lists these formats)
STORED_AS: dict[str, tuple[str, str, str]] = {
    "PARQUET": (PARQUET_SERDE, PARQUET_INPUT, PARQUET_OUTPUT),
    "TEXTFILE": (LAZY_SIMPLE_SERDE, TEXT_INPUT, TEXT_OUTPUT),
    "ORC": (
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
    ),
    "AVRO": (
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
    ),
    "SEQUENCEFILE": (
        LAZY_SIMPLE_SERDE,
        "org.apache.hadoop.mapred.SequenceFileInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
    ),
    "RCFILE": (
        "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe",
        "org.apache.hadoop.hive.ql.io.RCFileInputFormat",
        "org.apache.hadoop.hive.ql.io.RCFileOutputFormat",
    ),
    "ION": (
        "com.amazon.ionhiveserde.IonHiveSerDe",
        "com.amazon.ionhiveserde.formats.IonInputFormat",
        "com.amazon.ionhiveserde.formats.IonOutputFormat",
    ),
}
_FORMAT_OF_INPUT = {inp: name for name, (_, inp, _) in STORED_AS.items()}
_TEXT_WRITE_CODECS = ("GZIP", "BZIP2", "ZSTD", "NONE", "UNCOMPRESSED")


@dataclass
class Storage:
    """A table's storage descriptor parts: SerDe, input and output formats, SerDe params."""

    serde: str
    input_format: str
    output_format: str
    serde_params: dict[str, str] = field(default_factory=dict)


def create_table_storage(properties: list[exp.Expression]) -> Storage:
    """The storage of a CREATE EXTERNAL TABLE from its ROW FORMAT and STORED AS clauses: no
    STORED AS is TEXTFILE, no ROW FORMAT is the format's SerDe (the LazySimpleSerDe for
    TEXTFILE), ROW FORMAT DELIMITED the LazySimpleSerDe with its clauses as SerDe
    properties."""
    serde: str | None = None
    params: dict[str, str] = {}
    formats: tuple[str, str] | None = None
    stored: str | None = None
    for prop in properties:
        if isinstance(prop, exp.RowFormatSerdeProperty):
            serde = prop.this.name
            listed = prop.args.get("serde_properties")
            params = {
                p.name: _prop_value(p.args.get("value"))
                for p in (listed.expressions if listed is not None else [])
                if isinstance(p, exp.Property)
            }
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            serde, params = LAZY_SIMPLE_SERDE, _delimited_params(prop)
        elif isinstance(prop, exp.FileFormatProperty):
            fmt = prop.this
            if isinstance(fmt, exp.InputOutputFormat):
                formats = (fmt.args["input_format"].name, fmt.args["output_format"].name)
            else:
                stored = (fmt.name if fmt is not None else "").upper()
                if stored not in STORED_AS:
                    raise AthenaQueryError(
                        "NOT_SUPPORTED",
                        f"STORED AS {stored}: not a storage format of Athena "
                        f"({', '.join(sorted(STORED_AS))})",
                    )
    if formats is None:
        default_serde, input_format, output_format = STORED_AS[stored or "TEXTFILE"]
        if stored is None and serde == PARQUET_SERDE:  # ROW FORMAT SERDE Parquet alone
            input_format, output_format = PARQUET_INPUT, PARQUET_OUTPUT
        formats = (input_format, output_format)
        serde = serde or default_serde
    return Storage(serde or LAZY_SIMPLE_SERDE, formats[0], formats[1], params)


def _delimited_params(prop: exp.RowFormatDelimitedProperty) -> dict[str, str]:
    """ROW FORMAT DELIMITED's clauses as the LazySimpleSerDe's properties."""
    names = {
        "fields": "field.delim",
        "escaped": "escape.delim",
        "collection_items": "collection.delim",
        "map_keys": "mapkey.delim",
        "lines": "line.delim",
        "null": "serialization.null.format",
    }
    params: dict[str, str] = {}
    for arg, key in names.items():
        node = prop.args.get(arg)
        if node is not None:
            params[key] = str(node.name if isinstance(node, exp.Literal) else node.sql())
    if params.get("line.delim", "\n") != "\n":
        raise AthenaQueryError(
            "NOT_SUPPORTED", "LINES TERMINATED BY only supports newline '\\n' right now"
        )
    if "field.delim" in params:
        params["serialization.format"] = params["field.delim"]
    return params


def ctas_text_storage(delimiter: str) -> Storage:
    """The storage of a CTAS with format='TEXTFILE' (field_delimiter: default ``\\001``)."""
    return Storage(
        LAZY_SIMPLE_SERDE,
        TEXT_INPUT,
        TEXT_OUTPUT,
        {"field.delim": delimiter, "serialization.format": delimiter},
    )


def ctas_delimiter(value: str | None) -> str:
    """A CTAS field_delimiter: one character, written as such or as an escape (``\\t``,
    ``\\001``, ``\\u0001``)."""
    if value is None:
        return "\x01"
    text = value
    if len(text) > 1 and text.startswith("\\"):
        body = text[1:]
        simple = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "\\": "\\"}
        if body in simple:
            text = simple[body]
        elif body.isdigit() and len(body) == 3:
            text = chr(int(body, 8))
        elif body[:1] == "u" and len(body) == 5:
            text = chr(int(body[1:], 16))
    if len(text) != 1:
        raise AthenaQueryError(
            "INVALID_TABLE_PROPERTY", f"field_delimiter must be a single character: {value!r}"
        )
    return text


def text_compression(value: str | None) -> str:
    """write.compression / write_compression of a text table (default GZIP)."""
    codec = (value or "GZIP").upper()
    if codec not in _TEXT_WRITE_CODECS:
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"write_compression '{value}' is not supported for text files by the local Athena "
            f"endpoint ({', '.join(_TEXT_WRITE_CODECS)})",
        )
    return codec


def text_suffix(fmt: TextFormat) -> str:
    """The extension of a file written in this format (its compression's)."""
    return WRITE_SUFFIX[fmt.compression]


# --- a table's format ------------------------------------------------------------------------


def _hive_byte(value: str | None, default: str) -> str:
    """A LazySimpleSerDe delimiter property as Hive reads it: a number is a byte value
    (``'1'`` is ``\\001``, ``'9'`` a tab), else its first character."""
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        return value[0]
    return chr(number & 0xFF) if -128 <= number <= 127 else value[0]


def _char(value: str | None, default: str) -> str:
    return value[0] if value else default


def _count(value: Any) -> int:
    try:
        return max(0, int(str(value).strip()))
    except ValueError:
        return 0


def text_format(db: str, name: str, table: dict[str, Any]) -> TextFormat | None:
    """How a (Hive) table's files are read and written: None for Parquet, a TextFormat for
    an OpenCSVSerDe or LazySimpleSerDe text table; any other format fails, named."""
    sd = table.get("StorageDescriptor") or {}
    serde_info = sd.get("SerdeInfo") or {}
    serde = str(serde_info.get("SerializationLibrary") or "")
    input_format = str(sd.get("InputFormat") or "")
    if serde == PARQUET_SERDE or input_format == PARQUET_INPUT:
        return None
    if input_format and input_format != TEXT_INPUT:
        what = _FORMAT_OF_INPUT.get(input_format, f"InputFormat {input_format}")
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"table {db}.{name} is stored as {what}: the local Athena endpoint reads and writes "
            "Parquet and text (OpenCSVSerde, LazySimpleSerDe) tables only",
        )
    if serde not in (OPEN_CSV_SERDE, LAZY_SIMPLE_SERDE):
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"table {db}.{name} uses the SerDe {serde or '(none)'}: the local Athena endpoint "
            "reads and writes Parquet and text (OpenCSVSerde, LazySimpleSerDe) tables only",
        )
    params = {str(k): str(v) for k, v in (serde_info.get("Parameters") or {}).items()}
    table_params = {str(k): str(v) for k, v in (table.get("Parameters") or {}).items()}
    both = {**params, **table_params}
    common: dict[str, Any] = {
        "skip_header": _count(both.get("skip.header.line.count", 0)),
        "skip_footer": _count(both.get("skip.footer.line.count", 0)),
        "encoding": params.get("serialization.encoding") or "utf-8",
        "compression": (table_params.get("write.compression") or "GZIP").upper(),
    }
    try:
        codecs.lookup(common["encoding"])
    except LookupError:
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"table {db}.{name}: serialization.encoding {common['encoding']!r} is not known to "
            "the local Athena endpoint",
        ) from None
    if "timestamp.formats" in params:
        raise AthenaQueryError(
            "NOT_SUPPORTED",
            f"table {db}.{name}: the SerDe property timestamp.formats is not supported by the "
            "local Athena endpoint",
        )
    if serde == OPEN_CSV_SERDE:
        escape = params.get("escapeChar")
        return TextFormat(
            kind="csv",
            separator=_char(params.get("separatorChar"), ","),
            quote=_char(params.get("quoteChar"), '"'),
            escape=_char(escape, "\\"),
            write_escape=escape[0] if escape else None,
            invalid_as_null=both.get("use.null.for.invalid.data", "").lower() == "true",
            **common,
        )
    separator = _hive_byte(params.get("field.delim") or params.get("serialization.format"), "\x01")
    escape = params.get("escape.delim")
    return TextFormat(
        kind="lazy",
        separator=separator,
        escape=_hive_byte(escape, "\\") if escape else None,
        null_format=params.get("serialization.null.format", "\\N"),
        **common,
    )


def check_text_write(db: str, name: str, columns: list[tuple[str, str]], fmt: TextFormat) -> None:
    """Fails a write the endpoint cannot make to a text table: a compression it does not
    write, a nested or binary column; for an OpenCSVSerDe table, any column but a string
    (Trino's CSV writer writes VARCHAR columns only)."""
    text_compression(fmt.compression)
    for column, hive_type in columns:
        kind = field_type(hive_type)
        if kind is None or (fmt.kind == "csv" and kind[0] not in ("string", "varchar")):
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"table {db}.{name}: column {column} of type {hive_type} cannot be written to "
                f"a {'CSV' if fmt.kind == 'csv' else 'text'} table by the local Athena endpoint",
            )


# --- the copy a query reads --------------------------------------------------------------------


def text_copy(
    catalog: Catalog, obj: S3Object, fmt: TextFormat, columns: list[tuple[str, str]]
) -> str:
    """A local Parquet file of one text object's rows, parsed in the table's format into its
    columns (name, Hive type), cached by the object's ETag, the format and the columns: the
    query reads it as it reads a Parquet table's objects (partition pruning, bytes scanned:
    the text object's size, counted when its rows are read)."""
    signature = json.dumps([obj.bucket, obj.key, asdict(fmt), columns], sort_keys=True)
    digest = hashlib.sha1(signature.encode()).hexdigest()
    path = catalog.cache_dir / f"{digest}-{obj.etag}.text.parquet"
    if not path.exists():
        origin = f"s3://{obj.bucket}/{obj.key}"
        body = catalog.local_copy(obj).read_bytes()
        table = arrow_table(decode_object(body, obj.key, fmt), columns, fmt, origin)
        tmp = path.with_name(path.name + f".{threading.get_ident()}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)  # atomic: a concurrent query reads either none or the whole
    return str(path)
