"""Ports whose result type follows their arguments' types (``date_add`` on a date gives a date,
on a timestamp a timestamp; ``random(n)`` the type of ``n``; ``array || element``; integer
``/``): DuckDB macros with one overload per DuckDB type. DuckDB binds the overload of the
arguments' types (an exact match first, then the cheapest implicit cast).

DuckDB cannot pick a typed overload for an argument holding an aggregate or a window function
(``sum(x) / count(*)``: it binds overloads before aggregates). So each macro ``m`` also has a
*witness* form ``m_w``: the arguments untyped, then one more argument per typed parameter, a
*witness* of the same type without aggregates (``x`` for ``max(x)``), which only selects the
overload (:mod:`._witness` builds them). Every body reads a typed parameter ``p`` of type ``T``
through ``CAST(p AS T)``, which is the value itself in the typed form and the conversion
DuckDB would have made in the witness form.
"""

from __future__ import annotations

from ._errors import error_sql

__all__ = ["OVERLOADED", "overload_macros"]

_INVALID = "INVALID_FUNCTION_ARGUMENT"

Param = tuple[str, str | None]  # (name, DuckDB type or None: untyped)
Overload = tuple[list[Param], str]  # the body reads each typed parameter as CAST(p AS type)


def _o(params: list[Param], body: str) -> Overload:
    return params, body


def _err(message_sql: str, code: str = _INVALID) -> str:
    return error_sql(code, message_sql)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _c(name: str, kind: str) -> str:
    return f"CAST({name} AS {kind})"


def _field_error(kind: str) -> str:
    return _err(f"'''' || lower(u) || ''' is not a valid {kind} field'")


def _macro(name: str, witnessed: tuple[str, ...], overloads: list[Overload]) -> list[str]:
    """The typed macro and its witness form (``witnessed``: the parameters a witness stands for,
    typed in some overloads, in the order the witnesses follow the arguments)."""
    typed, witness = [], []
    for params, body in overloads:
        typed.append(f"({', '.join(f'{p} {t}' if t else p for p, t in params)}) AS {body}")
        kinds = dict(params)
        extra = [f"__w_{p} {kinds[p]}" if kinds[p] else f"__w_{p}" for p in witnessed if p in kinds]
        witness.append(f"({', '.join([p for p, _ in params] + extra)}) AS {body}")
    return [
        f"CREATE OR REPLACE MACRO {name}" + ", ".join(typed),
        f"CREATE OR REPLACE MACRO {name}_w" + ", ".join(witness),
    ]


#: DuckDB's timestamp types: TIMESTAMP_MS is Trino's timestamp(3) of a Hive column, TIMESTAMP_NS
#: the endpoint's marker of timestamp(6) (Iceberg): computed as TIMESTAMP and cast back;
#: TIMESTAMP_S (sqlglot's TIMESTAMP(0) of a literal without a fraction) is computed as and stays
#: a TIMESTAMP
_STAMPS = ("TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMPTZ", "TIMESTAMP_S")
_KEPT = ("TIMESTAMP_MS", "TIMESTAMP_NS")
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


def _stamp(kind: str, name: str, compute: str) -> str:
    """``compute`` (reading the value as ``{v}``) on a value of a timestamp type, cast back to
    it."""
    if kind in _KEPT:
        return _c(compute.format(v=_c(_c(name, kind), "TIMESTAMP")), kind)
    if kind == "TIMESTAMP_S":
        return compute.format(v=_c(_c(name, kind), "TIMESTAMP"))
    return compute.format(v=_c(name, kind))


# --- date_add, date_trunc, date_diff ----------------------------------------------------------

