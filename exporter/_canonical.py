"""Canonical JSON, fingerprints and the credential guard.

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

import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import CanonicalJsonError, SensitiveFieldError

__all__ = [
    "VOLATILE_CONFIG_KEYS",
    "canonical_json",
    "config_fingerprint",
    "param_hash",
    "redact",
    "refuse_credentials",
    "sha256_hex",
    "stable_config",
]

#: Top-level sweep-config keys that change from request to request without changing the sweep;
#: they are left out of the config fingerprint (and of the stored config).
VOLATILE_CONFIG_KEYS: frozenset[str] = frozenset(
    {"accepted_at", "request_id", "requested_at", "submitted_at", "timestamp", "trace_id"}
)

_SENSITIVE_KEY = re.compile(
    r"(?:^|[_.-])(?:password|passwd|passphrase|secret|token|authorization|cookie|credentials?|"
    r"bearer)(?:$|[_.-])|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?header",
    re.IGNORECASE,
)
_SENSITIVE_VALUE = re.compile(
    r"^(?:(?:AKIA|ASIA)[A-Z0-9]{16}|Bearer\s+\S+|Basic\s+[A-Za-z0-9+/=]{8,})$"
)


def _normalise(value: Any, path: str) -> Any:
    # bool before int: bool is an int subclass.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalJsonError(path, value, "NaN and infinity are not JSON")
        return float(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError(
                    f"{path}.{key!r}", key, f"object keys must be strings, not {type(key).__name__}"
                )
            out[key] = _normalise(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{path}[{i}]") for i, item in enumerate(value)]
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return _normalise(value.item(), path)
    raise CanonicalJsonError(
        path,
        value,
        f"{type(value).__name__} has no canonical JSON form (use str, int, float, "
        "bool, None, list or dict)",
    )


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


@functools.lru_cache(maxsize=4096)
def _sensitive_key(key: str) -> bool:
    return _SENSITIVE_KEY.search(key) is not None


def _sensitive_text(text: str) -> bool:
    return text.lstrip()[:1] in ("A", "B") and _SENSITIVE_VALUE.match(text.strip()) is not None


def _plain(value: Any, secrets: bool) -> bool:
    """The hot path: True when ``value`` is built only of exact dict/list/str/int/float/bool/None,
    finite, with string keys (and, with ``secrets``, nothing credential-like), so ``json.dumps``
    can write it as it is. Anything else takes the slow path, which converts or names the fault.
    """
    kind = type(value)
    if kind is str:
        return not (secrets and _sensitive_text(value))
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (secrets and _sensitive_key(key)):
                return False
            inner = type(item)  # scalars inline: this loop is the exporter's hot path
            if inner is float:
                if not math.isfinite(item):
                    return False
            elif inner is str:
                if secrets and _sensitive_text(item):
                    return False
            elif not (inner is int or inner is bool or item is None or _plain(item, secrets)):
                return False
        return True
    if kind is list:
        return all(_plain(item, secrets) for item in value)
    return False


def canonical_json(value: Any, *, field: str = "value", refuse_secrets: bool = False) -> str:
    """``value`` as canonical JSON text; ``field`` names it in errors.

    With ``refuse_secrets`` a credential-like key or value raises :class:`SensitiveFieldError`.
    """
    if not _plain(value, refuse_secrets):
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


_SECRET_IN_TEXT = re.compile(
    r"(?:AKIA|ASIA)[A-Z0-9]{16}"
    r"|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}"
    r"|\b(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|authorization)"
    r"\s*[=:]\s*\S+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with credential-looking pieces replaced by ``[REDACTED]``.

    Used for free text the exporter cannot refuse (a failed point's error message comes from an
    exception, and failing the whole shard over it would lose the outcome).
    """
    return _SECRET_IN_TEXT.sub("[REDACTED]", text)


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
    """Raise :class:`SensitiveFieldError` where ``value`` holds something credential-like.

    Keys named like a secret (password, token, authorization, api_key, …) and values shaped like
    an AWS access key id or an HTTP auth header are refused, never silently stripped: the caller
    must drop them, so what is stored is exactly what was given.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _sensitive_key(key):
                raise SensitiveFieldError(
                    f"{path}.{key}",
                    "<redacted>",
                    "looks like a credential; exported records never carry one",
                )
            refuse_credentials(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            refuse_credentials(item, f"{path}[{i}]")
    elif isinstance(value, str) and _sensitive_text(value):
        raise SensitiveFieldError(
            path, "<redacted>", "looks like a credential; exported records never carry one"
        )
