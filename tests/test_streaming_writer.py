"""The streaming ShardWriter against a reference built the slow way, on a local root and on S3.

The reference is what the writer did before it streamed: one validated :class:`PointResult` per
point, rows sorted by ``point_index``, each dataset written whole by ``to_parquet``. The streaming
writer (fast path, column buffers, row groups through a spool) must store the same rows, schema
and metadata, and refuse exactly what ``PointResult`` refuses, with the same error.
"""

from __future__ import annotations

import io
import os
import random
import string
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter import ExportSettings, PointResult, RunRef, ShardWriter, open_root
from exporter._canonical import canonical_json
from exporter._contract import EFFECTIVE_PARAMS, OUTCOMES, SCHEMA_VERSION, object_key
from exporter._storage import SPOOL_PREFIX, S3Storage, Storage
from exporter._writer import to_parquet

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
DAY = date(2026, 11, 23)


def reference_tables(
    results: list[PointResult], shard_id: int, attempt: int, write_id: str | None = None
) -> dict[str, pa.Table]:
    """The two objects as the slow path builds them: validated records, sorted, written whole."""
    rows = sorted(results, key=lambda r: r.point_index)
    n = len(rows)
    common: dict[str, list[Any]] = {
        "schema_version": [SCHEMA_VERSION] * n,
        "shard_id": [shard_id] * n,
        "point_index": [r.point_index for r in rows],
        "param_hash": [r.param_hash for r in rows],
    }
    params = {
        **common,
        "param_count": [len(r.params) for r in rows],
        "params_json": [r.params_json for r in rows],
        "write_id": [write_id] * n,
    }
    outcomes = {
        **common,
        "status": [r.status for r in rows],
        "error_message": [r.error for r in rows],
        "attempt": [attempt] * n,
        "started_at": [r.started_at for r in rows],
        "finished_at": [r.finished_at for r in rows],
        "duration_ms": [(r.finished_at - r.started_at).total_seconds() * 1000.0 for r in rows],
        "metrics": [list(r.metrics.items()) for r in rows],
        "write_id": [write_id] * n,
    }
    return {
        "effective_params": pq.ParquetFile(io.BytesIO(to_parquet(EFFECTIVE_PARAMS, params))).read(),
        "outcomes": pq.ParquetFile(io.BytesIO(to_parquet(OUTCOMES, outcomes))).read(),
    }


def stored(storage: Storage, name: str, run: RunRef, shard_id: int) -> pq.ParquetFile:
    body = storage.get(object_key(name, run.run_date, run.run_id, shard_id))
    assert body is not None, name
    return pq.ParquetFile(io.BytesIO(body))


def assert_same_as_reference(
    storage: Storage, run: RunRef, shard_id: int, results: list[PointResult], attempt: int = 1
) -> None:
    # write_id is random per writer: take it from the stored outcomes, the same on both objects
    write_ids = stored(storage, "outcomes", run, shard_id).read().column("write_id").unique()
    assert len(write_ids) == 1
    expected = reference_tables(results, shard_id, attempt, write_ids[0].as_py())
    for name, table in expected.items():
        got = stored(storage, name, run, shard_id)
        assert got.schema_arrow.equals(table.schema, check_metadata=True), name
        assert got.schema_arrow.metadata == table.schema.metadata
        assert got.read().equals(table, check_metadata=True), name
        assert got.metadata.num_rows == len(results)


def spool_files(root: str) -> list[str]:
    folder = Path(root) / SPOOL_PREFIX
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- property: random valid (and some invalid) points, in random order -------------------------

_keys = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=6,
)
_metric_values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([float("nan"), float("inf"), True, "high"]),  # refused by PointResult
)
_zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), UTC])


@st.composite
def points(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    out = []
    order = draw(st.permutations(range(count)))
    for index in order:
        start = T0 + timedelta(microseconds=draw(st.integers(0, 10**9)))
        zone = draw(_zones)
        out.append(
            {
                "point_index": index,
                "params": draw(st.dictionaries(_keys, _values, max_size=6)),
                "started_at": start.astimezone(zone),
                "finished_at": start + timedelta(microseconds=draw(st.integers(0, 10**8))),
                "metrics": draw(
                    st.none()
                    | st.dictionaries(st.sampled_from(["m", "peak", "x_y"]), _metric_values)
                ),
                "error": draw(st.none() | st.none() | st.sampled_from(["boom", "Bearer abcdefgh"])),
            }
        )
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_streaming_writer_matches_the_slow_reference(tmp_path: Path, data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 12))
    row_group_size = data.draw(st.integers(1, 5))
    inputs = data.draw(points(count))
    run = RunRef("prop", DAY, point_count=count + 3, points_per_shard=count)
    root = tmp_path / f"w{random.getrandbits(64):x}"
    accepted: list[PointResult] = []
    with ShardWriter(root, run, 0, row_group_size=row_group_size) as writer:
        for point in inputs:
            try:
                expected = PointResult(**{**point, "metrics": point["metrics"] or {}})
            except Exception as exc:  # the writer must refuse it the same way
                with pytest.raises(type(exc)) as info:
                    writer.add_point(**point)
                assert str(info.value) == str(exc)
                continue
            writer.add_point(**point)
            accepted.append(expected)
    storage = open_root(root)
    if accepted:
        assert_same_as_reference(storage, run, 0, accepted)
    else:
        assert writer.written is not None and writer.written.uris == ()
    assert spool_files(str(root)) == []


