"""Trino's date/time formats and differences, ported to Python (registered as DuckDB UDFs by
:mod:`._macros`).

* ``date_format``/``date_parse`` take MySQL-style specifiers, which Trino compiles into a Joda-Time
  formatter (io.trino.operator.scalar.DateTimeFunctions.createDateTimeFormatter): the table in
  :func:`mysql_format`. ``%D %U %u %V %w %X`` are refused as Trino refuses them
  (``INVALID_FUNCTION_ARGUMENT: %D not supported in date format string``); any other ``%c`` is
  the literal ``c``.
* ``format_datetime``/``parse_datetime`` take Joda-Time patterns (``yyyy-MM-dd HH:mm:ss``):
  :func:`joda_format`.
* Parsing follows Joda's parsers: a number takes up to its maximum digits (no look-ahead), text
  matches the short or full English name (as written, lower or upper case), literals match
  ignoring case, the whole text must be consumed, fields default to 1970-01-01 00:00:00.000 and
  out-of-range values fail (``Cannot parse "…": Value 13 for monthOfYear must be in the range
  [1,12]``), all as INVALID_FUNCTION_ARGUMENT.
* :func:`months_between` / :func:`years_between` are Joda's ``getDifferenceAsLong`` of the
  month and year fields (whole units, a month-end day clamped), which Trino's ``date_diff``
  uses.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from ._errors import TrinoFunctionError

__all__ = [
    "format_timestamp",
    "joda_format",
    "months_between",
    "mysql_format",
    "parse_timestamp",
    "years_between",
]

_INVALID = "INVALID_FUNCTION_ARGUMENT"
_MONTHS = [calendar.month_name[i] for i in range(1, 13)]
_DAYS = [calendar.day_name[i] for i in range(7)]  # Monday first, as ISO (and Joda) number them
_TEXT = {
    "month": (_MONTHS, 1),
    "dow": (_DAYS, 1),
    "halfday": (["AM", "PM"], 0),
    "era": (["BC", "AD"], 0),
}
_JODA_NAMES = {
    "year": "year",
    "weekyear": "weekyear",
    "week": "weekOfWeekyear",
    "month": "monthOfYear",
    "day": "dayOfMonth",
    "doy": "dayOfYear",
    "dow": "dayOfWeek",
    "halfday": "halfdayOfDay",
    "hour": "hourOfDay",
    "clockhalf": "clockhourOfHalfday",
    "hourhalf": "hourOfHalfday",
    "clockday": "clockhourOfDay",
    "minute": "minuteOfHour",
    "second": "secondOfMinute",
}


@dataclass(frozen=True)
class _El:
    """One element of a compiled format: a literal, a number, a name, a two-digit year, the
    fraction of the second or a zone (printed only)."""

    kind: str  # lit | num | text | two | frac | zone
    field: str = ""
    low: int = 0  # digits printed at least (num, frac); text: 1 = short name
    high: int = 0  # digits parsed at most
    signed: bool = False


def _num(field: str, low: int, high: int, signed: bool = False) -> _El:
    return _El("num", field, low, high, signed)


def _lit(text: str) -> _El:
    return _El("lit", text)


_MYSQL: dict[str, list[_El]] = {
    "a": [_El("text", "dow", 1)],
    "b": [_El("text", "month", 1)],
    "c": [_num("month", 1, 2)],
    "d": [_num("day", 2, 2)],
    "e": [_num("day", 1, 2)],
    "f": [_El("frac", "", 6, 9)],
    "H": [_num("hour", 2, 2)],
    "h": [_num("clockhalf", 2, 2)],
    "I": [_num("clockhalf", 2, 2)],
    "i": [_num("minute", 2, 2)],
    "j": [_num("doy", 3, 3)],
    "k": [_num("hour", 1, 2)],
    "l": [_num("clockhalf", 1, 2)],
    "M": [_El("text", "month", 0)],
    "m": [_num("month", 2, 2)],
    "p": [_El("text", "halfday", 0)],
    "r": [
        _num("clockhalf", 2, 2),
        _lit(":"),
        _num("minute", 2, 2),
        _lit(":"),
        _num("second", 2, 2),
        _lit(" "),
        _El("text", "halfday", 0),
    ],
    "S": [_num("second", 2, 2)],
    "s": [_num("second", 2, 2)],
    "T": [_num("hour", 2, 2), _lit(":"), _num("minute", 2, 2), _lit(":"), _num("second", 2, 2)],
    "v": [_num("week", 2, 2)],
    "x": [_num("weekyear", 4, 4, signed=True)],
    "W": [_El("text", "dow", 0)],
    "Y": [_num("year", 4, 4, signed=True)],
    "y": [_El("two", "year", 2020)],
}


def mysql_format(pattern: str) -> list[_El]:
    """Trino's createDateTimeFormatter: MySQL specifiers as Joda elements."""
    out: list[_El] = []
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
            if char in "wUuVXD":
                raise TrinoFunctionError(_INVALID, f"%{char} not supported in date format string")
            out.extend(_MYSQL.get(char, [_lit(char)]))
        elif char == "%":
            escaped = True
        else:
            out.append(_lit(char))
    return out