_INTERVAL = (
    "CASE lower(u) WHEN 'millisecond' THEN to_milliseconds(n) WHEN 'second' THEN to_seconds(n) "
    "WHEN 'minute' THEN to_minutes(n) WHEN 'hour' THEN to_hours(n) "
    "WHEN 'day' THEN to_days(CAST(n AS INTEGER)) WHEN 'week' THEN to_weeks(CAST(n AS INTEGER)) "
    "WHEN 'month' THEN to_months(CAST(n AS INTEGER)) "
    "WHEN 'quarter' THEN to_months(CAST(n AS INTEGER) * 3) "
    f"WHEN 'year' THEN to_years(CAST(n AS INTEGER)) ELSE {_field_error('Timestamp')} END"
)
_DATE = "CAST(x AS DATE)"
_DATE_ADD: list[Overload] = [
    (
        [("u", None), ("n", None), ("x", "DATE")],
        "CASE WHEN u IS NULL OR n IS NULL OR x IS NULL THEN NULL "
        f"WHEN lower(u) = 'day' THEN {_DATE} + CAST(n AS INTEGER) "
        f"WHEN lower(u) = 'week' THEN {_DATE} + CAST(n AS INTEGER) * 7 "
        f"WHEN lower(u) IN ('month', 'quarter', 'year') THEN CAST({_DATE} + "
        "to_months(CAST(n AS INTEGER) * CASE lower(u) WHEN 'month' THEN 1 "
        "WHEN 'quarter' THEN 3 ELSE 12 END) AS DATE) "
        f"ELSE {_field_error('DATE')} END",
    ),
    *(
        (
            [("u", None), ("n", None), ("x", kind)],
            "CASE WHEN u IS NULL OR n IS NULL OR x IS NULL THEN NULL ELSE "
            + _stamp(kind, "x", "{v} + (" + _INTERVAL.replace("{", "{{") + ")")
            + " END",
        )
        for kind in _STAMPS
    ),
]
_TIME_UNITS = "('millisecond', 'second', 'minute', 'hour')"
_DATE_UNITS = "('day', 'week', 'month', 'quarter', 'year')"
_DATE_TRUNC: list[Overload] = [
    (
        [("u", None), ("x", "DATE")],
        "CASE WHEN u IS NULL OR x IS NULL THEN NULL "
        f"WHEN lower(u) IN {_DATE_UNITS} THEN CAST(date_trunc(lower(u), {_DATE}) AS DATE) "
        f"ELSE {_field_error('DATE')} END",
    ),
    *(
        (
            [("u", None), ("x", kind)],
            "CASE WHEN u IS NULL OR x IS NULL THEN NULL "
            f"WHEN lower(u) IN {_TIME_UNITS} OR lower(u) IN {_DATE_UNITS} THEN "
            + _stamp(kind, "x", "date_trunc(lower(u), {v})")
            + f" ELSE {_field_error('Timestamp')} END",
        )
        for kind in _STAMPS
    ),
]


def _diff(small_units: str, kind: str, a: str, b: str) -> str:
    """date_diff of ``a`` and ``b``: whole units (truncated towards zero), months and years by
    Joda's field differences (:func:`._datetime.months_between`)."""
    return (
        f"CASE WHEN u IS NULL OR a IS NULL OR b IS NULL THEN NULL {small_units} "
        f"WHEN lower(u) = 'month' THEN trino_months_between({a}, {b}) "
        f"WHEN lower(u) = 'quarter' THEN trino_months_between({a}, {b}) // 3 "
        f"WHEN lower(u) = 'year' THEN trino_years_between({a}, {b}) "
        f"ELSE {_field_error(kind)} END"
    )


def _stamp_diff(a: str, b: str) -> str:
    units = {"millisecond": 1, "second": 1000, "minute": 60_000, "hour": 3_600_000}
    units |= {"day": 86_400_000, "week": 604_800_000}
    small = " ".join(
        f"WHEN lower(u) = '{unit}' THEN (epoch_ms({b}) - epoch_ms({a})) // {ms}"
        for unit, ms in units.items()
    )
    return _diff(small, "Timestamp", a, b)


_DA, _DB = _c("a", "DATE"), _c("b", "DATE")
_DATE_DIFF: list[Overload] = [
    (
        [("u", None), ("a", "DATE"), ("b", "DATE")],
        _diff(
            f"WHEN lower(u) = 'day' THEN CAST({_DB} - {_DA} AS BIGINT) "
            f"WHEN lower(u) = 'week' THEN CAST({_DB} - {_DA} AS BIGINT) // 7",
            "DATE",
            _DA,
            _DB,
        ),
    ),
    (
        [("u", None), ("a", "TIMESTAMP"), ("b", "TIMESTAMP")],
        _stamp_diff(_c("a", "TIMESTAMP"), _c("b", "TIMESTAMP")),
    ),
    (
        [("u", None), ("a", "TIMESTAMPTZ"), ("b", "TIMESTAMPTZ")],
        _stamp_diff(
            _c(_c("a", "TIMESTAMPTZ"), "TIMESTAMP"), _c(_c("b", "TIMESTAMPTZ"), "TIMESTAMP")
        ),
    ),
]

