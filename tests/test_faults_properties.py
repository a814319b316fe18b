"""Fault suite, properties (hypothesis): canonical JSON round trip, hash stability, and the
credential guard / redaction over generated names and texts. Expected values come from the
standard library (``json``, ``hashlib``), never from the exporter's own helpers."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter import canonical_json, param_hash
from exporter._canonical import refuse_credentials
from exporter._secrets import redact
from exporter.errors import SensitiveFieldError

#: ``make faults`` raises the example count through ARA_FAULT_EXAMPLES.
SETTINGS = settings(max_examples=int(os.environ.get("ARA_FAULT_EXAMPLES", 150)), deadline=None)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)


def same(a: Any, b: Any) -> bool:
    """Equal *and* of the same JSON type (1 vs 1.0 vs True differ; -0.0 keeps its sign)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@SETTINGS
@given(values)
def test_canonical_json_round_trips_losslessly(value: Any) -> None:
    assert same(json.loads(canonical_json(value)), value)


@SETTINGS
@given(st.dictionaries(text, values, max_size=6), st.randoms())
def test_hash_is_sha256_of_sorted_compact_json_whatever_the_key_order(
    params: dict[str, Any], rnd: random.Random
) -> None:
    expected = hashlib.sha256(
        json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    items = list(params.items())
    rnd.shuffle(items)
    assert param_hash(params) == expected == param_hash(dict(items))


@SETTINGS
@given(st.dictionaries(text, scalars, min_size=1, max_size=4))
def test_a_changed_value_changes_the_hash(params: dict[str, Any]) -> None:
    key = sorted(params)[0]
    changed = {**params, key: [params[key]]}  # wrapped: a different JSON value
    assert param_hash(changed) != param_hash(params)


harmless = st.sampled_from(["max", "n", "count", "len", "fraction", "rate", "step", "size", "db"])
credential = st.sampled_from(["password", "secret", "token", "cookie", "credentials", "passwd"])
style = st.sampled_from(["snake", "camel", "kebab"])


def join(words: list[str], how: str) -> str:
    if how == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    return ("_" if how == "snake" else "-").join(words)


@SETTINGS
@given(st.lists(harmless, max_size=3), credential, style)
def test_names_ending_in_a_credential_word_are_refused(
    head: list[str], word: str, how: str
) -> None:
    name = join([*head, word], how)
    try:
        refuse_credentials({name: "x"}, "params")
    except SensitiveFieldError as exc:
        assert exc.field == f"params.{name}"
    else:
        raise AssertionError(f"{name} passed")


@SETTINGS
@given(credential, st.lists(harmless, min_size=1, max_size=2), style)
def test_names_merely_containing_a_credential_word_pass(
    word: str, tail: list[str], how: str
) -> None:
    refuse_credentials({join([word, *tail], how): 1}, "params")


filler = st.text(alphabet="abcdefghij klm,;()", max_size=15)
upper = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16)
token = st.text(alphabet="abcdefXYZ0123456789-_.", min_size=6, max_size=30)


@SETTINGS
@given(filler, filler, upper, token, st.sampled_from(["Bearer", "bearer", "BEARER"]))
def test_redaction_removes_generated_secrets(
    before: str, after: str, key_id: str, tok: str, scheme: str
) -> None:
    cases = [
        (f"AKIA{key_id}", f"{before}AKIA{key_id} {after}"),
        (tok, f"{before} {scheme} {tok} {after}"),
        (tok, f'{before} {{"password": "{tok}"}} {after}'),
        (tok, f"{before} aws_secret_access_key={tok} {after}"),
        (tok, f"{before} postgresql://user:{tok}@db/x {after}"),
    ]
    for secret, message in cases:
        assert secret not in redact(message), message
