"""Fault suite, bad input: a table of >= 100 classes of hostile input, on a local root and on a
moto S3 server over HTTP. Each class must raise the typed error from ``exporter.errors``, name
the field, keep every secret out of the message, and leave the root's listing (hidden and
temporary files included) exactly as it was.

The root already holds an accepted run ``r1`` (10 points, 5 per shard) with shard 0 written,
so conflicting re-acceptances and refs are tested against real stored state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _dbt_scenario import write_two_run_marts
from _faults import SECRETS, T0, ctx, listing, read_rows, s3_client, shard_key, write_shard
from conftest import Moto

from exporter import RunRef, ShardWriter, export_run_context
from exporter.cli import main
from exporter.errors import (
    CanonicalJsonError,
    ConfigError,
    DuplicatePointError,
    ExporterError,
    InvalidFieldError,
    NonFiniteMetricError,
    PointIndexOutOfRangeError,
    RedactedValue,
    RunConflictError,
    SensitiveFieldError,
)

#: the fault suite plans tiny runs on purpose
pytestmark = pytest.mark.filterwarnings("ignore::exporter.SmallShardWarning")

T1 = T0 + timedelta(milliseconds=250)


@dataclass
class Env:
    root: str
    endpoint: str | None
    ref: RunRef
    scratch: Path

    @property
    def client(self) -> Any:
        return s3_client(self.endpoint) if self.endpoint else None


@pytest.fixture(scope="module", params=["local", "s3"])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    scratch = tmp_path_factory.mktemp("scratch")
    if request.param == "local":
        root, endpoint = str(tmp_path_factory.mktemp("faults") / "warehouse"), None
    else:
        endpoint = request.getfixturevalue("moto_server").endpoint
        bucket = f"ara-faults-{uuid.uuid4().hex[:10]}"
        s3_client(endpoint).create_bucket(Bucket=bucket)
        root = f"s3://{bucket}/exports"
    client = s3_client(endpoint) if endpoint else None
    ref = export_run_context(root, ctx(), s3_client=client).run
    write_shard(root, endpoint, ref, 0)
    yield Env(root, endpoint, ref, scratch)


# --------------------------------------------------------------------------- case builders


def accept(**overrides: Any) -> Callable[[Env], Any]:
    return lambda env: export_run_context(env.root, ctx(**overrides), s3_client=env.client)


def accept_raw(context: Any) -> Callable[[Env], Any]:
    return lambda env: export_run_context(env.root, context, s3_client=env.client)


def writer(shard_id: Any = 1, run: RunRef | None = None, **kwargs: Any) -> Callable[[Env], Any]:
    def act(env: Env) -> None:
        ref = env.ref if run is None else run
        with ShardWriter(env.root, ref, shard_id, s3_client=env.client, **kwargs) as w:
            w.add_point(5, {"a": 1}, started_at=T0, finished_at=T1)

    return act


def point(**kwargs: Any) -> Callable[[Env], Any]:
    """Shard 1 (points 5..9): one good point, then the bad one; the writer must write nothing."""

    def act(env: Env) -> None:
        fields: dict[str, Any] = {
            "point_index": 6,
            "params": {"a": 1},
            "started_at": T0,
            "finished_at": T1,
        }
        fields.update(kwargs)
        index = fields.pop("point_index")
        params = fields.pop("params")
        with ShardWriter(env.root, env.ref, 1, s3_client=env.client) as w:
            w.add_point(5, {"a": 0}, started_at=T0, finished_at=T1)
            w.add_point(index, params, **fields)

    return act


def fast_point(**kwargs: Any) -> Callable[[Env], Any]:
    """Like :func:`point`, but the writer has already taken two points with metrics on its fast
    path (their metric names known), so the bad point meets the fast path first."""

    def act(env: Env) -> None:
        fields: dict[str, Any] = {
            "point_index": 7,
            "params": {"a": 2},
            "started_at": T0,
            "finished_at": T1,
            "metrics": {"peak": 1.0, "m": 2.0},
        }
        fields.update(kwargs)
        index = fields.pop("point_index")
        params = fields.pop("params")
        with ShardWriter(env.root, env.ref, 1, s3_client=env.client) as w:
            for i in (5, 6):
                w.add_point(i, {"a": i}, started_at=T0, finished_at=T1, metrics={"peak": 1.0})
            w.add_point(index, params, **fields)

    return act


def ref_with(**changes: Any) -> Callable[[Env], Any]:
    def act(env: Env) -> None:
        fields = {**env.ref.to_dict(), **changes}
        fields.pop("plan_digest")
        ref = RunRef(
            fields["run_id"],
            date.fromisoformat(fields["run_date"]),
            fields["point_count"],
            fields["points_per_shard"],
        )
        with ShardWriter(env.root, ref, 1, s3_client=env.client) as w:
            w.add_point(ref.shard_points(1)[0], {"a": 1}, started_at=T0, finished_at=T1)

    return act


def root_is(root: Any) -> Callable[[Env], Any]:
    def act(env: Env) -> None:
        value = root(env) if callable(root) else root
        export_run_context(value, ctx(run_id="other"))

    return act


def deep(n: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(n):
        value = {"n": value}
    return value


def circular() -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    value["self"] = value
    return value


def circular_list() -> dict[str, Any]:
    items: list[Any] = [1]
    items.append(items)
    return {"xs": items}


PLUS5 = timezone(timedelta(hours=5))
JWT = "eyJhbGciOiJIUzI1NiJ9.abc.def"
AKIA = "AKIAIOSFODNN7EXAMPLE"


class Leaky:
    """An object whose repr shows a secret (a config object, a client, a token holder)."""

    def __repr__(self) -> str:
        return f"Leaky(key={AKIA!r})"


class LeakyStr:
    """An object whose str shows a secret and whose repr does not."""

    def __str__(self) -> str:
        return "password=hunter2"


def event(**changes: Any) -> Callable[[Env], Any]:
    """The worker's event (RunRef.to_dict()) with fields changed, loaded back."""
    return lambda env: RunRef.from_dict({**env.ref.to_dict(), **changes})