# --- + and - ----------------------------------------------------------------------------------


def _date_interval(op: str, date: str, interval: str) -> str:
    """date ± interval (Trino's DateTimeOperators): a year-month interval moves the date; a
    day-second interval must be whole days (its hours a multiple of 24, as Trino checks)."""
    d, i = _c(date, "DATE"), _c(interval, "INTERVAL")
    return (
        f"CASE WHEN {date} IS NULL OR {interval} IS NULL THEN NULL "
        f"WHEN datepart('year', {i}) <> 0 OR datepart('month', {i}) <> 0 "
        f"THEN CAST({d} {op} {i} AS DATE) "
        f"WHEN (epoch_ms({i}) // 3600000) % 24 <> 0 THEN "
        + _err("'Cannot add hour, minutes or seconds to a date'")
        + f" ELSE {d} {op} CAST(epoch_ms({i}) // 86400000 AS INTEGER) END"
    )


def _arithmetic(op: str) -> list[Overload]:
    """``+`` or ``-`` keeping Trino's result types: date ± interval is a date, a timestamp(3) or
    timestamp(6) ± interval keeps its precision, date - date is an interval; anything else is
    DuckDB's operator."""
    out: list[Overload] = [([("a", "DATE"), ("b", "INTERVAL")], _date_interval(op, "a", "b"))]
    if op == "+":
        out.append(([("a", "INTERVAL"), ("b", "DATE")], _date_interval(op, "b", "a")))
    interval_a, interval_b = _c("a", "INTERVAL"), _c("b", "INTERVAL")
    for kind in _STAMPS:
        out.append(
            ([("a", kind), ("b", "INTERVAL")], _stamp(kind, "a", f"{{v}} {op} {interval_b}"))
        )
        if op == "+":
            out.append(
                ([("a", "INTERVAL"), ("b", kind)], _stamp(kind, "b", f"{interval_a} + {{v}}"))
            )
    if op == "-":
        out.append(([("a", "DATE"), ("b", "DATE")], f"to_days(CAST({_DA} - {_DB} AS INTEGER))"))
    out.append(([("a", None), ("b", None)], f"a {op} b"))
    return out


# --- / ----------------------------------------------------------------------------------------


def _ieee(kind: str) -> str:
    """Division of doubles (or reals) as Java's: x / 0 is ±Infinity, 0 / 0 and NaN / 0 NaN."""
    a, b = _c("a", kind), _c("b", kind)
    return (
        f"CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN {b} = 0 THEN CASE "
        f"WHEN isnan({a}) OR {a} = 0 THEN CAST('NaN' AS {kind}) "
        f"WHEN ({a} > 0) <> signbit({b}) THEN CAST('Infinity' AS {kind}) "
        f"ELSE CAST('-Infinity' AS {kind}) END ELSE {a} / {b} END"
    )


#: a decimal (or decimal and integer) division: DuckDB's double result, Trino's error for zero
#: (DECIMAL(38,10) catches every DECIMAL before DOUBLE does; a double never casts to it)
_DEC = "DECIMAL(38,10)"
_DIVIDE: list[Overload] = [
    *(_o([("a", t), ("b", t)], f"{_c('a', t)} // {_c('b', t)}") for t in _INTEGERS),
    _o(
        [("a", _DEC), ("b", _DEC)],
        f"CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN {_c('b', _DEC)} = 0 THEN "
        + _err(_lit("Division by zero"), "DIVISION_BY_ZERO")
        + f" ELSE CAST({_c('a', _DEC)} AS DOUBLE) / CAST({_c('b', _DEC)} AS DOUBLE) END",
    ),
    *(_o([("a", t), ("b", t)], _ieee(t)) for t in ("FLOAT", "DOUBLE")),
    ([("a", None), ("b", None)], "a / b"),
]