# -- examples ------------------------------------------------------------------------------------


def test_large_shard_is_written_in_several_row_groups(root: str) -> None:
    count, group = 30_000, 8_192
    run = RunRef("big", DAY, point_count=count, points_per_shard=count)
    results = []
    with ShardWriter(root, run, 0, row_group_size=group) as writer:
        for i in range(count):
            params = {"beta": i / 7, "label": f"p{i % 13}", "n": i}
            metrics = {"peak": i * 0.5, "day": float(i % 160)}
            t = T0 + timedelta(milliseconds=i)
            writer.add_point(i, params, started_at=t, finished_at=t, metrics=metrics)
            if i % 997 == 0 or i == count - 1:  # spot-check rows against the slow path
                results.append(PointResult(i, params, t, t, metrics))
    storage = open_root(root)
    for name in ("effective_params", "outcomes"):
        file = stored(storage, name, run, 0)
        sizes = [file.metadata.row_group(g).num_rows for g in range(file.num_row_groups)]
        assert sizes == [group, group, group, count - 3 * group]
        table = file.read()
        assert table.column("point_index").to_pylist() == list(range(count))
    outcomes = stored(storage, "outcomes", run, 0).read().to_pylist()
    params = stored(storage, "effective_params", run, 0).read().to_pylist()
    for r in results:
        assert params[r.point_index]["params_json"] == r.params_json
        assert outcomes[r.point_index]["param_hash"] == r.param_hash
        assert dict(outcomes[r.point_index]["metrics"]) == r.metrics
    if not root.startswith("s3://"):
        assert spool_files(root) == []


def test_points_added_out_of_order_are_stored_sorted(root: str) -> None:
    count = 50
    run = RunRef("shuffled", DAY, point_count=count * 2, points_per_shard=count)
    order = list(range(count, 2 * count))
    random.Random(7).shuffle(order)
    results = []
    with ShardWriter(root, run, 1, row_group_size=8, attempt=3) as writer:
        for i in order:
            t = T0 + timedelta(seconds=i)
            params = {"i": i, "x": [1.5, None, "s"]}
            writer.add_point(i, params, started_at=t, finished_at=t + timedelta(microseconds=1501))
            results.append(PointResult(i, params, t, t + timedelta(microseconds=1501)))
    storage = open_root(root)
    assert_same_as_reference(storage, run, 1, results, attempt=3)
    file = stored(storage, "outcomes", run, 1)
    assert file.num_row_groups == 7  # windows of 8 point indexes: sorted, bounded row groups


def test_an_error_inside_the_block_writes_nothing_and_leaves_no_spool(tmp_path: Path) -> None:
    root = str(tmp_path / "wh")
    run = RunRef("aborted", DAY, point_count=100, points_per_shard=100)
    with pytest.raises(RuntimeError), ShardWriter(root, run, 0, row_group_size=10) as writer:
        for i in range(55):  # five row groups already in the spool
            writer.add_point(i, {"a": i}, started_at=T0, finished_at=T0)
        assert len(spool_files(root)) == 2  # params and outcomes, outside the dataset prefixes
        raise RuntimeError("worker died")
    assert open_root(root).list("") == []
    assert spool_files(root) == []


def test_a_writer_dropped_without_close_removes_its_spool(tmp_path: Path) -> None:
    root = str(tmp_path / "wh")
    run = RunRef("dropped", DAY, point_count=10, points_per_shard=10)
    writer = ShardWriter(root, run, 0, row_group_size=2)
    for i in range(5):
        writer.add_point(i, {"a": i}, started_at=T0, finished_at=T0)
    assert len(spool_files(root)) == 2
    del writer
    assert spool_files(root) == []
    assert open_root(root).list("") == []


def test_feature_gate_streams_outcomes_only(root: str) -> None:
    run = RunRef("gated", DAY, point_count=20, points_per_shard=20)
    gate = ExportSettings(effective_params=False)
    with ShardWriter(root, run, 0, row_group_size=6, settings=gate) as writer:
        for i in range(20):
            writer.add_point(i, {"a": i}, started_at=T0, finished_at=T0, metrics={"m": 1.0})
    storage = open_root(root)
    assert storage.list("effective_params") == []
    assert stored(storage, "outcomes", run, 0).read().num_rows == 20