def tampered_ref(**changes: Any) -> Callable[[Env], Any]:
    """A RunRef changed after its checks (as a hostile caller could), given to a ShardWriter."""

    def act(env: Env) -> None:
        ref = RunRef.from_dict(env.ref.to_dict())
        for name, value in changes.items():
            object.__setattr__(ref, name, value)
        writer(run=ref)(env)

    return act


# (id, action, error type, field)
CASES: list[tuple[str, Callable[[Env], Any], type[ExporterError], str]] = [
    # run_id
    *[
        (f"run_id={v!r}", accept(run_id=v), InvalidFieldError, "run_id")
        for v in ["", "a/b", "a=b", "a..b", "..", "a b", ".h", "-x", "x" * 129, "ü", None, 7]
    ],
    ("run_id=newline", accept(run_id="a\nb"), InvalidFieldError, "run_id"),
    ("run_id=bearer-jwt", accept(run_id=f"Bearer {JWT}"), InvalidFieldError, "run_id"),
    ("run_id=akia-in-path", accept(run_id=f"{AKIA}/x"), InvalidFieldError, "run_id"),
    ("run_id=url-userinfo", accept(run_id="pg://u:hunter2@db"), InvalidFieldError, "run_id"),
    # plan integers (defect 1: must fail before the index is written)
    *[
        (f"point_count={v!r}", accept(point_count=v), InvalidFieldError, "point_count")
        for v in [0, -1, 2**64, 2**63, True, 1.5, "10", None]
    ],
    *[
        (
            f"points_per_shard={v!r}",
            accept(points_per_shard=v),
            InvalidFieldError,
            "points_per_shard",
        )
        for v in [0, 2**63, True, "5", 1.0]
    ],
    # accepted_at
    *[
        (f"accepted_at={name}", accept(accepted_at=v), InvalidFieldError, "accepted_at")
        for name, v in [
            ("naive", datetime(2026, 1, 1)),
            ("year1+05", datetime(1, 1, 1, tzinfo=PLUS5)),
            ("year9999-05", datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))),
            ("string", "2026-01-01T00:00:00Z"),
            ("none", None),
            ("date", date(2026, 1, 1)),
        ]
    ],
    # run-context strings
    *[
        (f"{f}={name}", accept(**{f: v}), err, f)
        for f, name, v, err in [
            ("request_source", "empty", "", InvalidFieldError),
            ("request_source", "blank", "   ", InvalidFieldError),
            ("request_source", "none", None, InvalidFieldError),
            ("request_source", "int", 5, InvalidFieldError),
            ("request_source", "bearer", "bearer abc", SensitiveFieldError),
            ("request_source", "surrogate", "bad \ud800", InvalidFieldError),
            ("code_version", "none", None, InvalidFieldError),
            ("code_version", "empty", "", InvalidFieldError),
            ("code_version", "akia", AKIA, SensitiveFieldError),
            ("code_version", "url", "postgresql://u:hunter2@db/x", SensitiveFieldError),
            ("request_id", "empty", "", InvalidFieldError),
            ("request_id", "int", 5, InvalidFieldError),
            ("request_id", "jwt", f"req {JWT}", SensitiveFieldError),
            ("requester", "basic", "Basic dXNlcjpwYXNzd29yZA==", SensitiveFieldError),
            ("requester", "surrogate", "bad \udfff", InvalidFieldError),
            ("requester", "BEARER", "BEARER s3cr3tpw", SensitiveFieldError),
        ]
    ],
    # sweep_config: credentials by name and by shape (defect 10), JSON faults (defect 4)
    ("sweep_config=list", accept(sweep_config=[1]), InvalidFieldError, "sweep_config"),
    *[
        (f"sweep_config#{n}={path}", accept(sweep_config=cfg), err, path)
        for n, (cfg, path, err) in enumerate(
            [
                ({"dbPassword": "hunter2"}, "sweep_config.dbPassword", SensitiveFieldError),
                ({"clientSecret": "x"}, "sweep_config.clientSecret", SensitiveFieldError),
                ({"api_key": "x"}, "sweep_config.api_key", SensitiveFieldError),
                (
                    {"a": {"session_cookie": "x"}},
                    "sweep_config.a.session_cookie",
                    SensitiveFieldError,
                ),
                ({"token": "x"}, "sweep_config.token", SensitiveFieldError),
                ({"cookie": "x"}, "sweep_config.cookie", SensitiveFieldError),
                ({"access_token": "x"}, "sweep_config.access_token", SensitiveFieldError),
                (
                    {"aws_secret_access_key": "x"},
                    "sweep_config.aws_secret_access_key",
                    SensitiveFieldError,
                ),
                ({"X-Api-Key": "x"}, "sweep_config.X-Api-Key", SensitiveFieldError),
                ({"password_hash": "x"}, "sweep_config.password_hash", SensitiveFieldError),
                ({AKIA: 1}, "sweep_config.[REDACTED]", SensitiveFieldError),
                ({"note": f"id {AKIA} here"}, "sweep_config.note", SensitiveFieldError),
                ({"note": f"x{AKIA}"}, "sweep_config.note", SensitiveFieldError),
                ({"url": "postgresql://u:hunter2@db/x"}, "sweep_config.url", SensitiveFieldError),
                ({"h": "bearer abc"}, "sweep_config.h", SensitiveFieldError),
                ({"h": ["ok", JWT]}, "sweep_config.h[1]", SensitiveFieldError),
                (
                    {"k": "-----BEGIN RSA PRIVATE KEY-----\nMIIB"},
                    "sweep_config.k",
                    SensitiveFieldError,
                ),
                ({"x": float("nan")}, "sweep_config.x", CanonicalJsonError),
                ({"x": float("inf")}, "sweep_config.x", CanonicalJsonError),
                ({"x": {1, 2}}, "sweep_config.x", CanonicalJsonError),
                ({"x": b"b"}, "sweep_config.x", CanonicalJsonError),
                ({"x": Decimal("1.5")}, "sweep_config.x", CanonicalJsonError),
                ({"x": object()}, "sweep_config.x", CanonicalJsonError),
                ({"x": {1: 2}}, "sweep_config.x.1", CanonicalJsonError),
                ({"x": "bad \ud800"}, "sweep_config", CanonicalJsonError),
            ]
        )
    ],
    ("sweep_config=deep5000", accept(sweep_config=deep(5000)), CanonicalJsonError, "sweep_config"),
    ("sweep_config=circular", accept(sweep_config=circular()), CanonicalJsonError, "sweep_config"),
    ("context=dict", accept_raw({"run_id": "r1"}), InvalidFieldError, "context"),
    ("context=none", accept_raw(None), InvalidFieldError, "context"),
    # re-acceptance of r1 with another plan: conflict, nothing written (defect 1 corollary)
    ("reaccept point_count", accept(point_count=11), RunConflictError, "point_count"),
    ("reaccept pps", accept(points_per_shard=2), RunConflictError, "points_per_shard"),
    ("reaccept code", accept(code_version="other"), RunConflictError, "code_version"),
    ("reaccept config", accept(sweep_config={"g": 1}), RunConflictError, "config_fingerprint"),
    # the shard writer
    *[
        (f"shard_id={v!r}", writer(shard_id=v), InvalidFieldError, "shard_id")
        for v in [-1, 2, True, "0", 1.0, None, np.int64(7)]
    ],
    *[
        (f"attempt={v!r}", writer(attempt=v), InvalidFieldError, "attempt")
        for v in [0, 2**31, True, "1", -3, 1.5]
    ],
    ("settings=dict", writer(settings={"effective_params": False}), InvalidFieldError, "settings"),
    (
        "run=dict",
        lambda env: ShardWriter(env.root, env.ref.to_dict(), 0),  # type: ignore[arg-type]
        InvalidFieldError,
        "run",
    ),
    (
        "add=dict",
        lambda env: ShardWriter(env.root, env.ref, 1, s3_client=env.client).add(
            {"point_index": 5}  # type: ignore[arg-type]
        ),
        InvalidFieldError,
        "result",
    ),
    # a ref that disagrees with the accepted plan (defect 9)
    ("ref points_per_shard", ref_with(points_per_shard=6), RunConflictError, "points_per_shard"),
    ("ref point_count", ref_with(point_count=11), RunConflictError, "point_count"),
    ("ref run_date", ref_with(run_date="2026-11-24"), RunConflictError, "run_date"),
    (
        "event plan_digest",
        lambda env: RunRef.from_dict({**env.ref.to_dict(), "points_per_shard": 6}),
        InvalidFieldError,
        "plan_digest",
    ),
    ("event not a mapping", lambda env: RunRef.from_dict([1]), InvalidFieldError, "run"),  # type: ignore[arg-type]
    # points
    *[
        (f"point_index={v!r}", point(point_index=v), err, "point_index")
        for v, err in [
            (-1, InvalidFieldError),
            (4, PointIndexOutOfRangeError),
            (10, PointIndexOutOfRangeError),
            (2**64, InvalidFieldError),
            (True, InvalidFieldError),
            ("6", InvalidFieldError),
            (5, DuplicatePointError),
            (np.int64(3), PointIndexOutOfRangeError),
        ]
    ],
    ("params=list", point(params=[1]), InvalidFieldError, "params"),
    (
        "params=dbPassword",
        point(params={"dbPassword": "hunter2"}),
        SensitiveFieldError,
        "params.dbPassword",
    ),
    ("params=akia-value", point(params={"k": f"id {AKIA}"}), SensitiveFieldError, "params.k"),
    ("params=nan", point(params={"x": float("nan")}), CanonicalJsonError, "params.x"),
    ("params=deep", point(params=deep(5000)), CanonicalJsonError, "params"),
    ("params=circular", point(params=circular()), CanonicalJsonError, "params"),
    ("params=circular-list", point(params=circular_list()), CanonicalJsonError, "params"),
    ("params=int-key", point(params={3: 1}), CanonicalJsonError, "params.3"),
    ("started_at=naive", point(started_at=datetime(2026, 1, 1)), InvalidFieldError, "started_at"),
    (
        "started_at=year1+05",
        point(started_at=datetime(1, 1, 1, tzinfo=PLUS5)),
        InvalidFieldError,
        "started_at",
    ),
    ("finished_at=str", point(finished_at="later"), InvalidFieldError, "finished_at"),
    ("finished<started", point(finished_at=T0 - timedelta(1)), InvalidFieldError, "finished_at"),
    ("metric=akia", point(metrics={"m": AKIA}), InvalidFieldError, "metrics.m"),
    ("metric=10**400", point(metrics={"m": 10**400}), InvalidFieldError, "metrics.m"),
    ("metric=nan", point(metrics={"m": float("nan")}), NonFiniteMetricError, "metrics.m"),
    ("metric=inf", point(metrics={"m": np.float64("inf")}), NonFiniteMetricError, "metrics.m"),
    ("metric=bool", point(metrics={"m": True}), InvalidFieldError, "metrics.m"),
    ("metric=api_key", point(metrics={"api_key": 1.0}), SensitiveFieldError, "metrics.api_key"),
    (
        "metric=clientSecret",
        point(metrics={"clientSecret": 1.0}),
        SensitiveFieldError,
        "metrics.clientSecret",
    ),
    ("metric=akia-name", point(metrics={AKIA: 1.0}), SensitiveFieldError, "metrics.[REDACTED]"),
    ("metric=empty-name", point(metrics={"": 1.0}), InvalidFieldError, "metrics"),
    ("metrics=list", point(metrics=[("m", 1.0)]), InvalidFieldError, "metrics"),
    ("error=empty", point(error=""), InvalidFieldError, "error"),
    ("error=int", point(error=5), InvalidFieldError, "error"),
    ("error=surrogate", point(error="x \udfff"), InvalidFieldError, "error"),
    # defect 5: a failed point keeps no metrics — refused
    ("failed+metrics", point(error="boom", metrics={"peak": 3.0}), InvalidFieldError, "metrics"),
    # the same hostile points after the writer's fast path has taken valid ones
    *[
        (f"fast {name}", fast_point(**kw), err, field)
        for name, kw, err, field in [
            ("metric=10**400", {"metrics": {"peak": 10**400}}, InvalidFieldError, "metrics.peak"),
            (
                "metric=nan",
                {"metrics": {"peak": float("nan")}},
                NonFiniteMetricError,
                "metrics.peak",
            ),
            ("metric=bool", {"metrics": {"peak": True}}, InvalidFieldError, "metrics.peak"),
            (
                "metric=dbPassword",
                {"metrics": {"dbPassword": 1.0}},
                SensitiveFieldError,
                "metrics.dbPassword",
            ),
            (
                "params=clientSecret",
                {"params": {"clientSecret": "x"}},
                SensitiveFieldError,
                "params.clientSecret",
            ),
            (
                "params=PGPASSWORD",
                {"params": {"PGPASSWORD": "hunter2"}},
                SensitiveFieldError,
                "params.PGPASSWORD",
            ),
            ("params=url", {"params": {"u": "pg://u:hunter2@db"}}, SensitiveFieldError, "params.u"),
            ("failed+metrics", {"error": "token=hunter2"}, InvalidFieldError, "metrics"),
            (
                "started_at=year1+05",
                {"started_at": datetime(1, 1, 1, tzinfo=PLUS5)},
                InvalidFieldError,
                "started_at",
            ),
            (
                "point_index=np-out",
                {"point_index": np.int64(2**62)},
                PointIndexOutOfRangeError,
                "point_index",
            ),
            (
                "point_index=np-bool",
                {"point_index": np.bool_(True)},
                InvalidFieldError,
                "point_index",
            ),
            ("point_index=dup", {"point_index": 6}, DuplicatePointError, "point_index"),
        ]
    ],
    # values of any type carrying a secret: the error's .value, message and chain stay masked
    ("run_id=akia", accept(run_id=AKIA), SensitiveFieldError, "run_id"),
    ("run_id=jwt", accept(run_id=JWT), SensitiveFieldError, "run_id"),
    ("run_id=akia-inside", accept(run_id=f"sweep-{AKIA}-1"), SensitiveFieldError, "run_id"),
    (
        "ref run_id=akia",
        lambda env: RunRef(AKIA, env.ref.run_date, 10, 5),
        SensitiveFieldError,
        "run_id",
    ),
    ("event run_id=akia", event(run_id=AKIA), SensitiveFieldError, "run_id"),
    ("event run_date=akia", event(run_date=AKIA), InvalidFieldError, "run_date"),
    ("event run_date=jwt-bytes", event(run_date=JWT.encode()), InvalidFieldError, "run_date"),
    ("writer ref run_id=akia", tampered_ref(run_id=AKIA), SensitiveFieldError, "run_id"),
    ("params=bytes-akia", point(params={"k": AKIA.encode()}), CanonicalJsonError, "params.k"),
    (
        "params=bytearray-pw",
        point(params={"k": bytearray(b"password=hunter2")}),
        CanonicalJsonError,
        "params.k",
    ),
    ("params=set-akia", point(params={"k": {f"id {AKIA}"}}), CanonicalJsonError, "params.k"),
    ("params=frozenset-jwt", point(params={"k": frozenset({JWT})}), CanonicalJsonError, "params.k"),
    ("params=repr-akia", point(params={"k": Leaky()}), CanonicalJsonError, "params.k"),
    ("params=str-pw", point(params={"k": LeakyStr()}), CanonicalJsonError, "params.k"),
    ("params=list-of-set", point(params={"k": [1, {AKIA}]}), CanonicalJsonError, "params.k[1]"),
    (
        "sweep_config=set-akia",
        accept(sweep_config={"x": {AKIA}}),
        CanonicalJsonError,
        "sweep_config.x",
    ),
    (
        "sweep_config=bytes-url",
        accept(sweep_config={"x": b"postgresql://u:hunter2@db/x"}),
        CanonicalJsonError,
        "sweep_config.x",
    ),
    ("metric=bytes-akia", point(metrics={"m": AKIA.encode()}), InvalidFieldError, "metrics.m"),
    ("metric=list-akia", point(metrics={"m": [AKIA]}), InvalidFieldError, "metrics.m"),
    ("metric=tuple-jwt", point(metrics={"m": (1.0, JWT)}), InvalidFieldError, "metrics.m"),
    (
        "metric=dict-password",
        point(metrics={"m": {"password": "s3cr3tpw"}}),
        InvalidFieldError,
        "metrics.m",
    ),
    ("metric=repr-akia", point(metrics={"m": Leaky()}), InvalidFieldError, "metrics.m"),
    ("metrics=list-akia", point(metrics=[(AKIA, 1.0)]), InvalidFieldError, "metrics"),
    ("metrics=set-akia", point(metrics={AKIA}), InvalidFieldError, "metrics"),
    ("metrics=bytes-pw", point(metrics=b"token=SECRETSECRET"), InvalidFieldError, "metrics"),
    (
        "fast metric=bytes-akia",
        fast_point(metrics={"peak": AKIA.encode()}),
        InvalidFieldError,
        "metrics.peak",
    ),
    ("error=bytes-akia", point(error=AKIA.encode()), InvalidFieldError, "error"),
    ("error=bytes-pw", point(error=b"PGPASSWORD=hunter2 failed"), InvalidFieldError, "error"),
    ("error=list-jwt", point(error=[f"Bearer {JWT}"]), InvalidFieldError, "error"),
    ("error=repr-akia", point(error=Leaky()), InvalidFieldError, "error"),
    # roots (defects 3 and 4)
    ("root=None", root_is(None), ConfigError, "root"),
    ("root=bytes", root_is(b"/tmp/x"), ConfigError, "root"),
    ("root=int", root_is(5), ConfigError, "root"),
    ("root=file", root_is(lambda env: _a_file(env.scratch)), ConfigError, "root"),
    ("root=https-userinfo", root_is("https://user:hunter2@127.0.0.1/x"), ConfigError, "root"),
    ("root=s3-userinfo", root_is("s3://KEY:SECRETSECRET@bucket/x"), ConfigError, "root"),
    ("root=s3-bad-bucket", root_is("s3://Bad_Bucket/x"), ConfigError, "root"),
    ("root=s3-dotdot", root_is("s3://bucket/../x"), ConfigError, "root"),
    ("root=gs", root_is("gs://bucket/x"), ConfigError, "root"),
    ("root=empty", root_is(""), ConfigError, "root"),
    ("root=nul", root_is("/tmp/a\x00b"), ConfigError, "root"),
]