# --- random(n), random(m, n) ------------------------------------------------------------------

_RANDOM: list[Overload] = [
    *(
        _o(
            [("n", t)],
            f"CASE WHEN {_c('n', t)} <= 0 THEN {_err(_lit('bound must be positive'))} "
            f"ELSE CAST(floor(random() * {_c('n', t)}) AS {t}) END",
        )
        for t in _INTEGERS[:4]
    ),
    *(
        _o(
            [("m", t), ("n", t)],
            f"CASE WHEN {_c('m', t)} >= {_c('n', t)} THEN "
            f"{_err(_lit('start value must be less than stop value'))} "
            f"ELSE CAST({_c('m', t)} + floor(random() * ({_c('n', t)} - {_c('m', t)})) AS {t}) END",
        )
        for t in _INTEGERS[:4]
    ),
]

# --- array || element, element || array -------------------------------------------------------

#: element types for which ``array || element`` and ``element || array`` are bound
_ELEMENTS = (
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "FLOAT",
    "DOUBLE",
    "VARCHAR",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMPTZ",
    "BLOB",
    "JSON",
)
_CONCAT: list[Overload] = [
    *(
        overload
        for t in _ELEMENTS
        for overload in (
            _o(
                [("a", f"{t}[]"), ("b", t)],
                f"CASE WHEN a IS NULL THEN NULL ELSE list_append({_c('a', f'{t}[]')}, "
                f"{_c('b', t)}) END",
            ),
            _o(
                [("a", t), ("b", f"{t}[]")],
                f"CASE WHEN b IS NULL THEN NULL ELSE list_prepend({_c('a', t)}, "
                f"{_c('b', f'{t}[]')}) END",
            ),
        )
    ),
    ([("a", None), ("b", None)], "a || b"),
]

# --- sequence ---------------------------------------------------------------------------------


def _sequence_checks(step: str, length: str) -> str:
    """Trino's SequenceFunction.checkValidStep and checkMaxEntry, as WHEN branches (``step`` the
    step's sign, ``a``/``b`` start and stop)."""
    return (
        f"WHEN {step} = 0 THEN {_err(_lit('step must not be zero'))} "
        f"WHEN ({step} > 0 AND b < a) OR ({step} < 0 AND b > a) THEN "
        + _err(
            _lit(
                "sequence stop value should be greater than or equal to start value if step is "
                "greater than zero otherwise stop should be less than or equal to start"
            )
        )
        + f" WHEN {length} > 10000 THEN "
        + _err(_lit("result of sequence function must not have more than 10000 entries"))
    )