def test_duplicates_and_bad_points_are_refused_without_breaking_the_shard(tmp_path: Path) -> None:
    run = RunRef("dups", DAY, point_count=4, points_per_shard=4)
    with ShardWriter(tmp_path, run, 0) as writer:
        writer.add_point(0, {"a": 1}, started_at=T0, finished_at=T0, metrics={"m": 1.0})
        with pytest.raises(Exception, match="already recorded"):
            writer.add_point(0, {"a": 2}, started_at=T0, finished_at=T0)
        with pytest.raises(Exception, match="credential"):
            writer.add_point(1, {"api_key": "x"}, started_at=T0, finished_at=T0)
        with pytest.raises(Exception, match="credential"):  # a new metric name: checked once
            writer.add_point(1, {"a": 1}, started_at=T0, finished_at=T0, metrics={"token": 1.0})
        writer.add_point(1, {"a": 3}, started_at=T0, finished_at=T0, metrics={"m": 2})
    rows = pq.read_table(writer.written.uris[-1] if writer.written else "").to_pylist()
    assert [(r["point_index"], dict(r["metrics"])) for r in rows] == [
        (0, {"m": 1.0}),
        (1, {"m": 2.0}),
    ]


def test_local_objects_get_umask_modes(tmp_path: Path) -> None:
    from exporter import RunContext, export_run_context

    old = os.umask(0o027)
    try:
        context = RunContext(
            run_id="modes",
            accepted_at=T0,
            request_source="test",
            code_version="v1",
            points_per_shard=2,
            point_count=2,
            sweep_config={"grid": {}},
        )
        export_run_context(tmp_path, context)
        with ShardWriter(tmp_path, context.ref(), 0) as writer:
            writer.add_point(0, {"a": 1}, started_at=T0, finished_at=T0)
    finally:
        os.umask(old)
    files = [p for p in tmp_path.rglob("*.parquet")]
    assert len(files) == 3
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o640)}


def test_s3_put_file_uploads_large_bodies_in_parts(s3_bucket: str, moto: Any) -> None:
    client = moto.client("s3")
    storage = S3Storage(bucket=s3_bucket, prefix="p", client=client, multipart_threshold=5 << 20)
    body = random.Random(1).randbytes(6 << 20)
    big, small = storage.spool(), storage.spool()
    big.write_bytes(body)
    small.write_bytes(b"small body")
    storage.put_file("a/big.bin", big)
    storage.put_file("a/small.bin", small)
    assert not big.exists() and not small.exists()
    assert storage.get("a/big.bin") == body
    assert storage.get("a/small.bin") == b"small body"
    etag = client.head_object(Bucket=s3_bucket, Key="p/a/big.bin")["ETag"]
    assert etag.strip('"').endswith("-2")  # a multipart upload of two parts
    etag = client.head_object(Bucket=s3_bucket, Key="p/a/small.bin")["ETag"]
    assert "-" not in etag  # one PutObject


def _circular() -> list[Any]:
    value: list[Any] = []
    value.append(value)
    return value


_GOOD: dict[str, Any] = {
    "params": {"a": 1},
    "started_at": T0,
    "finished_at": T0,
    "metrics": {"m": 1.0},
}
_BAD: list[dict[str, Any]] = [
    {"metrics": {"m": float("nan")}},
    {"metrics": {"m": float("-inf")}},
    {"metrics": {"m": True}},
    {"metrics": {"m": "high"}},
    {"metrics": {"m": 10**400}},
    {"metrics": {"m": 1.0, "api_key": 2.0}},
    {"metrics": {"m": 1.0, "": 2.0}},
    {"metrics": {1: 2.0}},
    {"metrics": [("m", 1.0)]},
    {"params": {"a": float("nan")}},
    {"params": {"a": {1: 2}}},
    {"params": {"password": "x"}},
    {"params": {"note": "AKIAIOSFODNN7EXAMPLE"}},
    {"params": {"a": b"bytes"}},
    {"params": {"a": "\ud800"}},
    {"params": [("a", 1)]},
    # a known name ("a"): the flat path runs, and every credential shape still ends in the
    # full check's error (any case, in a list too), as do values without a JSON form
    {"params": {"a": "AKIAIOSFODNN7EXAMPLE"}},
    {"params": {"a": ["x", "ASIAIOSFODNN7EXAMPLE"]}},
    {"params": {"a": "bEaReR abcdefgh12345"}},
    {"params": {"a": "BASIC dXNlcjpwYXNzd29yZA=="}},
    {"params": {"a": "postgresql://user:hunter2@db/x"}},
    {"params": {"a": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}},
    {"params": {"a": "-----BEGIN RSA PRIVATE KEY-----\nMIIE"}},
    {"params": {"a": {"password": 1}}},
    {"params": {"a": float("inf")}},
    {"params": {"a": [1, [2, float("nan")]]}},
    {"params": {"a": {1, 2}}},
    {"params": {"a": 1, 2: "x"}},
    {"params": {"a": _circular()}},
    {"started_at": T0.replace(tzinfo=None)},
    {"finished_at": T0 - timedelta(microseconds=1)},
    {"started_at": "2026-11-23T09:30:00Z"},
    {"point_index": -1},
    {"point_index": 4},
    {"point_index": True},
    {"point_index": 1.0},
    {"error": ""},
    {"error": "\udfff"},
]