def joda_format(pattern: str) -> list[_El]:
    """Joda's DateTimeFormat.forPattern (the letters Joda knows; any other letter fails)."""
    tokens: list[tuple[str, int]] = []  # (letter, count) or ("'", literal text as count -1)
    literals: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            j, text = i + 1, []
            while j < len(pattern):
                if pattern[j] == "'":
                    if j + 1 < len(pattern) and pattern[j + 1] == "'":
                        text.append("'")
                        j += 2
                        continue
                    break
                text.append(pattern[j])
                j += 1
            literals.append("".join(text) if j > i + 1 else "'")
            tokens.append(("'", len(literals) - 1))
            i = j + 1
        elif char.isascii() and char.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == char:
                j += 1
            tokens.append((char, j - i))
            i = j
        else:
            literals.append(char)
            tokens.append(("'", len(literals) - 1))
            i += 1
    out: list[_El] = []
    for index, (letter, count) in enumerate(tokens):
        numeric_next = index + 1 < len(tokens) and tokens[index + 1][0] in "CYxwedDMHhKkmsSy"
        out.extend(_joda_element(letter, count, literals, numeric_next))
    return out


def _joda_element(letter: str, count: int, literals: list[str], numeric_next: bool) -> list[_El]:
    if letter == "'":
        return [_lit(literals[count])]
    if letter in "yYx":
        field = "weekyear" if letter == "x" else "year"
        if count == 2:
            pivot = dt.date.today().year - 30  # Joda: the current year minus 30
            return [_El("two", field, pivot, 0 if numeric_next else 1)]
        return [_num(field, count, count if numeric_next else 9, signed=letter != "Y")]
    simple = {
        "C": ("century", 2),
        "w": ("week", 2),
        "e": ("dow", 1),
        "D": ("doy", 3),
        "d": ("day", 2),
        "H": ("hour", 2),
        "h": ("clockhalf", 2),
        "K": ("hourhalf", 2),
        "k": ("clockday", 2),
        "m": ("minute", 2),
        "s": ("second", 2),
    }
    if letter in simple:
        field, high = simple[letter]
        return [_num(field, count, max(high, count))]
    if letter == "M":
        if count >= 3:
            return [_El("text", "month", 1 if count == 3 else 0)]
        return [_num("month", count, 2)]
    if letter == "E":
        return [_El("text", "dow", 1 if count <= 3 else 0)]
    if letter == "a":
        return [_El("text", "halfday", 0)]
    if letter == "G":
        return [_El("text", "era", 0)]
    if letter == "S":
        return [_El("frac", "", count, count)]
    if letter in "zZ":
        return [_El("zone", letter, count)]
    raise TrinoFunctionError(_INVALID, f"Illegal pattern component: {letter * count}")


# --- printing ---------------------------------------------------------------------------------


def _value(field: str, value: dt.datetime) -> int:
    iso = value.isocalendar()
    hour = value.hour
    return {
        "year": value.year,
        "weekyear": iso.year,
        "week": iso.week,
        "month": value.month,
        "day": value.day,
        "doy": value.timetuple().tm_yday,
        "dow": iso.weekday,
        "halfday": 1 if hour >= 12 else 0,
        "hour": hour,
        "clockhalf": hour % 12 or 12,
        "hourhalf": hour % 12,
        "clockday": hour or 24,
        "minute": value.minute,
        "second": value.second,
        "century": value.year // 100,
        "era": 1,
    }[field]


def _padded(number: int, digits: int) -> str:
    return ("-" if number < 0 else "") + str(abs(number)).rjust(digits, "0")


