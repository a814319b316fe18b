"""Text data files (Hive TEXTFILE) as Athena reads and writes them: the OpenCSVSerDe and the
LazySimpleSerDe, each field parsed into its column's type.

Sources:

* https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html — OpenCSVSerDe: the quote
  (default ``"``), separator (``,``) and escape (``\\``) characters, no line breaks inside a
  field, ``skip.header.line.count``; every field is read as a string, other types (BOOLEAN,
  the integers, DOUBLE; TIMESTAMP as UNIX milliseconds, DATE as days) parsed from it, a value
  that does not parse failing the query (HIVE_BAD_DATA) unless ``use.null.for.invalid.data``.
* https://docs.aws.amazon.com/athena/latest/ug/lazy-simple-serde.html — LazySimpleSerDe
  (Hive's default for TEXTFILE): ``field.delim`` (default ``\\001``), ``escape.delim``,
  ``serialization.null.format`` (default ``\\N``); each field parsed as its column's type as
  Athena's engine (Trino's Hive text reader, lib/trino-hive-formats ``encodings/text``) does:
  an empty field or one that does not parse is NULL, except a malformed DOUBLE or REAL, which
  fails the query (HIVE_BAD_DATA).
* https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html — a text file's
  compression is told by its name's extension; GZIP is what Athena writes by default.

Lines end at ``\\n``, ``\\r`` or ``\\r\\n`` (Hadoop's LineRecordReader); a missing field is NULL,
an extra one is ignored.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from .errors import AthenaQueryError
from .sql._trino import java_double_to_string

__all__ = [
    "TextFormat",
    "arrow_table",
    "decode_object",
    "encode_rows",
    "field_type",
]


@dataclass(frozen=True)
class TextFormat:
    """How a text table's files are read and written."""

    kind: str  # "csv" (OpenCSVSerDe) | "lazy" (LazySimpleSerDe)
    separator: str
    quote: str = '"'  # csv only
    escape: str | None = None
    null_format: str | None = "\\N"  # lazy only: the text of NULL
    write_escape: str | None = None  # csv: the escape of written files (default: the quote)
    skip_header: int = 0
    skip_footer: int = 0
    invalid_as_null: bool = False  # csv: use.null.for.invalid.data
    encoding: str = "utf-8"
    compression: str = "GZIP"  # written files (write.compression)


# --- compression, by the object name's extension ----------------------------------------------

_READ_CODECS = {".gz": "gzip", ".bz2": "bzip2", ".deflate": "deflate", ".zst": "zstd"}
_UNREAD_CODECS = {".snappy": "SNAPPY", ".lz4": "LZ4", ".lzo": "LZO", ".lzo_deflate": "LZO"}
#: write.compression -> the extension a written file gets
WRITE_SUFFIX = {"GZIP": ".gz", "BZIP2": ".bz2", "ZSTD": ".zst", "NONE": "", "UNCOMPRESSED": ""}


def _decompress(body: bytes, name: str) -> bytes:
    lower = name.lower()
    for suffix, unread in _UNREAD_CODECS.items():
        if lower.endswith(suffix):
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"{name}: {unread}-compressed text files are not read by the local Athena "
                "endpoint (GZIP, BZIP2, DEFLATE, ZSTD and uncompressed only)",
            )
    codec = next((c for s, c in _READ_CODECS.items() if lower.endswith(s)), None)
    try:
        if codec == "gzip":
            return gzip.decompress(body)
        if codec == "bzip2":
            return bz2.decompress(body)
        if codec == "deflate":
            return zlib.decompress(body)
        if codec == "zstd":
            with pa.input_stream(pa.BufferReader(body), compression="zstd") as stream:
                return bytes(stream.read())
    except (OSError, EOFError, ValueError, zlib.error, pa.ArrowException) as exc:
        raise AthenaQueryError(
            "HIVE_BAD_DATA", f"{name}: not a valid {codec} file: {exc}"
        ) from None
    return body


def _compress(body: bytes, compression: str) -> bytes:
    if compression == "GZIP":
        return gzip.compress(body, mtime=0)
    if compression == "BZIP2":
        return bz2.compress(body)
    if compression == "ZSTD":
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as stream:
            stream.write(body)
        return bytes(sink.getvalue().to_pybytes())
    return body