_NULLS = "WHEN a IS NULL OR b IS NULL OR s IS NULL THEN NULL"
_MONTHS_OF = "(datepart('year', {s}) * 12 + datepart('month', {s}))"
#: untyped helpers of trino_sequence (their arguments already of the right types)
SEQUENCE_HELPERS = [
    "CREATE OR REPLACE MACRO trino_sequence_whole(a, b, s) AS CASE "
    f"{_NULLS} {_sequence_checks('s', '(b - a) // s + 1')} "
    "ELSE generate_series(a, b, s) END",
    "CREATE OR REPLACE MACRO trino_sequence_days(a, b, s) AS CASE "
    f"{_NULLS} {_sequence_checks('s', 'CAST(b - a AS BIGINT) // s + 1')} "
    "ELSE list_transform(range(0, CAST(b - a AS BIGINT) // s + 1), "
    "lambda i: a + CAST(i * s AS INTEGER)) END",
    # by months, each from the start as Trino adds them
    "CREATE OR REPLACE MACRO trino_sequence_months(a, b, s) AS CASE "
    f"{_NULLS} {_sequence_checks('s', 'trino_months_between(a, b) // s + 1')} "
    "ELSE list_transform(range(0, trino_months_between(a, b) // s + 1), "
    "lambda i: a + to_months(CAST(i * s AS INTEGER))) END",
    "CREATE OR REPLACE MACRO trino_sequence_stamps(a, b, s) AS CASE "
    f"{_NULLS} "
    + _sequence_checks("epoch_ms(s)", "(epoch_ms(b) - epoch_ms(a)) // epoch_ms(s) + 1")
    + " ELSE generate_series(a, b, s) END",
]
_SA, _SB = _c("a", "BIGINT"), _c("b", "BIGINT")
_STEP = _c("s", "INTERVAL")
_SEQUENCE: list[Overload] = [
    (
        [("a", "BIGINT"), ("b", "BIGINT")],
        f"trino_sequence_whole({_SA}, {_SB}, CASE WHEN {_SB} >= {_SA} THEN 1 ELSE -1 END)",
    ),
    (
        [("a", "BIGINT"), ("b", "BIGINT"), ("s", "BIGINT")],
        f"trino_sequence_whole({_SA}, {_SB}, {_c('s', 'BIGINT')})",
    ),
    (
        [("a", "DATE"), ("b", "DATE")],
        f"trino_sequence_days({_DA}, {_DB}, CASE WHEN {_DB} >= {_DA} THEN 1 ELSE -1 END)",
    ),
    (
        [("a", "DATE"), ("b", "DATE"), ("s", "INTERVAL")],
        f"CASE {_NULLS} WHEN {_MONTHS_OF.format(s=_STEP)} <> 0 THEN CAST(trino_sequence_months("
        f"{_DA}, {_DB}, {_MONTHS_OF.format(s=_STEP)}) AS DATE[]) "
        f"WHEN epoch_ms({_STEP}) % 86400000 <> 0 THEN "
        + _err(_lit("sequence step must be a day interval if start and end values are dates"))
        + f" ELSE trino_sequence_days({_DA}, {_DB}, epoch_ms({_STEP}) // 86400000) END",
    ),
    (
        [("a", "TIMESTAMP"), ("b", "TIMESTAMP"), ("s", "INTERVAL")],
        f"CASE {_NULLS} WHEN {_MONTHS_OF.format(s=_STEP)} <> 0 THEN trino_sequence_months("
        f"{_c('a', 'TIMESTAMP')}, {_c('b', 'TIMESTAMP')}, {_MONTHS_OF.format(s=_STEP)}) "
        f"ELSE trino_sequence_stamps({_c('a', 'TIMESTAMP')}, {_c('b', 'TIMESTAMP')}, {_STEP}) END",
    ),
]

# --- witnesses of aggregates ------------------------------------------------------------------

#: the type sum(x) has (bigint for integers) and approx_percentile(x, p) has, as a witness
WITNESS_HELPERS = [
    "CREATE OR REPLACE MACRO trino_sum_witness"
    + ", ".join(f"(x {t}) AS CAST(NULL AS BIGINT)" for t in _INTEGERS[:4])
    + ", (x) AS x",
    "CREATE OR REPLACE MACRO trino_percentile_witness"
    + ", ".join(f"(x {t}) AS CAST(NULL AS BIGINT)" for t in _INTEGERS[:4])
    + ", (x FLOAT) AS x, (x DOUBLE) AS x",
]

#: macro -> the parameters its witness form takes witnesses for, by position in the call
OVERLOADED: dict[str, tuple[int, ...]] = {
    "trino_date_add": (2,),
    "trino_date_trunc": (1,),
    "trino_date_diff": (1, 2),
    "trino_add": (0, 1),
    "trino_subtract": (0, 1),
    "trino_divide": (0, 1),
    "trino_random": (0, 1),
    "trino_concat": (0, 1),
    "trino_sequence": (0, 1, 2),
}


def overload_macros() -> list[str]:
    """Every CREATE MACRO statement of this module, helpers first."""
    return [
        *SEQUENCE_HELPERS,
        *WITNESS_HELPERS,
        *_macro("trino_date_add", ("x",), _DATE_ADD),
        *_macro("trino_date_trunc", ("x",), _DATE_TRUNC),
        *_macro("trino_date_diff", ("a", "b"), _DATE_DIFF),
        *_macro("trino_add", ("a", "b"), _arithmetic("+")),
        *_macro("trino_subtract", ("a", "b"), _arithmetic("-")),
        *_macro("trino_divide", ("a", "b"), _DIVIDE),
        *_macro("trino_random", ("m", "n"), _RANDOM),
        *_macro("trino_concat", ("a", "b"), _CONCAT),
        *_macro("trino_sequence", ("a", "b", "s"), _SEQUENCE),
    ]
