"""Every validation rule raises a typed error naming the field and value, and writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from exporter import (
    ExportSettings,
    PointResult,
    RunContext,
    RunRef,
    ShardWriter,
    export_run_context,
    open_root,
)
from exporter.errors import (
    CanonicalJsonError,
    ConfigError,
    DuplicatePointError,
    InvalidFieldError,
    NonFiniteMetricError,
    PointIndexOutOfRangeError,
    SensitiveFieldError,
    ValidationError,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(milliseconds=250)
RUN = RunRef("run-1", date(2026, 11, 23), point_count=10, points_per_shard=4)


def context(**overrides: Any) -> RunContext:
    fields: dict[str, Any] = {
        "run_id": "run-1",
        "accepted_at": T0,
        "request_source": "api",
        "code_version": "abc123",
        "points_per_shard": 4,
        "point_count": 10,
        "sweep_config": {"grid": {"beta": [0.1, 0.2]}},
        "request_id": "req-1",
        "requester": "alice",
    }
    fields.update(overrides)
    return RunContext(**fields)


def files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "run_id",
    [
        "",
        "a/b",
        "a=b",
        "a..b",
        "..",
        "a b",
        " a",
        ".hidden",
        "-x",
        "x" * 129,
        "ü",
        None,
        7,
        "a\nb",
        "a\n",
    ],
)
def test_unsafe_run_ids_are_rejected(run_id: Any) -> None:
    with pytest.raises(InvalidFieldError) as info:
        context(run_id=run_id)
    assert info.value.field == "run_id"
    assert repr(run_id)[:20] in str(info.value)
    with pytest.raises(InvalidFieldError):
        RunRef(run_id, date(2026, 1, 1), 1, 1)


@pytest.mark.parametrize("run_id", ["a", "run-1", "Sweep_2026.11.23", "x" * 128, "0abc.d-e_f"])
def test_safe_run_ids_are_accepted(run_id: str) -> None:
    assert context(run_id=run_id).run_id == run_id


@pytest.mark.parametrize("shard_id", [-1, 3, 99, True, "0", 1.0])
def test_shard_id_must_be_inside_the_plan(tmp_path: Path, shard_id: Any) -> None:
    with pytest.raises(InvalidFieldError) as info:
        ShardWriter(tmp_path, RUN, shard_id)
    assert info.value.field == "shard_id"
    assert files(tmp_path) == []


@pytest.mark.parametrize("point_index", [-1, 3, 8, 10, 1000])
def test_point_index_must_be_inside_the_shard(tmp_path: Path, point_index: int) -> None:
    # shard 1 of RUN plans points 4..7
    with pytest.raises(ValidationError) as info, ShardWriter(tmp_path, RUN, 1) as shard:
        shard.add_point(point_index, {"a": 1}, started_at=T0, finished_at=T1)
    assert info.value.field == "point_index"
    assert isinstance(info.value, PointIndexOutOfRangeError | InvalidFieldError)
    assert files(tmp_path) == []


def test_last_shard_is_short(tmp_path: Path) -> None:
    assert RUN.shard_count == 3
    assert list(RUN.shard_points(2)) == [8, 9]


def test_duplicate_point_in_a_shard_is_rejected_and_nothing_written(tmp_path: Path) -> None:
    with pytest.raises(DuplicatePointError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(1, {"a": 1}, started_at=T0, finished_at=T1)
        shard.add_point(1, {"a": 2}, started_at=T0, finished_at=T1)
    assert (info.value.field, info.value.value) == ("point_index", 1)
    assert files(tmp_path) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"x": float("nan")}, "params.x"), ({"s": {1, 2}}, "params.s"), ({"b": b"1"}, "params.b")],
)
def test_params_must_be_canonicalisable(tmp_path: Path, params: Any, field: str) -> None:
    with pytest.raises(CanonicalJsonError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"ok": 1}, started_at=T0, finished_at=T1)
        shard.add_point(1, params, started_at=T0, finished_at=T1)
    assert info.value.field == field
    assert files(tmp_path) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_metrics_must_be_finite(tmp_path: Path, value: float) -> None:
    with pytest.raises(NonFiniteMetricError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, metrics={"peak": value})
    assert info.value.field == "metrics.peak"
    assert files(tmp_path) == []


def test_metric_values_must_be_numbers(tmp_path: Path) -> None:
    with pytest.raises(InvalidFieldError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, metrics={"peak": "high"})
    assert info.value.field == "metrics.peak"


def test_timestamps_must_be_aware_and_ordered(tmp_path: Path) -> None:
    shard = ShardWriter(tmp_path, RUN, 0)
    with pytest.raises(InvalidFieldError) as info:
        shard.add_point(0, {"a": 1}, started_at=T0.replace(tzinfo=None), finished_at=T1)
    assert info.value.field == "started_at"
    with pytest.raises(InvalidFieldError) as info:
        shard.add_point(0, {"a": 1}, started_at=T1, finished_at=T0)
    assert info.value.field == "finished_at"
    with pytest.raises(InvalidFieldError) as info:
        context(accepted_at=datetime(2026, 1, 1))
    assert info.value.field == "accepted_at"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"grid": {}, "api_key": "x"}, "sweep_config.api_key"),
        ({"grid": {}, "auth": {"password": "hunter2"}}, "sweep_config.auth.password"),
        (
            {"grid": {}, "headers": {"Authorization": "Bearer abc"}},
            "sweep_config.headers.Authorization",
        ),
        ({"grid": {}, "aws_secret_access_key": "x"}, "sweep_config.aws_secret_access_key"),
        ({"grid": {}, "note": "AKIAABCDEFGHIJKLMNOP"}, "sweep_config.note"),
        ({"grid": {}, "steps": ["Bearer eyJhbGciOi"]}, "sweep_config.steps[0]"),
    ],
)
def test_credentials_are_refused_not_exported(config: Any, field: str) -> None:
    with pytest.raises(SensitiveFieldError) as info:
        context(sweep_config=config)
    assert info.value.field == field
    assert "hunter2" not in str(info.value) and "AKIA" not in str(info.value)


def test_credentials_in_params_and_requester_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SensitiveFieldError), ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"db_password": "x"}, started_at=T0, finished_at=T1)
    assert files(tmp_path) == []
    with pytest.raises(SensitiveFieldError):
        context(requester="Basic dXNlcjpwYXNzd29yZA==")
    with pytest.raises(SensitiveFieldError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, metrics={"api_key": 1.0})
    assert info.value.field == "metrics.api_key"
    assert files(tmp_path) == []


def test_credentials_in_error_messages_are_redacted(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    error = "auth failed: token=abc123 header Bearer eyJhbGciOiJIUzI1 key AKIAABCDEFGHIJKLMNOP"
    with ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, error=error)
    (path,) = [p for p in files(tmp_path) if "outcomes" in p.parts]
    stored = pq.read_table(path).column("error_message")[0].as_py()
    assert stored.startswith("auth failed: ") and stored.count("[REDACTED]") == 3
    for secret in ("abc123", "eyJhbGciOiJIUzI1", "AKIAABCDEFGHIJKLMNOP"):
        assert secret not in stored


@pytest.mark.parametrize("value", ["12.5", Decimal("1.5"), True, None, [1.0]])
def test_metric_values_must_be_real_numbers(tmp_path: Path, value: Any) -> None:
    with pytest.raises(InvalidFieldError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, metrics={"peak": value})
    assert info.value.field == "metrics.peak"
    assert files(tmp_path) == []


def test_numpy_metrics_are_numbers(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(
            0,
            {"a": 1},
            started_at=T0,
            finished_at=T1,
            metrics={"f": np.float32(0.5), "i": np.int64(3)},
        )
    assert shard.written is not None
    outcomes = pq.read_table(shard.written.uris[-1]).to_pylist()
    assert dict(outcomes[0]["metrics"]) == {"f": 0.5, "i": 3.0}


def test_lone_surrogates_are_rejected_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(CanonicalJsonError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"label": "bad \ud800"}, started_at=T0, finished_at=T1)
    assert info.value.field == "params"
    with pytest.raises(InvalidFieldError) as err, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, error="bad \udfff")
    assert err.value.field == "error"
    with pytest.raises(InvalidFieldError) as ctx_err:
        context(requester="bad \ud800")
    assert ctx_err.value.field == "requester"
    assert files(tmp_path) == []


def test_parameter_names_that_merely_contain_a_word_are_fine() -> None:
    ctx = context(sweep_config={"grid": {"max_tokens_per_step": [1], "n_passes": [2]}})
    assert "max_tokens_per_step" in ctx.config_json


@pytest.mark.parametrize(
    ("field", "value"),
    [("points_per_shard", 0), ("point_count", -1), ("request_source", ""), ("code_version", None)],
)
def test_run_context_fields(field: str, value: Any) -> None:
    with pytest.raises(InvalidFieldError) as info:
        context(**{field: value})
    assert info.value.field == field


def test_attempt_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(InvalidFieldError) as info:
        ShardWriter(tmp_path, RUN, 0, attempt=0)
    assert info.value.field == "attempt"


def test_run_ref_from_event_validates() -> None:
    assert RunRef.from_dict(RUN.to_dict()) == RUN
    with pytest.raises(InvalidFieldError) as info:
        RunRef.from_dict({**RUN.to_dict(), "run_date": "23/11/2026"})
    assert info.value.field == "run_date"
    event = RUN.to_dict()
    del event["point_count"]
    with pytest.raises(InvalidFieldError) as info:
        RunRef.from_dict(event)
    assert info.value.field == "point_count"


def test_feature_gate_env_values() -> None:
    assert ExportSettings.from_env({}) == ExportSettings(True, True)
    off = {"ARA_EXPORT_RUN_CONTEXT": "false", "ARA_EXPORT_EFFECTIVE_PARAMS": "0"}
    assert ExportSettings.from_env(off) == ExportSettings(False, False)
    with pytest.raises(ConfigError) as info:
        ExportSettings.from_env({"ARA_EXPORT_RUN_CONTEXT": "maybe"})
    assert info.value.field == "ARA_EXPORT_RUN_CONTEXT"


@pytest.mark.parametrize("root", ["", "gs://bucket/x", "s3://", "s3:///prefix"])
def test_bad_roots(root: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_root(root)
    assert info.value.field == "root"


def test_an_exception_in_the_worker_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1)
        raise RuntimeError("worker crashed")
    assert files(tmp_path) == []


def test_validation_errors_are_value_errors_for_callers_that_catch_broadly() -> None:
    with pytest.raises(ValueError):
        context(run_id="a/b")


def test_disabled_run_context_writes_only_the_acceptance_index(tmp_path: Path) -> None:
    """The gate turns off the run-context dataset, not the index (defect 6 of issue 7)."""
    result = export_run_context(tmp_path, context(), settings=ExportSettings(run_context=False))
    assert result.action == "disabled"
    assert files(tmp_path) == [tmp_path / "_run_index" / "run-1.json"]


# --------------------------------------------------------------------------- issue 7 regressions


@pytest.mark.parametrize(
    ("error", "secret"),
    [
        ("401 Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "eyJhbGciOiJIUzI1NiJ9"),
        ("env aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ('payload {"password": "hunter2"}', "hunter2"),
        ("connect postgresql://u:hunter2@db/x failed", "hunter2"),
        ("auth: bearer abc.def.ghi", "abc.def.ghi"),
        ("key idAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        # a quoted value runs to its closing quote: a passphrase with spaces goes whole
        ('login failed: password="correct horse battery staple"', "horse battery"),
        ("pwd: 'two words here'", "words here"),
        # names the name rule calls credentials, in free text as well
        ("signing_key=s3cr3tpw in env", "s3cr3tpw"),
        ("ENCRYPTION_KEY=s3cr3tpw", "s3cr3tpw"),
        ("PGPASSWORD=s3cr3tpw psql -h db", "s3cr3tpw"),
        ("CLIENTSECRET: s3cr3tpw", "s3cr3tpw"),
        # a command line's flag, and a token as url userinfo
        ("cmd failed: mysql --password s3cr3tpw -h db", "s3cr3tpw"),
        ("tool --api-key=s3cr3tpw", "s3cr3tpw"),
        ("clone https://s3cr3tpw@github.com/o/r failed", "s3cr3tpw"),
        ("Bearer: s3cr3tpw", "s3cr3tpw"),
        # a pair inside an ordinary pair's value
        ("note: password=s3cr3tpw", "s3cr3tpw"),
    ],
)
def test_secrets_in_error_text_are_redacted_in_the_stored_row(
    tmp_path: Path, error: str, secret: str
) -> None:
    import pyarrow.parquet as pq

    with ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, error=error)
    (path,) = [p for p in files(tmp_path) if "outcomes" in p.parts]
    stored = pq.read_table(path).column("error_message")[0].as_py()
    assert secret not in stored and "[REDACTED]" in stored, stored


def test_a_failed_point_with_metrics_is_refused(tmp_path: Path) -> None:
    """Defect 5, decided: refused (not dropped), so what is stored is what was given."""
    with pytest.raises(InvalidFieldError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(
            0, {"a": 1}, started_at=T0, finished_at=T1, error="boom", metrics={"peak": 3.0}
        )
    assert info.value.field == "metrics"
    assert files(tmp_path) == []


def test_error_values_are_masked_in_the_exception_too() -> None:
    with pytest.raises(InvalidFieldError) as info:
        context(run_id="Bearer eyJhbGciOiJIUzI1NiJ9.abc.def")
    assert "eyJhbGciOiJIUzI1NiJ9" not in str(info.value)
    assert "eyJhbGciOiJIUzI1NiJ9" not in str(info.value.value)


def test_numpy_integers_are_shard_ids_and_point_indexes(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    np = pytest.importorskip("numpy")
    point = PointResult(np.int64(5), {"a": 1}, started_at=T0, finished_at=T1)
    assert type(point.point_index) is int and point.point_index == 5
    with ShardWriter(tmp_path, RUN, np.int64(1)) as shard:
        shard.add_point(np.int32(4), {"a": 1}, started_at=T0, finished_at=T1)
        shard.add(point)
    assert shard.shard_id == 1 and type(shard.shard_id) is int
    (path,) = [p for p in files(tmp_path) if "outcomes" in p.parts]
    rows = pq.read_table(path).to_pylist()
    assert [(r["shard_id"], r["point_index"]) for r in rows] == [(1, 4), (1, 5)]


def test_allow_names_lets_a_declared_name_through() -> None:
    from exporter import allow_names
    from exporter._secrets import _ALLOWED_NAMES, _sensitive_key

    with pytest.raises(SensitiveFieldError):
        context(sweep_config={"grid": {}, "token": 5})
    allow_names("token")
    try:
        assert '"token":5' in context(sweep_config={"grid": {}, "token": 5}).config_json
        with pytest.raises(SensitiveFieldError):  # a value shaped like a credential: never
            context(sweep_config={"grid": {}, "token": "AKIAIOSFODNN7EXAMPLE"})
    finally:
        _ALLOWED_NAMES.discard("token")
        _sensitive_key.cache_clear()
    with pytest.raises(InvalidFieldError):
        allow_names("")


def test_the_allow_list_env_variable() -> None:
    import subprocess
    import sys

    code = (
        "from exporter import RunContext; from datetime import datetime, UTC;"
        "RunContext(run_id='r', accepted_at=datetime.now(UTC), request_source='x',"
        " code_version='v', points_per_shard=1, point_count=1,"
        " sweep_config={'session_cookie': 'plain-name'}); print('ok')"
    )
    env = {"ARA_ALLOWED_NAMES": "session_cookie, other", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "ok", out.stderr
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={})
    assert "SensitiveFieldError" in out.stderr


# --------------------------------------------------------------------------- review of issue 7


def test_ordinary_pairs_in_error_text_are_kept(tmp_path: Path) -> None:
    error = "step=3 token_count=17 password_len: 8 url=https://db.example/x failed"
    with ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, error=error)
    (path,) = [p for p in files(tmp_path) if "outcomes" in p.parts]
    assert pq.read_table(path).column("error_message")[0].as_py() == error


@pytest.mark.parametrize(
    "name", ["dbpassword", "PGPASSWORD", "CLIENTSECRET", "githubtoken", "DBPASSWORD_HASH"]
)
def test_one_word_compound_credential_names_are_refused(tmp_path: Path, name: str) -> None:
    """Shouted or all-lowercase forms of dbPassword/clientSecret have no hump to split at."""
    with pytest.raises(SensitiveFieldError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, metrics={"m": 1.0})
        shard.add_point(1, {name: "x"}, started_at=T0, finished_at=T1, metrics={"m": 1.0})
    assert info.value.field == f"params.{name}"
    with pytest.raises(SensitiveFieldError):
        context(sweep_config={"grid": {}, name: 1})
    assert files(tmp_path) == [] or all("_tmp" in p.parts for p in files(tmp_path))


@pytest.mark.parametrize("name", ["tokens", "n_tokens", "tokenizer", "secretary", "passwordless"])
def test_words_that_only_start_with_a_credential_word_pass(name: str) -> None:
    assert name in context(sweep_config={"grid": {}, name: 1}).config_json