def decode_object(body: bytes, name: str, fmt: TextFormat) -> list[list[str | None]]:
    """The records of one object, each its fields' text (as many as the line has)."""
    text = _decompress(body, name).decode(fmt.encoding, errors="replace")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()  # the last line's terminator ends a record, it does not start one
    lines = lines[fmt.skip_header :]
    if fmt.skip_footer:
        lines = lines[: max(0, len(lines) - fmt.skip_footer)]
    split = _split_csv if fmt.kind == "csv" else _split_lazy
    return [split(line, fmt) for line in lines]


# --- splitting a line into fields --------------------------------------------------------------


def _split_lazy(line: str, fmt: TextFormat) -> list[str | None]:
    """LazySimpleSerDe: fields end at the separator, unless it follows the escape character
    (escapes are kept here: a string field is unescaped when it is parsed)."""
    fields: list[str | None] = []
    if fmt.escape is None:
        fields.extend(line.split(fmt.separator))
        return fields
    start = i = 0
    while i < len(line):
        if line[i] == fmt.escape:
            i += 2
            continue
        if line[i] == fmt.separator:
            fields.append(line[start:i])
            start = i + 1
        i += 1
    fields.append(line[start:])
    return fields


def _split_csv(line: str, fmt: TextFormat) -> list[str | None]:
    """OpenCSVSerDe (opencsv's parser, one line a record): a field may be quoted; inside
    quotes a doubled quote or an escaped quote is a quote and an escaped escape is the escape,
    an escape before any other character is dropped; a quote inside an unquoted field is kept.
    A quote left open ends the record before that field (its fields are then NULL), and so
    does an empty line (every field NULL)."""
    sep, quote, esc = fmt.separator, fmt.quote, fmt.escape
    if not line:
        return []
    fields: list[str | None] = []
    buf: list[str] = []
    in_quotes = in_field = False
    n = len(line)
    i = 0
    while i < n:
        c = line[i]
        nxt = line[i + 1] if i + 1 < n else None
        if esc is not None and c == esc:
            if (in_quotes or in_field) and nxt is not None and nxt in (quote, esc):
                buf.append(nxt)
                i += 1
        elif c == quote:
            if (in_quotes or in_field) and nxt == quote:
                buf.append(nxt)
                i += 1
            else:
                # a quote in the middle of a field (a,b"c"d,e) is kept as text
                if i > 2 and line[i - 1] != sep and nxt is not None and nxt != sep:
                    if buf and not "".join(buf).strip():
                        buf.clear()
                    else:
                        buf.append(c)
                in_quotes = not in_quotes
            in_field = not in_field
        elif c == sep and not in_quotes:
            fields.append("".join(buf))
            buf.clear()
            in_field = False
        else:
            buf.append(c)
            in_field = True
        i += 1
    if not in_quotes:
        fields.append("".join(buf))
    return fields


# --- fields as typed values --------------------------------------------------------------------

_INT_BITS = {"tinyint": 8, "smallint": 16, "int": 32, "integer": 32, "bigint": 64}
_TYPE = re.compile(r"(\w+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\Z")
_JAVA_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")
_BIG_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LAZY_INT = re.compile(r"[+-]?(\d*)(?:\.\d*)?")
_DATE = re.compile(r"(\d{1,10})-(\d{1,2})-(\d{1,2})")
_TIMESTAMP = re.compile(
    r"(\d{1,10})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?)?", re.I
)
_ISO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?", re.I
)
_EPOCH = dt.datetime(1970, 1, 1)
_SCALARS = {"string", "varchar", "char", "boolean", "float", "real", "double", "decimal", "date"}
_STRINGS = ("string", "varchar", "char")


def field_type(hive_type: str) -> tuple[str, int | None, int | None] | None:
    """(base, first parameter, second) of a column type a text file holds; None if not."""
    m = _TYPE.match(hive_type.strip().lower())
    if not m:
        return None
    base = m.group(1)
    if base not in _SCALARS and base not in _INT_BITS and base != "timestamp":
        return None
    first = int(m.group(2)) if m.group(2) else None
    second = int(m.group(3)) if m.group(3) else None
    if base == "decimal":
        # Hive's decimal without precision is decimal(10,0); decimal(p) is decimal(p,0)
        return base, first if first is not None else 10, second or 0
    return base, first, second


def _java_double(text: str) -> float | None:
    """Java's Double.parseDouble (which trims characters up to the space)."""
    value = text.strip("".join(chr(c) for c in range(0x21)))
    if not _JAVA_DOUBLE.fullmatch(value):
        return None
    if not value.endswith("Infinity"):
        value = value.rstrip("fFdD")
    return float(value.replace("Infinity", "inf"))