def format_timestamp(elements: list[_El], value: dt.datetime) -> str:
    """The text of a (UTC wall-clock) timestamp."""
    out: list[str] = []
    for el in elements:
        if el.kind == "lit":
            out.append(el.field)
        elif el.kind == "num":
            out.append(_padded(_value(el.field, value), el.low))
        elif el.kind == "two":
            out.append(f"{_value(el.field, value) % 100:02d}")
        elif el.kind == "text":
            names, first = _TEXT[el.field]
            name = names[_value(el.field, value) - first]
            out.append(name[:3] if el.low else name)
        elif el.kind == "frac":
            out.append(f"{value.microsecond:06d}".ljust(el.low, "0")[: max(el.low, 1)])
        elif el.field == "z":  # zone name: the endpoint's values are all UTC
            out.append("Coordinated Universal Time" if el.low >= 4 else "UTC")
        else:
            out.append({1: "+0000", 2: "+00:00"}.get(el.low, "UTC"))
    return "".join(out)


# --- parsing ----------------------------------------------------------------------------------


def _error_message(text: str, position: int) -> str:
    """Joda's FormatUtils.createErrorMessage."""
    sample = text if len(text) <= position + 35 else text[: position + 32] + "..."
    if position <= 0:
        return f'Invalid format: "{sample}"'
    if position >= len(text):
        return f'Invalid format: "{sample}" is too short'
    return f'Invalid format: "{sample}" is malformed at "{sample[position:]}"'


def _parse_number(el: _El, text: str, pos: int) -> tuple[int, int] | None:
    limit = min(el.high, len(text) - pos)
    negative, start, length = False, pos, 0
    if el.signed and limit >= 2 and text[pos] in "+-" and text[pos + 1].isdigit():
        negative = text[pos] == "-"
        start = pos + 1
        limit = min(limit, len(text) - start)
    while length < limit and "0" <= text[start + length] <= "9":
        length += 1
    if length == 0:
        return None
    number = int(text[start : start + length])
    return (-number if negative else number), start + length


def _parse_text(el: _El, text: str, pos: int) -> tuple[int, int] | None:
    names, first = _TEXT[el.field]
    valid: dict[str, int] = {}
    for index, name in enumerate(names):
        for form in (name, name[:3]):
            for variant in (form, form.lower(), form.upper()):
                valid.setdefault(variant, index + first)
    for end in range(len(text), pos, -1):
        if text[pos:end] in valid:
            return valid[text[pos:end]], end
    return None


def _parse_element(el: _El, text: str, pos: int, saved: dict[str, int]) -> int | None:
    if el.kind == "lit":
        if text[pos : pos + len(el.field)].lower() == el.field.lower():
            return pos + len(el.field)
        return None
    if el.kind == "num":
        got = _parse_number(el, text, pos)
        if got is None:
            return None
        saved[el.field] = got[0]
        return got[1]
    if el.kind == "text":
        got = _parse_text(el, text, pos)
        if got is None:
            return None
        saved[el.field] = got[0]
        return got[1]
    if el.kind == "two":
        digits = text[pos : pos + 2]
        if len(digits) < 2 or not digits.isdigit():
            return None
        if el.high:  # lenient (Joda pattern): more digits are a full year
            got = _parse_number(_num(el.field, 1, 9, signed=True), text, pos)
            if got is not None and got[1] - pos != 2:
                saved[el.field] = got[0]
                return got[1]
        low = el.low - 50
        offset = low % 100
        year = int(digits)
        saved[el.field] = year + low + (100 if year < offset else 0) - offset
        return pos + 2
    if el.kind == "frac":
        length = 0
        while length < min(el.high, len(text) - pos) and text[pos + length].isdigit():
            length += 1
        if length == 0:
            return None
        saved["millis"] = int(text[pos : pos + length].ljust(3, "0")[:3])
        return pos + length
    raise TrinoFunctionError(_INVALID, "time zone fields are not parsed by the local endpoint")


def _check(field: str, value: int, low: int, high: int, text: str) -> None:
    if not low <= value <= high:
        raise TrinoFunctionError(
            _INVALID,
            f'Cannot parse "{text}": Value {value} for {_JODA_NAMES.get(field, field)} must be in '
            f"the range [{low},{high}]",
        )


def parse_timestamp(elements: list[_El], text: str) -> dt.datetime:
    """Joda's parseMillis (UTC): the timestamp the text gives, fields defaulting to
    1970-01-01 00:00:00.000."""
    saved: dict[str, int] = {}
    pos = 0
    for el in elements:
        end = _parse_element(el, text, pos, saved)
        if end is None:
            raise TrinoFunctionError(_INVALID, _error_message(text, pos))
        pos = end
    if pos < len(text):
        raise TrinoFunctionError(_INVALID, _error_message(text, pos))
    return _compute(saved, text)


