"""Parameter types survive the trip: canonical JSON -> unpivoted typed columns and the
`param_value` macro, for every JSON type the exporter writes (DuckDB, local target)."""

from __future__ import annotations

import json
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
        "tiny": 1e-07,
        "huge": 6.02e23,
        "flag": True,
        "label": 'zürich "quoted" ,:',
        "nothing": None,
        "schedule": [1, 2.5, "x"],
        "nested": {"b": 1, "a": [True]},
    },
    {"n": 0, "ratio": -0.5, "flag": False, "label": "", "schedule": []},
]
EXPECTED_TYPES = {
    "n": "integer",
    "big": "integer",
    "beyond_bigint": "integer",
    "ratio": "float",
    "tiny": "float",
    "huge": "float",
    "flag": "boolean",
    "label": "string",
    "nothing": "null",
    "schedule": "array",
    "nested": "object",
}
TYPED_COLUMNS = {
    "n": "bigint",
    "big": "bigint",
    "ratio": "double",
    "tiny": "double",
    "flag": "boolean",
    "label": "string",
    "schedule": "json",
    "absent": "double",
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
        assert json.loads(text) == value, name
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


def test_param_value_macro_reads_each_type(built: Dbt) -> None:
    columns = ", ".join(f"param_{name}" for name in TYPED_COLUMNS)
    rows = built.query(f"select point_index, {columns} from fct_point_outcomes order by 1")
    assert len(rows) == len(POINTS)
    for index, *values in rows:
        got = dict(zip(TYPED_COLUMNS, values, strict=True))
        params = POINTS[index]
        for name, type_ in TYPED_COLUMNS.items():
            if name not in params:
                assert got[name] is None, name
            elif type_ == "json":
                assert json.loads(got[name]) == params[name]
            else:
                assert got[name] == params[name], name
                assert type(got[name]) is type(params[name]), name
