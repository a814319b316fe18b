"""Canonical JSON and fingerprints (what counts as a credential lives in ``_secrets``).

Canonical JSON (documented in docs/data-contract.md):

* objects have string keys, sorted by code point; no insignificant whitespace (``,`` and ``:``);
* ``bool`` is ``true``/``false``; ``int`` is written as an integer and stays one (``1`` never
  becomes ``1.0``); a ``float`` is written by Python's shortest round-trip repr, so it always
  carries a ``.`` or an exponent (``1.0``, ``1e-07``) and reads back bit-for-bit;
* strings are UTF-8, not ``\\u`` escaped beyond what JSON requires; tuples are arrays;
* NaN, ±Infinity, sets, bytes, non-string keys and any other object are rejected with a
  :class:`~exporter.errors.CanonicalJsonError` naming the path of the bad value;
* NumPy scalars are converted to the matching Python scalar first.

A fingerprint / hash is the lowercase hex SHA-256 of the canonical JSON's UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._secrets import (
    MAX_DEPTH,
    find_credential,
    might_hold_secret,
    sensitive_name,
    sensitive_text,
)
from .errors import CanonicalJsonError, SensitiveFieldError

__all__ = [
    "VOLATILE_CONFIG_KEYS",
    "canonical_json",
    "config_fingerprint",
    "flat_canonical_json",
    "param_hash",
    "refuse_credentials",
    "sha256_hex",
    "stable_config",
]

#: Top-level sweep-config keys that change from request to request without changing the sweep;
#: they are left out of the config fingerprint (and of the stored config).
VOLATILE_CONFIG_KEYS: frozenset[str] = frozenset(
    {"accepted_at", "request_id", "requested_at", "submitted_at", "timestamp", "trace_id"}
)


def _too_deep(path: str) -> CanonicalJsonError:
    top = re.split(r"[.\[]", path, maxsplit=1)[0]  # the full path would be 100 levels long
    return CanonicalJsonError(
        top, "<nested value>", f"is nested deeper than {MAX_DEPTH} levels (or is circular)"
    )


def _normalise(value: Any, path: str, depth: int = 0) -> Any:
    # bool before int: bool is an int subclass.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalJsonError(path, value, "NaN and infinity are not JSON")
        return float(value)
    if depth > MAX_DEPTH:
        raise _too_deep(path)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError(
                    f"{path}.{key!r}", key, f"object keys must be strings, not {type(key).__name__}"
                )
            out[key] = _normalise(item, f"{path}.{key}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return _normalise(value.item(), path, depth)
    raise CanonicalJsonError(
        path,
        value,
        f"{type(value).__name__} has no canonical JSON form (use str, int, float, "
        "bool, None, list or dict)",
    )


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _plain(value: Any, secrets: bool) -> bool:
    """The hot path: True when ``value`` is built only of exact dict/list/str/int/float/bool/None,
    finite, with string keys (and, with ``secrets``, nothing credential-like), so ``json.dumps``
    can write it as it is. Anything else takes the slow path, which converts or names the fault.
    """
    kind = type(value)
    if kind is str:
        return not (secrets and sensitive_text(value))
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (secrets and sensitive_name(key)):
                return False
            inner = type(item)  # scalars inline: this loop is the exporter's hot path
            if inner is float:
                if not math.isfinite(item):
                    return False
            elif inner is str:
                if secrets and sensitive_text(item):
                    return False
            elif not (inner is int or inner is bool or item is None or _plain(item, secrets)):
                return False
        return True
    if kind is list:
        return all(_plain(item, secrets) for item in value)
    return False


def _one_shot_encoder() -> Callable[[Any, int], Any]:
    """``_ENCODER`` without its per-call set-up: ``JSONEncoder.encode`` builds a new C encoder
    (and a closure) on every call; this one is built once. ``"".join(encoder(value, 0))`` is
    ``_ENCODER.encode(value)``, same text and same errors (``TypeError`` for what has no JSON
    form, ``ValueError`` for NaN and infinity); a cycle raises ``RecursionError`` (no marker
    dict). Without the C accelerator: ``encode`` itself, as one chunk."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has it
        return lambda value, _level: (_ENCODER.encode(value),)
    return make(  # type: ignore[no-any-return]
        None,  # markers: none, a cycle ends in RecursionError
        _ENCODER.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        None,  # indent
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        True,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan
    )