def _compute(saved: dict[str, int], text: str) -> dt.datetime:
    """The fields set in Joda's order (largest range first) on 1970-01-01T00:00 UTC."""
    year, month, day = 1970, 1, 1
    if "year" in saved:
        year = saved["year"]
        _check("year", year, 1, 9999, text)
        day = min(day, calendar.monthrange(year, month)[1])
    date = dt.date(year, month, day)
    if "weekyear" in saved or "week" in saved:
        iso = date.isocalendar()
        weekyear = saved.get("weekyear", iso.year)
        weeks = dt.date(weekyear, 12, 28).isocalendar().week
        week = saved.get("week", min(iso.week, weeks))
        _check("week", week, 1, weeks, text)
        date = dt.date.fromisocalendar(weekyear, week, iso.weekday)
    if "month" in saved:
        _check("month", saved["month"], 1, 12, text)
        last = calendar.monthrange(date.year, saved["month"])[1]
        date = date.replace(month=saved["month"], day=min(date.day, last))
    if "doy" in saved:
        days = 366 if calendar.isleap(date.year) else 365
        _check("doy", saved["doy"], 1, days, text)
        date = dt.date(date.year, 1, 1) + dt.timedelta(days=saved["doy"] - 1)
    if "day" in saved:
        _check("day", saved["day"], 1, calendar.monthrange(date.year, date.month)[1], text)
        date = date.replace(day=saved["day"])
    if "dow" in saved:
        _check("dow", saved["dow"], 1, 7, text)
        date += dt.timedelta(days=saved["dow"] - date.isoweekday())
    hour = 0
    if "halfday" in saved:
        hour = 12 * saved["halfday"]
    if "hour" in saved:
        _check("hour", saved["hour"], 0, 23, text)
        hour = saved["hour"]
    if "clockday" in saved:
        _check("clockday", saved["clockday"], 1, 24, text)
        hour = saved["clockday"] % 24
    if "hourhalf" in saved:
        _check("hourhalf", saved["hourhalf"], 0, 11, text)
        hour = 12 * (hour >= 12) + saved["hourhalf"]
    if "clockhalf" in saved:
        _check("clockhalf", saved["clockhalf"], 1, 12, text)
        hour = 12 * (hour >= 12) + saved["clockhalf"] % 12
    minute, second = saved.get("minute", 0), saved.get("second", 0)
    _check("minute", minute, 0, 59, text)
    _check("second", second, 0, 59, text)
    return dt.datetime(
        date.year, date.month, date.day, hour, minute, second, saved.get("millis", 0) * 1000
    )


# --- differences ------------------------------------------------------------------------------


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    return dt.datetime(value.year, value.month, value.day)


def months_between(start: Any, end: Any) -> int:
    """Joda's monthOfYear().getDifferenceAsLong(end, start): whole months from start to end."""
    a, b = _as_datetime(start), _as_datetime(end)
    if b < a:
        return -months_between(b, a)
    difference = (b.year - a.year) * 12 + b.month - a.month
    a_day = a.day
    if b.day == calendar.monthrange(b.year, b.month)[1] and a.day > b.day:
        a_day = b.day  # the end is the last day of its month: Joda clamps the start's day
    if (b.day, b.time()) < (a_day, a.time()):
        difference -= 1
    return difference


def years_between(start: Any, end: Any) -> int:
    """Joda's BasicChronology.getYearDifference (the year field's getDifferenceAsLong)."""
    a, b = _as_datetime(start), _as_datetime(end)
    if b < a:
        return -years_between(b, a)

    def remainder(value: dt.datetime) -> dt.timedelta:
        return value - dt.datetime(value.year, 1, 1)

    end_rem, start_rem = remainder(b), remainder(a)
    feb_29 = dt.timedelta(days=59)
    if start_rem >= feb_29:
        if calendar.isleap(a.year):
            if not calendar.isleap(b.year):
                start_rem -= dt.timedelta(days=1)
        elif end_rem >= feb_29 and calendar.isleap(b.year):
            end_rem -= dt.timedelta(days=1)
    difference = b.year - a.year
    if end_rem < start_rem:
        difference -= 1
    return difference