def _decimal(text: str, precision: int, scale: int) -> Decimal | None:
    """Java's BigDecimal of the text rounded half up to the scale; None when it does not
    parse or its digits exceed the precision."""
    if not _BIG_DECIMAL.fullmatch(text):
        return None
    try:
        number = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return number if len(number.as_tuple().digits) <= precision else None


def _lazy_int(text: str, bits: int) -> int | None:
    """An optional sign, digits and an optional fraction that is dropped (``.5`` is 0); None
    when it does not parse or is out of the type's range."""
    m = _LAZY_INT.fullmatch(text)
    if not m or text in ("", "+", "-"):
        return None
    digits = m.group(1).lstrip("0")
    if len(digits) > 19:
        return None
    number = int(digits or "0") * (-1 if text.startswith("-") else 1)
    limit = 1 << (bits - 1)
    return number if -limit <= number < limit else None


def _lenient_date(year: int, month: int, day: int) -> dt.date | None:
    """A date whose month and day may overflow into the next ones (a lenient resolver)."""
    try:
        first = dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        return first + dt.timedelta(days=day - 1)
    except (ValueError, OverflowError):
        return None


def _lazy_date(text: str) -> dt.date | None:
    """Hive's date text: trimmed, cut at the first space, ``y-M-d`` resolved leniently."""
    value = text.strip().split(" ", 1)[0]
    m = _DATE.fullmatch(value)
    return _lenient_date(*(int(g) for g in m.groups())) if m else None


def _lazy_timestamp(text: str) -> dt.datetime | None:
    """Hive's timestamp text (at least 8 characters, trimmed): ``y-M-d[ H:m:s[.fffffffff]]``
    or ISO's ``yyyy-MM-ddTHH:mm[:ss[.f]]``, resolved leniently, rounded half up to the
    millisecond (Athena reads Hive timestamps as timestamp(3))."""
    if len(text) < 8:
        return None
    value = text.strip()
    m = _TIMESTAMP.fullmatch(value) or _ISO_TIMESTAMP.fullmatch(value)
    if not m:
        return None
    day = _lenient_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if day is None:
        return None
    nanos = int((m.group(7) or "0").ljust(9, "0"))
    offset = dt.timedelta(
        hours=int(m.group(4) or 0),
        minutes=int(m.group(5) or 0),
        seconds=int(m.group(6) or 0),
        milliseconds=(nanos + 500_000) // 1_000_000,
    )
    try:
        return dt.datetime.combine(day, dt.time()) + offset
    except OverflowError:
        return None


def _lazy_value(text: str, kind: tuple[str, int | None, int | None], column: int) -> Any:
    """A LazySimpleSerDe field (not the NULL text) as its column's type, as Athena's (Trino's)
    text reader decodes it: an empty field, or one that does not parse, is NULL (a boolean
    other than true/false, an integer out of range, a malformed date, timestamp or decimal);
    a malformed DOUBLE or REAL fails the query."""
    base, first, second = kind
    if base in _STRINGS:
        return text[:first] if first is not None else text
    if text == "":
        return None
    if base == "boolean":
        lowered = text.lower()
        return True if lowered == "true" else False if lowered == "false" else None
    if base in _INT_BITS:
        return _lazy_int(text, _INT_BITS[base])
    if base in ("double", "float", "real"):
        value = _java_double(text)
        if value is None:
            name = "double" if base == "double" else "float"
            raise AthenaQueryError(
                "HIVE_BAD_DATA", f"Invalid {name} value '{text}' in column {column}"
            )
        return value
    if base == "decimal":
        return _decimal(text, first or 10, second or 0)
    if base == "date":
        return _lazy_date(text)
    return _lazy_timestamp(text)


