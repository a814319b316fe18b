"""The exporter end to end on both roots: a local folder and S3 over HTTP (moto server).

The same scenario runs on each root: export a reference sweep, read every object back and check
it against the contract and against the exporter's own input.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from exporter import (
    DATASETS,
    ExportSettings,
    RunContext,
    ShardWriter,
    export_run_context,
    open_root,
    param_hash,
)
from exporter._contract import RUN_CONTEXT_OBJECT, shard_object_name
from exporter._storage import Storage
from exporter.errors import InvalidFieldError, RunConflictError, StorageError
from exporter.reference import plan_points, resolve_params, run_shard, run_sweep

ACCEPTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
# A small grid of its own (the reference baseline is a 144-point grid for `ara report`): 21 points,
# 6 shards of 4, 3 of them unstable (beta 2.5 with dt 0.25).
NAME, CONFIG = (
    "sir-baseline",
    {"grid": {"beta": [0.15, 0.2, 0.3, 0.4, 0.6, 1.0, 2.5], "gamma": [0.05, 0.1, 0.2]}},
)
PPS = 4


def read(storage: Storage, key: str) -> Any:
    body = storage.get(key)
    assert body is not None, key
    return pq.read_table(io.BytesIO(body))


def sweep(
    root: str, run_id: str = "run-a", accepted_at_override: datetime | None = None, **kwargs: Any
) -> RunContext:
    options: dict[str, Any] = {"points_per_shard": PPS, "workers": 0, **kwargs}
    accepted = accepted_at_override or ACCEPTED
    result = run_sweep(root, run_id, CONFIG, accepted_at=accepted, **options)
    return result.context


def test_layout_schema_and_hashes_match_the_contract(root: str) -> None:
    ctx = sweep(root)
    storage = open_root(root)
    part = "run_date=2026-11-23/run_id=run-a"
    shards = [shard_object_name(s) for s in range(ctx.shard_count)]
    assert storage.list("run_context") == [f"run_context/{part}/{RUN_CONTEXT_OBJECT}"]
    for name in ("effective_params", "outcomes"):
        assert storage.list(name) == sorted(f"{name}/{part}/{s}" for s in shards)

    points = plan_points(CONFIG)
    expected_params = {i: resolve_params(p, CONFIG.get("fixed")) for i, p in enumerate(points)}
    seen: Counter[int] = Counter()
    assert storage.list("_run_index") == ["_run_index/run-a.json"]
    for key in storage.list(""):
        if key.startswith("_run_index/"):
            continue
        dataset = DATASETS[key.split("/", 1)[0]]
        table = read(storage, key)
        assert table.schema.equals(dataset.arrow_schema(), check_metadata=False), key
        assert table.schema.metadata[b"schema_version"] == b"1.1"
        rows = table.to_pylist()
        assert {r["schema_version"] for r in rows} == {"1.1"}
        if dataset.name == "run_context":
            (row,) = rows
            assert row["config_fingerprint"] == ctx.config_fingerprint
            assert (row["shard_count"], row["point_count"], row["status"]) == (6, 21, "accepted")
            continue
        indexes = [r["point_index"] for r in rows]
        assert indexes == sorted(indexes)
        shard_id = int(key.rsplit("-", 1)[1].split(".")[0])
        assert {r["shard_id"] for r in rows} == {shard_id}
        for r in rows:
            # the hash in the row is the hash of exactly what the worker resolved for that point
            assert r["param_hash"] == param_hash(expected_params[r["point_index"]])
            if dataset.name == "effective_params":
                seen[r["point_index"]] += 1
                import json

                assert json.loads(r["params_json"]) == expected_params[r["point_index"]]
    assert seen == Counter(range(len(points)))


def test_retried_shards_replace_their_objects(root: str) -> None:
    ctx = sweep(root)
    event = ctx.ref().to_dict()
    for shard in range(ctx.shard_count):  # every shard again, with other timings
        run_shard(root, event, shard, CONFIG, attempt=2)
    storage = open_root(root)
    for name in ("effective_params", "outcomes"):
        keys = storage.list(name)
        assert len(keys) == ctx.shard_count
        rows = [r for k in keys for r in read(storage, k).to_pylist()]
        assert len(rows) == ctx.point_count
        assert Counter((r["shard_id"], r["point_index"]) for r in rows).most_common(1)[0][1] == 1
        if name == "outcomes":
            assert {r["attempt"] for r in rows} == {2}  # the last attempt won


def test_read_back_with_duckdb_sees_no_duplicate_keys(
    root: str, request: pytest.FixtureRequest
) -> None:
    sweep(root)
    sweep(root, "run-b")
    con = duckdb.connect()
    if root.startswith("s3://"):
        import s3fs

        moto = request.getfixturevalue("moto")
        con.register_filesystem(s3fs.S3FileSystem(client_kwargs={"endpoint_url": moto.endpoint}))
    glob = f"{root}/outcomes/*/*/*.parquet"
    dup = con.sql(
        f"select run_id, shard_id, point_index, count(*) n from read_parquet('{glob}', "
        "hive_partitioning=true, hive_types={'run_date': date, 'run_id': varchar}) "
        "group by all having count(*) > 1"
    ).fetchall()
    assert dup == []
    per_run = dict(
        con.sql(
            f"select run_id, count(*) from read_parquet('{glob}', hive_partitioning=true) "
            "group by 1"
        ).fetchall()
    )
    assert per_run == {"run-a": 21, "run-b": 21}
    [(failed,)] = con.sql(
        f"select count(*) from read_parquet('{glob}', hive_partitioning=true) "
        "where status = 'failed' and error_message is not null and cardinality(metrics) = 0"
    ).fetchall()
    assert failed == 6  # 3 unstable points of the reference grid, in each of the two runs


def test_reaccepting_a_run(root: str) -> None:
    ctx = sweep(root)
    storage = open_root(root)
    key = storage.list("run_context")[0]
    before = storage.get(key), storage.get("_run_index/run-a.json")
    later = RunContext(**{**_fields(ctx), "request_id": "req-retry"})
    assert export_run_context(root, later).action == "unchanged"
    for name, value in [
        ("sweep_config", {"grid": {"beta": [9.0]}}),
        ("points_per_shard", 5),
        ("code_version", "other"),
    ]:
        changed = RunContext(**{**_fields(ctx), name: value})
        with pytest.raises(RunConflictError) as info:
            export_run_context(root, changed)
        field = "config_fingerprint" if name == "sweep_config" else name
        assert info.value.field == field and info.value.stored == getattr(ctx, field)
        assert field in str(info.value)
    assert (storage.get(key), storage.get("_run_index/run-a.json")) == before
    assert storage.list("run_context") == [key]


def test_reaccepting_on_another_day_keeps_the_first_partition(root: str) -> None:
    ctx = sweep(root)
    next_day = RunContext(**{**_fields(ctx), "accepted_at": ACCEPTED + timedelta(days=1)})
    acceptance = export_run_context(root, next_day)
    assert acceptance.action == "unchanged"
    assert acceptance.run == ctx.ref()  # workers fan out to the first day's partition
    assert len(open_root(root).list("run_context")) == 1
    # the reference orchestrator does the same: a redelivery writes shards beside the context
    sweep(root, accepted_at_override=ACCEPTED + timedelta(days=2))
    keys = open_root(root).list("")
    assert not [k for k in keys if "run_date=2026-11-24" in k or "run_date=2026-11-25" in k]


def test_acceptance_that_crashed_after_the_index_is_completed(tmp_path: Path) -> None:
    ctx = RunContext(**{**_fields(sweep(str(tmp_path))), "request_id": "again"})
    stored = next((tmp_path / "run_context").rglob("*.parquet"))
    stored.unlink()  # as if the orchestrator died between the index and the object
    result = export_run_context(tmp_path, ctx)
    assert result.action == "written" and stored.exists()


def _fields(ctx: RunContext) -> dict[str, Any]:
    names = (
        "run_id",
        "accepted_at",
        "request_source",
        "code_version",
        "points_per_shard",
        "point_count",
        "sweep_config",
        "request_id",
        "requester",
    )
    return {n: getattr(ctx, n) for n in names}


def test_feature_gate_keeps_outcomes(root: str) -> None:
    off = ExportSettings(run_context=False, effective_params=False)
    ctx = sweep(root, settings=off)
    storage = open_root(root)
    assert storage.list("run_context") == []
    assert storage.list("effective_params") == []
    outcomes = storage.list("outcomes")
    assert len(outcomes) == ctx.shard_count
    assert all(len(r["param_hash"]) == 64 for r in read(storage, outcomes[0]).to_pylist())


def test_timestamps_are_utc_and_duration_matches(tmp_path: Path) -> None:
    ctx = RunContext(
        run_id="r",
        accepted_at=ACCEPTED,
        request_source="api",
        code_version="v",
        points_per_shard=2,
        point_count=2,
        sweep_config={"k": 1},
    )
    export_run_context(tmp_path, ctx)
    start = datetime(2026, 11, 23, 14, 0, tzinfo=timezone(timedelta(hours=2)))  # 12:00 UTC
    with ShardWriter(tmp_path, ctx.ref(), 0) as shard:
        shard.add_point(
            1,
            {"b": 2},
            started_at=start,
            finished_at=start + timedelta(seconds=1.5),
            metrics={"m": 1},
        )
        shard.add_point(0, {"a": 1}, started_at=start, finished_at=start, error="boom")
    key = "outcomes/run_date=2026-11-23/run_id=r/shard-00000.parquet"
    row0, row1 = read(open_root(tmp_path), key).to_pylist()  # sorted by point_index
    assert row1["started_at"] == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert row1["duration_ms"] == 1500.0 and row1["metrics"] == [("m", 1.0)]
    assert (row0["status"], row0["error_message"], row0["metrics"]) == ("failed", "boom", [])


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"workers": -1}, "workers"), ({"skip_shards": {6}}, "shard_id")]
)
def test_bad_sweep_arguments_write_nothing(tmp_path: Path, kwargs: Any, field: str) -> None:
    with pytest.raises(InvalidFieldError) as info:
        sweep(str(tmp_path), **kwargs)
    assert info.value.field == field
    assert list(tmp_path.iterdir()) == []


def test_unreachable_s3_is_a_storage_error(tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # nothing listens on the discard port
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    storage = open_root("s3://bucket/prefix", s3_client=client)
    for call in (
        lambda: storage.put_if_absent("k", b"1"),
        lambda: storage.get("k"),
        lambda: storage.list(""),
        lambda: storage.put("k", b"1"),
    ):
        with pytest.raises(StorageError) as info:
            call()
        assert "s3://bucket/prefix" in str(info.value)


# --------------------------------------------------------------------------- issue 7 regressions


def small(run_id: str = "r1", **overrides: Any) -> RunContext:
    fields: dict[str, Any] = {
        "run_id": run_id,
        "accepted_at": ACCEPTED,
        "request_source": "api",
        "code_version": "v1",
        "points_per_shard": 5,
        "point_count": 10,
        "sweep_config": {"grid": {"a": [1, 2]}},
        **overrides,
    }
    return RunContext(**fields)


def write_points(
    root: str,
    run: Any,
    shard: int,
    *,
    settings: ExportSettings | None = None,
    attempt: int = 1,
    params: Any = None,
) -> Any:
    t0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with ShardWriter(root, run, shard, attempt=attempt, settings=settings or ExportSettings()) as w:
        for i in run.shard_points(shard):
            w.add_point(i, params(i) if params else {"i": i}, started_at=t0, finished_at=t0)
    return w.written


def test_reaccepting_with_another_point_count_conflicts(root: str) -> None:
    export_run_context(root, small())
    with pytest.raises(RunConflictError) as info:
        export_run_context(root, small(point_count=11))
    assert (info.value.field, info.value.stored, info.value.new) == ("point_count", 10, 11)


def test_index_lost_then_another_plan_conflicts_and_the_index_is_restored(root: str) -> None:
    export_run_context(root, small())
    storage = open_root(root)
    original = json.loads(storage.get("_run_index/r1.json") or b"")
    storage.delete("_run_index/r1.json")  # as if the index object were lost
    for name, value in (("point_count", 12), ("code_version", "v2")):
        with pytest.raises(RunConflictError) as info:
            export_run_context(root, small(**{name: value}))
        assert info.value.field == name
        restored = json.loads(storage.get("_run_index/r1.json") or b"")
        assert {k: restored[k] for k in ("point_count", "code_version", "run_date")} == {
            k: original[k] for k in ("point_count", "code_version", "run_date")
        }
    assert export_run_context(root, small(request_id="again")).action == "unchanged"


def test_gate_off_redelivery_across_midnight_keeps_one_run_date(root: str) -> None:
    """Defect 6: the gate turns off the run-context dataset, not the acceptance index."""
    off = ExportSettings(run_context=False)
    first = export_run_context(root, small(), settings=off)
    late = export_run_context(root, small(accepted_at=ACCEPTED + timedelta(hours=15)), settings=off)
    assert first.action == late.action == "disabled"
    assert late.run == first.run and late.run.run_date.isoformat() == "2026-11-23"
    for run in (first.run, late.run):  # both deliveries fan out
        for shard in range(run.shard_count):
            write_points(root, run, shard)
    storage = open_root(root)
    keys = storage.list("outcomes")
    assert len(keys) == 2 and all("run_date=2026-11-23" in k for k in keys)
    assert sum(len(read(storage, k)) for k in keys) == 10
    assert storage.list("run_context") == []


def test_params_gate_off_retry_removes_the_stale_params_object(root: str) -> None:
    run = export_run_context(root, small()).run
    write_points(root, run, 0, params=lambda i: {"i": i, "v": "old"})
    write_points(
        root,
        run,
        0,
        settings=ExportSettings(effective_params=False),
        attempt=2,
        params=lambda i: {"i": i, "v": "new"},
    )
    storage = open_root(root)
    assert storage.list("effective_params") == []  # nothing left to disagree with the outcomes
    (key,) = storage.list("outcomes")
    assert {r["attempt"] for r in read(storage, key).to_pylist()} == {2}


def test_a_ref_from_a_next_day_redelivery_is_refused(root: str) -> None:
    """Defect 9: the writer checks its RunRef against the accepted plan (one GET per close)."""
    export_run_context(root, small())
    next_day = small(accepted_at=ACCEPTED + timedelta(days=1)).ref()
    with pytest.raises(RunConflictError) as info:
        write_points(root, next_day, 0)
    assert info.value.field == "run_date"
    assert open_root(root).list("outcomes") == []


def test_both_objects_of_a_write_share_its_write_id(root: str) -> None:
    run = export_run_context(root, small()).run
    written = write_points(root, run, 1)
    storage = open_root(root)
    ids = {
        r["write_id"]
        for name in ("effective_params", "outcomes")
        for k in storage.list(name)
        for r in read(storage, k).to_pylist()
    }
    assert ids == {written.write_id} and len(written.write_id) == 32
    assert write_points(root, run, 1).write_id != written.write_id


def test_param_count_is_the_number_of_top_level_parameters(root: str) -> None:
    run = export_run_context(root, small()).run
    shapes = [{}, {"a": 1}, {"a": 1, "b": {"c": [1, 2], "d": 3}}, {"x": None, "y": [], "z": ""}]
    expected = [0, 1, 2, 3]  # written down, not len() of the same dicts
    write_points(root, run, 0, params=lambda i: shapes[i % 4])
    storage = open_root(root)
    (key,) = storage.list("effective_params")
    rows = read(storage, key).to_pylist()
    assert [r["param_count"] for r in rows] == [expected[i % 4] for i in range(5)]


def test_objects_are_snappy_compressed(root: str) -> None:
    run = export_run_context(root, small()).run
    write_points(root, run, 0)
    storage = open_root(root)
    for key in storage.list(""):
        if not key.endswith(".parquet"):
            continue
        meta = pq.ParquetFile(io.BytesIO(storage.get(key) or b"")).metadata
        codecs = {
            meta.row_group(g).column(c).compression
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        }
        assert codecs == {"SNAPPY"}, key


def test_local_temp_files_stay_out_of_the_dataset_prefixes(tmp_path: Path) -> None:
    """Defect 8: the temp file is staged under {root}/_tmp/, never beside a dataset's objects."""
    import os

    from exporter._storage import LocalStorage

    seen: list[str] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append(str(src))
        real_replace(src, dst)

    storage = open_root(tmp_path)
    assert isinstance(storage, LocalStorage)
    import unittest.mock

    with unittest.mock.patch("exporter._storage.os.replace", spy):
        run = export_run_context(storage, small()).run
        write_points(storage, run, 0)  # type: ignore[arg-type]
    assert seen and all(Path(s).parent == tmp_path / "_tmp" for s in seen)
    visible = [p for p in tmp_path.rglob("*") if p.is_file() and "_tmp" not in p.parts]
    assert all(p.suffix in {".parquet", ".json"} for p in visible)