def _a_file(scratch: Path) -> str:
    path = scratch / "a-regular-file"
    path.write_text("x")
    return str(path)


def test_the_table_has_at_least_100_classes() -> None:
    ids = [c[0] for c in CASES]
    assert len(set(ids)) == len(ids) >= 100


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception chained to it, by ``__cause__`` or ``__context__`` (a
    suppressed context too: code can still read it)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__]
    return seen


def texts_of(exc: BaseException) -> list[str]:
    """Every text an error shows: str, repr and args of it and of each chained exception, and
    str/repr of what it keeps (``.value``, ``.stored``, ``.new``, ``.field``, ``.reason``)."""
    texts = []
    for item in chain(exc):
        texts += [str(item), repr(item), repr(item.args)]
        for attr in ("value", "stored", "new", "field", "reason", "message", "run_id"):
            if hasattr(item, attr):
                kept = getattr(item, attr)
                texts += [str(kept), repr(kept)]
    return texts


def assert_masked(name: str, exc: BaseException) -> None:
    for text in texts_of(exc):
        for secret in SECRETS:
            assert secret not in text, f"{name} leaked {secret!r}: {text}"


@pytest.mark.parametrize(("name", "action", "error", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_typed_named_masked_and_writes_nothing(
    env: Env, name: str, action: Callable[[Env], Any], error: type[ExporterError], field: str
) -> None:
    before = listing(env.root, env.endpoint)
    with pytest.raises(ExporterError) as info:
        action(env)
    exc = info.value
    assert type(exc) is error, f"{name}: {type(exc).__name__}: {exc}"
    assert exc.field == field, f"{name}: field {exc.field!r}"  # type: ignore[attr-defined]
    assert field in str(exc)
    assert_masked(name, exc)
    assert listing(env.root, env.endpoint) == before, name


def test_the_mask_check_sees_a_secret_anywhere() -> None:
    """The checks above can fail: a secret in .value, in a suppressed context or in a cause is
    found (the exporter's errors before issue 13 kept bytes and containers as given, and
    chained the parser's ValueError that echoed the text)."""
    plain = InvalidFieldError("k", 1, "bad")
    plain.value = AKIA.encode()
    with pytest.raises(AssertionError):
        assert_masked("value", plain)
    for how in ("cause", "context"):
        try:
            try:
                raise ValueError(f"Invalid isoformat string: {AKIA!r}")
            except ValueError as inner:
                if how == "cause":
                    raise InvalidFieldError("run_date", "x", "bad") from inner
                raise InvalidFieldError("run_date", "x", "bad") from None
        except InvalidFieldError as exc:
            with pytest.raises(AssertionError):
                assert_masked(how, exc)


def test_an_error_keeps_the_type_of_a_redacted_value(env: Env) -> None:
    """A masked .value still says what it was: a RedactedValue with the type's name and the
    value's repr, redacted; a value with no secret in it is kept as given."""
    with pytest.raises(InvalidFieldError) as info:
        point(error=AKIA.encode())(env)
    kept = info.value.value
    assert isinstance(kept, RedactedValue)
    assert (kept.type_name, kept.text) == ("bytes", "b'[REDACTED]'")
    with pytest.raises(InvalidFieldError) as info:
        point(metrics=[("m", 1.0)])(env)
    assert info.value.value == [("m", 1.0)]


#: ``ara --debug`` commands with a secret in their input: (id, argv, exit status). ``{root}`` is the
#: fault root, ``{scratch}`` a scratch folder holding a regular file ``a-regular-file``.
DEBUG_COMMANDS: list[tuple[str, list[str], int]] = [
    (
        "sweep --skip-shard akia",
        ["sweep", "--root", "{root}", "--runs", "1", "--workers", "0", f"--skip-shard={AKIA}:0"],
        2,
    ),
    (
        "sweep root under a file",
        ["sweep", "--root", f"{{scratch}}/a-regular-file/{AKIA}", "--runs", "1", "--quiet"],
        1,
    ),
    ("sweep root userinfo", ["sweep", "--root", "s3://KEY:SECRETSECRET@bucket/x"], 2),
    *[
        (
            f"add-partitions {flag}",
            [
                *("athena", "add-partitions", "--root", "s3://ara-bucket/exports", "--dry-run"),
                *("--run-id", run_id, "--run-date", run_date),
            ],
            2,
        )
        for flag, run_id, run_date in [
            ("--run-date akia", "r1", AKIA),
            ("--run-date jwt", "r1", JWT),
            ("--run-id akia", AKIA, "2026-11-23"),
            ("--run-id jwt", JWT, "2026-11-23"),
        ]
    ],
    ("summary --duckdb akia", ["summary", "--duckdb", f"{{scratch}}/{AKIA}/a.duckdb"], 1),
]


@pytest.mark.parametrize(
    ("name", "argv", "status"), DEBUG_COMMANDS, ids=[c[0] for c in DEBUG_COMMANDS]
)
def test_debug_output_of_a_command_with_a_secret_is_masked(
    env: Env,
    name: str,
    argv: list[str],
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``ara --debug``: the traceback (chained exceptions included), the one-line error and
    stdout show no secret; the command exits as documented and writes nothing."""
    if env.endpoint:
        for key, value in Moto(env.endpoint).env().items():
            monkeypatch.setenv(key, value)
    _a_file(env.scratch)
    before = listing(env.root, env.endpoint), listing(str(env.scratch))
    args = [a.format(root=env.root, scratch=env.scratch) for a in argv]
    assert main(["--debug", *args]) == status, name
    out, err = capsys.readouterr()
    assert "Traceback (most recent call last)" in err, err
    for secret in SECRETS:
        assert secret not in out + err, f"{name} leaked {secret!r}:\n{out}\n{err}"
    assert (listing(env.root, env.endpoint), listing(str(env.scratch))) == before, name


@pytest.mark.parametrize("typed", [False, True], ids=["unexpected", "typed"])
def test_debug_traceback_redacts_every_chained_message(
    typed: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ``--debug`` printer itself: a failure chained to causes that echo secrets prints
    the whole chain, every message redacted. A stub handler stands in for a library that
    fails with its input in the text: no exporter path chains such a cause any more."""

    def failing(args: Any) -> int:
        try:
            try:
                raise KeyError(f"Authorization: Bearer {JWT}")
            except KeyError as inner:
                raise ValueError(f"Invalid isoformat string: {AKIA!r}") from inner
        except ValueError as exc:
            if typed:
                raise InvalidFieldError("run_date", "x", "bad") from exc
            raise RuntimeError("connect to postgresql://u:hunter2@db failed") from exc

    monkeypatch.setattr("exporter.athena._cli._cmd_repair", failing)
    status = main(["--debug", "athena", "repair", "--root", "s3://ara-bucket/x", "--dry-run"])
    assert status == (2 if typed else 1)
    err = capsys.readouterr().err
    assert err.count("The above exception was the direct cause") == 2, err
    assert "ValueError: Invalid isoformat string: '[REDACTED]'" in err
    for secret in SECRETS:
        assert secret not in err, f"leaked {secret!r}:\n{err}"


def test_the_suite_sees_a_write(env: Env) -> None:
    """The listing check can fail: a valid acceptance of a new run changes it."""
    before = listing(env.root, env.endpoint)
    export_run_context(env.root, ctx(run_id=f"ok-{uuid.uuid4().hex[:6]}"), s3_client=env.client)
    assert listing(env.root, env.endpoint) != before


def test_reproductions_of_defect_1_on_both_roots(env: Env) -> None:
    """A plan that fails late no longer burns the run id: the corrected plan is accepted."""
    run_id = f"late-{uuid.uuid4().hex[:6]}"
    for bad in ({"point_count": 2**64}, {"points_per_shard": 2**63}):
        with pytest.raises(InvalidFieldError):
            export_run_context(env.root, ctx(run_id=run_id, **bad), s3_client=env.client)
    result = export_run_context(env.root, ctx(run_id=run_id), s3_client=env.client)
    assert result.action == "written"


def test_harmless_names_pass(env: Env) -> None:
    """Defect 10: names whose meaning is not a credential are stored as given."""
    names = ["token_count", "secret_fraction", "password_len", "max_token_length", "n_passes"]
    params = {n: 1 for n in names}
    with ShardWriter(env.root, env.ref, 1, s3_client=env.client) as w:
        w.add_point(5, params, started_at=T0, finished_at=T1, metrics={n: 1.0 for n in names})
        w.add_point(np.int64(6), {"a": 1}, started_at=T0, finished_at=T1)
    shard = ShardWriter(env.root, env.ref, np.int64(1), s3_client=env.client)
    assert shard.shard_id == 1 and type(shard.shard_id) is int


def test_a_sparse_shard_added_out_of_order_is_written_sorted(env: Env) -> None:
    """Row groups that overlap with a gap between them (points 2 and 3 never added) are
    rewritten in order; the empty window in the gap used to fail with pyarrow's untyped
    "Row group size cannot be 0" at close, after the worker had done all its work."""
    run_id = f"sparse-{uuid.uuid4().hex[:6]}"
    ref = RunRef(run_id, env.ref.run_date, point_count=6, points_per_shard=6)
    with ShardWriter(env.root, ref, 0, s3_client=env.client, row_group_size=2) as w:
        for i in (0, 4, 1, 5):
            w.add_point(i, {"i": i}, started_at=T0, finished_at=T1)
    for dataset in ("effective_params", "outcomes"):
        rows = read_rows(env.root, env.endpoint, shard_key(dataset, 0, run_id, env.ref.run_date))
        assert [r["point_index"] for r in rows] == [0, 1, 4, 5]


# --------------------------------------------------------------------------- the command line

#: A value far too long to echo, and terminal escapes a value must not carry to the terminal.
HUGE = "x" * 100_000
ANSI = "\x1b[31mred\x1b[0m"
CLEAR = "\x1b[2J"

#: ``ara`` with bad arguments: (id, argv, exit status, what the one error line must contain).
#: ``{root}`` is a local export root holding an old spool file (a cleanup that ran would remove
#: it), ``{duckdb}`` a DuckDB file whose dim_runs holds runs r1 and r2, ``{scene}`` the folder of
#: both, ``{busy_port}`` a port a socket of the test holds. ``ara athena local`` runs as a real
#: process (:func:`_in_a_process`), everything else in-process through ``exporter.cli.main``.
CLI_CASES: list[tuple[str, list[str], int, tuple[str, ...]]] = [
    # cleanup --older-than
    *[
        (
            f"cleanup --older-than {name}",
            ["cleanup", "--older-than", value, "--root", "{root}"],
            2,
            ("argument --older-than: ", *shows),
        )
        for name, value, shows in [
            ("1000000000d", "1000000000d", ("must be at most 999999999d", "'1000000000d'")),
            ("142857143w", "142857143w", ("must be at most 999999999d", "'142857143w'")),
            ("5000 digits", "9" * 5000 + "s", ("must be at most 999999999d", "…(5,001 chars)")),
            ("akia", AKIA, ("expected a duration", "'[REDACTED]'")),
            ("bearer-jwt", f"Bearer {JWT}", ("expected a duration", "[REDACTED]")),
            ("huge", HUGE, ("expected a duration", "…(100,000 chars)")),
            ("ansi", f"{CLEAR}1d", ("expected a duration", "\\x1b[2J1d")),
            ("0h", "0h", ("must be longer than 0", "'0h'")),
        ]
    ],
    (
        "cleanup unrecognized ansi+akia",
        ["cleanup", "--older-than", "1d", "--root", "{root}", f"{ANSI}{AKIA}", ANSI],
        2,
        ("unrecognized arguments: \\x1b[31mred\\x1b[0m",),
    ),
    ("cleanup no --older-than", ["cleanup", "--root", "{root}"], 2, ("--older-than",)),
    # athena local
    ("athena local --port 70000", ["athena", "local", "--port", "70000"], 2, ("--port", "'70000'")),
    ("athena local --port -1", ["athena", "local", "--port", "-1"], 2, ("--port", "'-1'")),
    ("athena local --port akia", ["athena", "local", "--port", AKIA], 2, ("--port", "[REDACTED]")),
    (
        "athena local --bucket Bad_Bucket!",
        ["athena", "local", "--bucket", "Bad_Bucket!"],
        2,
        ("argument --bucket: expected an S3 bucket name", "'Bad_Bucket!'"),
    ),
    ("athena local --bucket akia", ["athena", "local", "--bucket", AKIA], 2, ("--bucket",)),
    (
        "athena local port in use",
        ["athena", "local", "--port", "{busy_port}"],
        1,
        ("ara: error: cannot serve on 127.0.0.1:{busy_port}: ",),
    ),
    # compare
    ("compare r1 r1", ["compare", "r1", "r1", "--duckdb", "{duckdb}"], 2, ("NEW='r1'", "same run")),
    ("compare huge huge", ["compare", HUGE, HUGE, "--duckdb", "{duckdb}"], 2, ("same run",)),
    (
        "compare huge",
        ["compare", "r1", HUGE, "--duckdb", "{duckdb}"],
        1,
        ("run xxxx", "…(100,000 chars) is not in dim_runs", "runs: r1, r2"),
    ),
    (
        "compare ansi",
        ["compare", "r1", ANSI, "--duckdb", "{duckdb}"],
        1,
        ("run \\x1b[31mred\\x1b[0m is not in dim_runs",),
    ),
    ("compare newline", ["compare", "a\nb", "r2", "--duckdb", "{duckdb}"], 1, ("run a\\nb is",)),
    ("compare akia", ["compare", "r1", AKIA, "--duckdb", "{duckdb}"], 1, ("run [REDACTED] is",)),
    (
        "compare --rtol akia",
        ["compare", "r1", "r2", "--duckdb", "{duckdb}", "--rtol", AKIA],
        2,
        ("argument --rtol: ", "[REDACTED]"),
    ),
    (
        "report --compare r1 r1",
        ["report", "--duckdb", "{duckdb}", "--out", "{scene}/report", "--compare", "r1", "r1"],
        2,
        ("--compare='r1'", "same run"),
    ),
    # any command: argparse's own messages
    (
        "sweep --runs akia",
        ["sweep", "--root", "{root}", "--runs", AKIA],
        2,
        ("--runs", "[REDACTED]"),
    ),
    (
        "bootstrap --statement-timeout jwt",
        [
            "athena",
            "bootstrap",
            "--root",
            "s3://ara-bucket/x",
            "--dry-run",
            "--statement-timeout",
            JWT,
        ],
        2,
        ("argument --statement-timeout: ", "[REDACTED]"),
    ),
    ("command ansi", [f"{ANSI}sweep"], 2, ("invalid choice: '\\x1b[31mred",)),
    ("command huge", [HUGE], 2, ("invalid choice: 'xxxx", "…(100,000 chars)' (choose from")),
    ("no command", [], 2, ("the following arguments are required: COMMAND",)),
]


@dataclass
class CliScene:
    folder: Path
    root: Path
    duckdb: Path
    busy_port: int

    def fill(self, text: str) -> str:
        for name, value in [
            ("root", self.root),
            ("duckdb", self.duckdb),
            ("scene", self.folder),
            ("busy_port", self.busy_port),
        ]:
            text = text.replace(f"{{{name}}}", str(value))
        return text

    def listing(self) -> list[tuple[str, int]]:
        return listing(str(self.folder))


@pytest.fixture(scope="module")
def cli_scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliScene]:
    import os
    import socket

    folder = tmp_path_factory.mktemp("cli")
    root = folder / "warehouse"
    (root / "_tmp").mkdir(parents=True)
    spool = root / "_tmp" / ".spool-abcd1234.tmp"  # a killed writer's, 10 days old
    spool.write_bytes(b"spool")
    old = (datetime.now() - timedelta(days=10)).timestamp()
    os.utime(spool, (old, old))
    path = folder / "analytics.duckdb"
    write_two_run_marts(path)
    with socket.socket() as busy:  # a port in use: bound and listening
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        yield CliScene(folder, root, path, int(busy.getsockname()[1]))


def _in_a_process(argv: list[str]) -> bool:
    """``ara athena local`` serves until stopped when it accepts its arguments (as it did a
    --port over 65535): it runs as a real process with a timeout, which fails the case."""
    return argv[:2] == ["athena", "local"]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``ara ARGV`` as (exit status, stdout, stderr)."""
    if _in_a_process(argv):
        import subprocess
        import sys

        ara = str(Path(sys.executable).with_name("ara"))
        done = subprocess.run([ara, *argv], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's way out
        status = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(name: str, status: int, out: str, err: str, folder: str = "") -> str:
    """One ``ara: error:`` line, last; before it only argparse's usage (a usage error); no
    traceback, no secret, no terminal escape, nothing echoed at length (``folder``, a temp
    folder the line may name, counts as 8 characters: its length is the machine's). Returns
    the line."""
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith("ara: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], f"{name}:\n{err}"
    before = lines[:-1]
    if status == 2 and before:  # the usage, as argparse prints it
        assert before[0].startswith("usage: ara"), f"{name}:\n{err}"
        assert all(line.startswith(" ") for line in before[1:]), f"{name}:\n{err}"
    else:
        assert before == [], f"{name}: more than the error line:\n{err}"
    assert "Traceback" not in err and "unexpected error" not in err, f"{name}:\n{err}"
    for secret in SECRETS:
        assert secret not in out + err, f"{name} leaked {secret!r}:\n{out}\n{err}"
    assert "\x1b" not in out + err, f"{name}: a raw terminal escape:\n{out!r}\n{err!r}"
    length = len(errors[0].replace(folder, "/tmp/xyz") if folder else errors[0])
    assert length < 300, f"{name}: a {length:,}-character error line"
    return errors[0]


def test_the_cli_table_holds_every_reported_case() -> None:
    ids = [c[0] for c in CLI_CASES]
    assert len(set(ids)) == len(ids)
    reported = {
        "cleanup --older-than 1000000000d",  # a traceback (OverflowError), exit 1
        "cleanup --older-than akia",  # argparse echoed the key id
        "athena local port in use",  # werkzeug's lines, no ara: error: line
        "athena local --port 70000",  # served on 4464
        "athena local --port -1",  # unexpected error: OverflowError, exit 1
        "athena local --bucket Bad_Bucket!",  # unexpected error: ParamValidationError, exit 1
        "compare huge",  # a 100,000-character run id echoed whole
        "compare ansi",  # ANSI escapes passed to the terminal raw
        "compare r1 r1",  # the same run twice, accepted silently
    }
    assert reported <= set(ids), reported - set(ids)


@pytest.mark.parametrize(
    ("name", "argv", "status", "shows"), CLI_CASES, ids=[c[0] for c in CLI_CASES]
)
def test_a_bad_argument_is_one_redacted_error_line_and_writes_nothing(
    cli_scene: CliScene,
    name: str,
    argv: list[str],
    status: int,
    shows: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every bad argument: the documented exit status (2 usage error, 1 a runtime failure),
    one ``ara: error:`` line naming the flag and showing the value redacted, escaped and cut,
    and nothing written (the old spool file a cleanup would remove is still there)."""
    before = cli_scene.listing()
    got, out, err = run_cli([cli_scene.fill(a) for a in argv], capsys)
    assert got == status, f"{name}: exit {got}\n{err}"
    line = assert_one_error_line(name, status, out, err, str(cli_scene.folder))
    for fragment in shows:
        assert cli_scene.fill(fragment) in line, f"{name}: {fragment!r} not in\n{line}"
    if status == 2:
        assert out == "", name
    assert cli_scene.listing() == before, name


def test_a_port_in_use_prints_no_werkzeug_lines(
    cli_scene: CliScene, capsys: pytest.CaptureFixture[str]
) -> None:
    """werkzeug, binding the port itself, printed "Address already in use" and "Port … is in
    use by another program" and exited 1 with no ``ara: error:`` line."""
    status, out, err = run_cli(["athena", "local", "--port", str(cli_scene.busy_port)], capsys)
    assert status == 1, err
    line = assert_one_error_line("port in use", status, out, err)
    assert line == (
        f"ara: error: cannot serve on 127.0.0.1:{cli_scene.busy_port}: Address already in use"
    )
    assert "in use by another program" not in err and "export " not in out


def test_the_cli_checks_can_fail(capsys: pytest.CaptureFixture[str]) -> None:
    """The line checks above see what the tester reported: argparse's own two-line form, a
    traceback, a secret, a raw escape, a 100,000-character echo, a werkzeug line."""
    bad = [
        "usage: ara cleanup [-h]\nara cleanup: error: argument --older-than: got 'x'\n",
        "Traceback (most recent call last):\nOverflowError: x\nara: error: x\n",
        f"ara: error: got '{AKIA}'\n",
        f"ara: error: run {ANSI} is not in dim_runs\n",
        f"ara: error: run {HUGE} is not in dim_runs\n",
        "Address already in use\nara: error: cannot serve\n",
    ]
    for err in bad:
        with pytest.raises(AssertionError):
            assert_one_error_line("check", 1, "", err)