def _csv_value(text: str, kind: tuple[str, int | None, int | None]) -> tuple[bool, Any]:
    """(parsed, value) of an OpenCSVSerDe field as its column's type (csv-serde.html:
    BOOLEAN, the integers and DOUBLE parsed, TIMESTAMP from UNIX milliseconds, DATE from days
    since 1970-01-01, an empty value not a number)."""
    base, first, second = kind
    if base in _STRINGS:
        return True, text[:first] if first is not None else text
    value: Any = None
    if base == "boolean":
        lowered = text.lower()
        value = True if lowered == "true" else False if lowered == "false" else None
    elif base in _INT_BITS:
        if re.fullmatch(r"[+-]?\d+", text):
            limit = 1 << (_INT_BITS[base] - 1)
            value = int(text) if -limit <= int(text) < limit else None
    elif base in ("double", "float", "real"):
        value = _java_double(text)
    elif base == "decimal":
        value = _decimal(text, first or 10, second or 0)
    elif re.fullmatch(r"-?\d+", text):
        try:
            if base == "date":
                value = dt.date(1970, 1, 1) + dt.timedelta(days=int(text))
            else:
                value = _EPOCH + dt.timedelta(milliseconds=int(text))
        except OverflowError:
            value = None
    return value is not None, value


def _unescape(text: str, fmt: TextFormat) -> str:
    """A LazySimpleSerDe string field: each escape character dropped, the next character
    kept."""
    esc = fmt.escape
    if esc is None or esc not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == esc and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _arrow_type(kind: tuple[str, int | None, int | None]) -> pa.DataType:
    base, first, second = kind
    if base == "boolean":
        return pa.bool_()
    if base in _INT_BITS:
        return {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}[_INT_BITS[base]]
    if base in ("float", "real"):
        return pa.float32()
    if base == "double":
        return pa.float64()
    if base == "decimal":
        return pa.decimal128(first or 10, second or 0)
    if base == "date":
        return pa.date32()
    if base == "timestamp":
        return pa.timestamp("ms")
    return pa.string()


def arrow_table(
    records: Iterable[Sequence[str | None]],
    columns: list[tuple[str, str]],
    fmt: TextFormat,
    origin: str,
) -> pa.Table:
    """The records of one object as a table with the columns' names and types: a field
    beyond a record's end is NULL, one past the columns is ignored."""
    kinds = []
    for name, hive_type in columns:
        kind = field_type(hive_type)
        if kind is None:
            raise AthenaQueryError(
                "NOT_SUPPORTED",
                f"column {name} of type {hive_type}: the local Athena endpoint reads text "
                "tables of scalar columns only (no array, map, struct or binary)",
            )
        kinds.append(kind)
    values: list[list[Any]] = [[] for _ in columns]
    for record in records:
        for i, kind in enumerate(kinds):
            text = record[i] if i < len(record) else None
            if text is None:
                values[i].append(None)
            elif fmt.kind == "lazy":
                if text == fmt.null_format:
                    values[i].append(None)
                elif kind[0] in _STRINGS:
                    values[i].append(_lazy_value(_unescape(text, fmt), kind, i))
                else:
                    values[i].append(_lazy_value(text, kind, i))
            else:
                parsed, value = _csv_value(text, kind)
                if not parsed and not fmt.invalid_as_null:
                    raise AthenaQueryError(
                        "HIVE_BAD_DATA",
                        f"Error parsing field value '{text}' for field {i}: "
                        f'For input string: "{text}" ({origin})',
                    )
                values[i].append(value)
    arrays = [pa.array(v, type=_arrow_type(kind)) for v, kind in zip(values, kinds, strict=True)]
    return pa.Table.from_arrays(arrays, names=[n for n, _ in columns])


# --- writing -----------------------------------------------------------------------------------


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return java_double_to_string(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        if value.microsecond:
            text += "." + f"{value.microsecond:06d}".rstrip("0")
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _lazy_field(value: Any, fmt: TextFormat) -> str:
    if value is None:
        return fmt.null_format if fmt.null_format is not None else "\\N"
    text = _text_of(value)
    esc = fmt.escape
    if esc is None or not isinstance(value, str):
        return text
    return "".join(esc + c if c in (fmt.separator, esc) else c for c in text)


def _csv_field(value: Any, fmt: TextFormat) -> str:
    if value is None:
        return ""
    text = _text_of(value)
    esc = fmt.write_escape if fmt.write_escape is not None else fmt.quote
    body = "".join(esc + c if c in (fmt.quote, esc) else c for c in text)
    return fmt.quote + body + fmt.quote


def encode_rows(rows: Iterable[Sequence[Any]], fmt: TextFormat) -> bytes:
    """One text file of these rows in the table's format, compressed as write.compression
    says (one record a line, ended by ``\\n``)."""
    field = _csv_field if fmt.kind == "csv" else _lazy_field
    lines = [fmt.separator.join(field(v, fmt) for v in row) + "\n" for row in rows]
    return _compress("".join(lines).encode(fmt.encoding), fmt.compression)
