"""Canonical JSON and fingerprints: the rules in docs/data-contract.md."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from decimal import Decimal

import pytest

from exporter import VOLATILE_CONFIG_KEYS, canonical_json, config_fingerprint, param_hash
from exporter.errors import CanonicalJsonError


def test_keys_sorted_and_no_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, 2], "c": {"z": None, "y": True}}) == (
        '{"a":[1,2],"b":1,"c":{"y":true,"z":null}}'
    )


def test_key_order_does_not_change_the_hash() -> None:
    first = {"beta": 0.3, "gamma": 0.1, "nested": {"x": 1, "y": [1, {"q": 2, "p": 3}]}}
    second = {"nested": {"y": [1, {"p": 3, "q": 2}], "x": 1}, "gamma": 0.1, "beta": 0.3}
    assert param_hash(first) == param_hash(second)


def test_list_order_does_change_the_hash() -> None:
    assert param_hash({"xs": [1, 2]}) != param_hash({"xs": [2, 1]})


def test_ints_stay_ints_and_floats_keep_a_point() -> None:
    assert canonical_json({"n": 1, "x": 1.0, "big": 10**20, "tiny": 1e-7}) == (
        '{"big":100000000000000000000,"n":1,"tiny":1e-07,"x":1.0}'
    )
    assert param_hash({"n": 1}) != param_hash({"n": 1.0})


@pytest.mark.parametrize(
    "value", [0.1, 1 / 3, 2.5e-300, 1.7976931348623157e308, -0.0, 123456789.123]
)
def test_floats_round_trip_exactly(value: float) -> None:
    back = json.loads(canonical_json({"v": value}))["v"]
    assert back == value and math.copysign(1, back) == math.copysign(1, value)


def test_unicode_is_utf8_not_escaped_and_hash_is_of_utf8_bytes() -> None:
    text = canonical_json({"ville": "Zürich", "emoji": "🦠"})
    assert text == '{"emoji":"🦠","ville":"Zürich"}'
    import hashlib

    assert (
        param_hash({"ville": "Zürich", "emoji": "🦠"}) == hashlib.sha256(text.encode()).hexdigest()
    )


def test_tuples_are_arrays() -> None:
    assert canonical_json({"t": (1, 2)}) == canonical_json({"t": [1, 2]})


def test_bool_is_not_an_int() -> None:
    assert canonical_json({"flag": True}) == '{"flag":true}'
    assert param_hash({"flag": True}) != param_hash({"flag": 1})


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"x": float("nan")}, "params.x"),
        ({"x": float("inf")}, "params.x"),
        ({"x": [1, -math.inf]}, "params.x[1]"),
        ({"x": {1, 2}}, "params.x"),
        ({"x": b"raw"}, "params.x"),
        ({"x": object()}, "params.x"),
        ({"x": Decimal("1.5")}, "params.x"),
        ({"x": {1: "int key"}}, "params.x.1"),
    ],
)
def test_non_json_values_are_rejected_naming_the_path(value: object, path: str) -> None:
    with pytest.raises(CanonicalJsonError) as info:
        param_hash(value)  # type: ignore[arg-type]
    assert info.value.field == path
    assert path in str(info.value)


def test_numpy_scalars_are_converted() -> None:
    np = pytest.importorskip("numpy")
    assert canonical_json({"a": np.int64(3), "b": np.float64(0.5), "c": np.bool_(True)}) == (
        '{"a":3,"b":0.5,"c":true}'
    )


def test_fingerprint_ignores_volatile_keys() -> None:
    config = {"grid": {"beta": [0.1, 0.2]}}
    noisy = {**config, "request_id": "r-1", "submitted_at": "2026-01-01T00:00:00Z"}
    assert {"request_id", "submitted_at"} <= VOLATILE_CONFIG_KEYS
    assert config_fingerprint(noisy) == config_fingerprint(config)
    assert config_fingerprint({"grid": {"beta": [0.1, 0.3]}}) != config_fingerprint(config)


def test_fingerprint_is_the_same_in_another_process() -> None:
    """Same config => same fingerprint on any machine: no hash seed, no dict order, no locale."""
    config = {"grid": {"gamma": [0.1], "beta": [0.2, 0.3]}, "fixed": {"name": "Zürich"}}
    code = (
        "from exporter import config_fingerprint;"
        "print(config_fingerprint({'fixed': {'name': 'Zürich'},"
        " 'grid': {'beta': [0.2, 0.3], 'gamma': [0.1]}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "LC_ALL": "C", "PATH": ""},
    ).stdout.strip()
    assert out == config_fingerprint(config)


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "cookie",
        "session_cookie",
        "access_token",
        "dbPassword",
        "clientSecret",
        "Authorization",
        "x-api-key",
        "aws_secret_access_key",
        "AKIAIOSFODNN7EXAMPLE",
        "credentials",
    ],
)
def test_credential_names_are_refused(name: str) -> None:
    from exporter._canonical import refuse_credentials
    from exporter.errors import SensitiveFieldError

    with pytest.raises(SensitiveFieldError):
        refuse_credentials({name: 1}, "params")


@pytest.mark.parametrize(
    "name", ["token_count", "secret_fraction", "password_len", "max_token_length", "key", "auth"]
)
def test_harmless_names_pass(name: str) -> None:
    from exporter._canonical import refuse_credentials

    refuse_credentials({name: 1}, "params")
    assert canonical_json({name: 1}, refuse_secrets=True) == f'{{"{name}":1}}'


def test_deep_and_circular_values_are_typed_errors() -> None:
    deep: dict[str, object] = {}
    cur = deep
    for _ in range(60):  # 60 levels are fine (the outside test's legitimate case)
        cur["n"] = {}
        cur = cur["n"]  # type: ignore[assignment]
    assert canonical_json(deep).count("{") == 61
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(CanonicalJsonError) as info:
        canonical_json({"xs": loop}, field="params")
    assert info.value.field == "params"