@pytest.mark.parametrize("bad", _BAD, ids=[repr(b)[:40] for b in _BAD])
def test_a_warm_fast_path_refuses_what_point_result_refuses(tmp_path: Path, bad: Any) -> None:
    run = RunRef("bad", DAY, point_count=8, points_per_shard=4)
    point = {"point_index": 1, **_GOOD, **bad}
    with pytest.raises(Exception) as reference:
        PointResult(**point).check_in(run.shard_points(0))
    with ShardWriter(tmp_path, run, 0) as writer:
        writer.add_point(0, **_GOOD)  # the metric name "m" is now known: the fast path is warm
        with pytest.raises(type(reference.value)) as info:
            writer.add_point(**point)
        assert str(info.value) == str(reference.value)
    rows = pq.read_table(writer.written.uris[-1] if writer.written else "").to_pylist()
    assert [r["point_index"] for r in rows] == [0]


@pytest.mark.parametrize(("points_per_shard", "warned"), [(500, True), (999, True), (1_000, False)])
def test_the_small_shard_limit_is_1000_points(
    tmp_path: Path, points_per_shard: int, warned: bool
) -> None:
    """The boundary itself: 999 (and 500) points per shard warn, 1,000 do not."""
    from exporter import RunContext, SmallShardWarning, export_run_context

    context = RunContext(
        run_id=f"pps-{points_per_shard}",
        accepted_at=T0,
        request_source="test",
        code_version="v1",
        points_per_shard=points_per_shard,
        point_count=10_000,
        sweep_config={},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_run_context(tmp_path, context)
    small = [w for w in caught if issubclass(w.category, SmallShardWarning)]
    assert len(small) == int(warned), [str(w.message) for w in caught]
    if warned:
        assert f"points_per_shard={points_per_shard} splits 10,000 points" in str(small[0].message)


def test_a_plan_of_tiny_shards_is_warned_about(tmp_path: Path) -> None:
    from exporter import RunContext, SmallShardWarning, export_run_context
    from exporter.reference import reference_configs, run_sweep

    def context(run_id: str, points_per_shard: int, point_count: int) -> RunContext:
        return RunContext(
            run_id=run_id,
            accepted_at=T0,
            request_source="test",
            code_version="v1",
            points_per_shard=points_per_shard,
            point_count=point_count,
            sweep_config={},
        )

    with pytest.warns(SmallShardWarning, match="points_per_shard=5 splits 100,000 points"):
        export_run_context(tmp_path, context("tiny", 5, 100_000))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these is a plan of tiny objects
        export_run_context(tmp_path, context("one-shard", 5, 5))
        export_run_context(tmp_path, context("big-shards", 1_000, 100_000))
        result = run_sweep(str(tmp_path), "defaults", reference_configs()[0][1], workers=0)
    assert result.context.points_per_shard == 10_000 and result.context.shard_count == 1
    with pytest.warns(SmallShardWarning, match="into 36 shards"):
        run_sweep(str(tmp_path), "small", reference_configs()[0][1], workers=0, points_per_shard=4)


def test_the_flat_path_stores_what_the_full_check_stores(tmp_path: Path) -> None:
    """Known names, values that look like a credential fragment but are not one (an ``A``, a
    ``basic`` that is no credential, a URL without userinfo): the writer's cheap substring test
    hands them to the full check, which accepts them; the text is canonical_json's."""
    values = ["A", "basic model", "https://example.org/x", "Bearer", "ok", 2**64, 1e-07, None]
    run = RunRef("flat", DAY, point_count=len(values), points_per_shard=len(values))
    with ShardWriter(tmp_path, run, 0) as writer:
        for index, value in enumerate(values):
            params = {"a": value, "b": [index, "x"]}
            writer.add_point(index, params, started_at=T0, finished_at=T0, metrics={"m": 1.0})
    assert writer.written is not None
    rows = pq.read_table(writer.written.uris[0]).to_pylist()
    assert [r["params_json"] for r in rows] == [
        canonical_json({"a": value, "b": [index, "x"]}) for index, value in enumerate(values)
    ]
