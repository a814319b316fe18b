"""Parameter types survive the trip: canonical JSON -> unpivoted typed columns and the
`param_value` macro, for every JSON type the exporter writes (DuckDB, local target)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from _dbt_scenario import Dbt

from exporter import RunContext, ShardWriter, export_run_context

pytestmark = pytest.mark.dbt

RUN_ID = "typed-params-1"
POINTS: list[dict[str, Any]] = [
    {
        "n": -3,
        "big": 2**62,
        "beyond_bigint": 2**64 - 1,
        "ratio": 1.0,
        "half": 2.5,
        "tiny": 1e-07,
        "huge": 6.02e23,
        "flag": True,
        "ok": True,
        "label": 'zürich "quoted" ,:',
        "numeric_text": "0.15",
        "nothing": None,
        "schedule": [1, 2.5, "x"],
        "nested": {"b": 1, "a": [True]},
    },
    {"n": 0, "ratio": -0.5, "half": 0.15, "flag": False, "label": "", "schedule": []},
]
EXPECTED_TYPES = {
    "n": "integer",
    "big": "integer",
    "beyond_bigint": "integer",
    "ratio": "float",
    "half": "float",
    "tiny": "float",
    "huge": "float",
    "flag": "boolean",
    "ok": "boolean",
    "label": "string",
    "numeric_text": "string",
    "nothing": "null",
    "schedule": "array",
    "nested": "object",
}
#: the exported JSON token of each value, written out by hand (what the exporter's canonical
#: JSON holds: Python's repr for floats, so 1e-07 and 6.02e+23)
EXPORTED_TEXT = {
    "n": ["-3", "0"],
    "big": ["4611686018427387904", None],
    "beyond_bigint": ["18446744073709551615", None],
    "ratio": ["1.0", "-0.5"],
    "half": ["2.5", "0.15"],
    "tiny": ["1e-07", None],
    "huge": ["6.02e+23", None],
    "flag": ["true", "false"],
    "ok": ["true", None],
    "label": ['"zürich \\"quoted\\" ,:"', '""'],
    "numeric_text": ['"0.15"', None],
    "nothing": ["null", None],
    "schedule": ['[1,2.5,"x"]', "[]"],
    "nested": ['{"a":[true],"b":1}', None],
}
#: point_param_columns for the build (name: type), each read as a type chosen to exercise the
#: documented rule of macros/param_value.sql, and the value expected per point (by hand)
TYPED_COLUMNS = {
    "n": "string",
    "big": "bigint",
    "beyond_bigint": "bigint",
    "ratio": "double",
    "half": "bigint",
    "tiny": "string",
    "huge": "json",
    "flag": "string",
    "ok": "boolean",
    "label": "double",
    "numeric_text": "double",
    "nothing": "boolean",
    "schedule": "json",
    "nested": "string",
    "absent": "double",
}
EXPECTED_VALUES: dict[str, list[Any]] = {
    "n": ["-3", "0"],  # a number as string: its exported text
    "big": [2**62, None],
    "beyond_bigint": [None, None],  # an integer beyond bigint: null, never an error
    "ratio": [1.0, -0.5],
    "half": [None, None],  # a float as bigint: null, never rounded (2.5 -> 3) nor an error
    "tiny": ["1e-07", None],  # not 1e-7 (DuckDB) nor 1.0E-7 (Trino's re-serialisation)
    "huge": ["6.02e+23", None],
    "flag": ["true", "false"],
    "ok": [True, None],
    "label": [None, None],  # a string as double: null
    "numeric_text": [None, None],  # a numeric-looking string is still a string: null
    "nothing": [None, None],
    "schedule": ['[1,2.5,"x"]', "[]"],
    "nested": [None, None],  # an object as string: null (read it as json)
    "absent": [None, None],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dbt]:
    base = tmp_path_factory.mktemp("dbt_types")
    root = str(base / "raw")
    t0 = datetime(2026, 11, 22, 12, tzinfo=UTC)
    context = RunContext(
        run_id=RUN_ID,
        accepted_at=t0,
        request_source="api",
        code_version="test",
        points_per_shard=len(POINTS),
        point_count=len(POINTS),
        sweep_config={"points": POINTS},
    )
    export_run_context(root, context)
    with ShardWriter(root, context.ref(), 0) as shard:
        for index, params in enumerate(POINTS):
            shard.add_point(
                index,
                params,
                started_at=t0,
                finished_at=t0 + timedelta(seconds=1),
                metrics={"m": float(index)},
            )
    dbt = Dbt(base / "dbt", root, vars={"point_param_columns": TYPED_COLUMNS})
    dbt.run("build", "--target", "local")
    yield dbt


def test_unpivoted_types_follow_the_json_text(built: Dbt) -> None:
    rows = built.query(
        "select point_index, param_name, param_type, param_value_json, param_value_bigint, "
        "param_value_double, param_value_boolean, param_value_string "
        "from int_effective_params_unpivoted"
    )
    assert len(rows) == sum(len(p) for p in POINTS)
    for index, name, type_, text, as_int, as_double, as_bool, as_str in rows:
        value = POINTS[index][name]
        assert type_ == EXPECTED_TYPES[name], name
        assert text == EXPORTED_TEXT[name][index], name  # the exported token, not re-serialised
        if type_ == "integer" and -(2**63) <= value < 2**63:
            assert as_int == value and as_double == float(value)
        elif type_ == "integer":  # legal JSON beyond bigint: no bigint, still a double
            assert as_int is None and as_double == float(value), name
        elif type_ == "float":
            assert as_int is None and as_double == value
        else:
            assert as_int is None and as_double is None
        assert as_bool == (value if type_ == "boolean" else None)
        assert as_str == (value if type_ == "string" else None)


def test_param_value_macro_follows_the_documented_rule(built: Dbt) -> None:
    columns = ", ".join(f"param_{name}" for name in TYPED_COLUMNS)
    rows = built.query(f"select point_index, {columns} from fct_point_outcomes order by 1")
    assert len(rows) == len(POINTS)
    for index, *values in rows:
        got = dict(zip(TYPED_COLUMNS, values, strict=True))
        expected = {name: EXPECTED_VALUES[name][index] for name in TYPED_COLUMNS}
        assert got == expected, index
        for name, value in got.items():
            assert type(value) is type(expected[name]), name