_ONE_SHOT = _one_shot_encoder()


def flat_canonical_json(value: dict[str, Any], safe_names: set[str]) -> str | None:
    """The canonical JSON of a flat ``dict`` (no nested object) whose keys are all in
    ``safe_names`` — names an earlier full check (:func:`canonical_json` with
    ``refuse_secrets``) passed — else None (then call :func:`canonical_json`).

    Why it checks what the full check does, with C-level calls only:

    * keys: ``value.keys() <= safe_names`` — only ``str`` names that passed the name rule
      (allowing names only ever widens it, so a name once passed stays passed); no nested
      object (no ``{`` after the first), so these are all the keys;
    * values: the encoder refuses what has no JSON form (``TypeError``), NaN and infinity
      (``ValueError``) and cycles; it writes ``int``/``float``/``str`` subclasses as
      :func:`canonical_json` does; at most ``MAX_DEPTH`` arrays (``[``): no deeper nesting;
    * credential-shaped values: :func:`~exporter._secrets.sensitive_text` first looks for a
      fragment (:func:`~exporter._secrets.might_hold_secret`); JSON escapes none of its
      characters, so a value holding one shows it in the text. Substring tests that cover
      every fragment (``A`` for an AWS key id, the others lower-cased) decide when that
      search runs on the whole text; any hit, even across two values, goes the full way.
    """
    if not value.keys() <= safe_names:
        return None
    try:
        text = "".join(_ONE_SHOT(value, 0))
    except (TypeError, ValueError, RecursionError):
        return None
    if text.find("{", 1) >= 0 or ("[" in text and text.count("[") > MAX_DEPTH):
        return None
    low = text.lower()
    if (
        "A" in text
        or "://" in text
        or "eyj" in low
        or "-----begin" in low
        or "bearer" in low
        or "basic" in low
    ) and might_hold_secret(text):
        return None
    return text


def canonical_json(value: Any, *, field: str = "value", refuse_secrets: bool = False) -> str:
    """``value`` as canonical JSON text; ``field`` names it in errors.

    With ``refuse_secrets`` a credential-like key or value raises :class:`SensitiveFieldError`.
    """
    try:
        plain = _plain(value, refuse_secrets)
    except RecursionError:  # circular or absurdly deep: the slow path names it
        plain = False
    if not plain:
        if refuse_secrets:
            refuse_credentials(value, field)
        value = _normalise(value, field)
    return _ENCODER.encode(value)


def sha256_hex(text: str, *, field: str = "value") -> str:
    """Lowercase hex SHA-256 of ``text``'s UTF-8 bytes."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJsonError(
            field, "<text>", "holds a lone surrogate, which is not valid Unicode"
        ) from None
    return hashlib.sha256(data).hexdigest()


def param_hash(params: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a point's effective parameters."""
    return sha256_hex(canonical_json(params, field="params"), field="params")


def stable_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The sweep config without its volatile top-level keys."""
    return {k: v for k, v in config.items() if k not in VOLATILE_CONFIG_KEYS}


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a sweep configuration, volatile keys left out."""
    return sha256_hex(canonical_json(stable_config(config), field="config"), field="config")


def refuse_credentials(value: Any, path: str) -> None:
    """Raise :class:`SensitiveFieldError` where ``value`` holds something credential-like (the
    rules of :func:`exporter._secrets.find_credential`).

    Keys named like a secret (password, token, authorization, api_key, …) and values shaped like
    an AWS access key id or an HTTP auth header are refused, never silently stripped: the caller
    must drop them, so what is stored is exactly what was given.
    """
    found = find_credential(value, path)
    if found is None:
        return
    where, kind = found
    if kind == "deep":
        raise _too_deep(where)
    if kind == "name":
        raise SensitiveFieldError(
            where,
            "<redacted>",
            "looks like a credential; exported records never carry one (a harmless "
            "name can be allowed with exporter.allow_names or ARA_ALLOWED_NAMES)",
        )
    raise SensitiveFieldError(
        where, "<redacted>", "looks like a credential; exported records never carry one"
    )
