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
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import CanonicalJsonError, InvalidFieldError, SensitiveFieldError

__all__ = [
    "COMPOUND_ENDINGS",
    "CREDENTIAL_PAIRS",
    "CREDENTIAL_WORDS",
    "ENV_ALLOWED_NAMES",
    "MAX_DEPTH",
    "VOLATILE_CONFIG_KEYS",
    "allow_names",
    "canonical_json",
    "config_fingerprint",
    "credential_shape",
    "flat_canonical_json",
    "name_words",
    "param_hash",
    "redact",
    "refuse_credentials",
    "sensitive_name",
    "sha256_hex",
    "stable_config",
]

#: Top-level sweep-config keys that change from request to request without changing the sweep;
#: they are left out of the config fingerprint (and of the stored config).
VOLATILE_CONFIG_KEYS: frozenset[str] = frozenset(
    {"accepted_at", "request_id", "requested_at", "submitted_at", "timestamp", "trace_id"}
)

#: Words whose meaning, as the head noun of a name, is a credential (``dbPassword``,
#: ``client_secret``, ``session-cookie``). A name is split into words at ``_ . - `` and spaces
#: and at camelCase humps; only the *last* word counts, so ``token_count``, ``secret_fraction``,
#: ``password_len`` and ``max_token_length`` are ordinary names.
CREDENTIAL_WORDS: frozenset[str] = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "token",
        "cookie",
        "cookies",
        "credential",
        "credentials",
        "authorization",
        "bearer",
        "apikey",
        "accesskey",
        "privatekey",
        "secretkey",
        "authheader",
        "sessionid",
        "sessiontoken",
    }
)
#: Two-word endings that are a credential (``api_key``, ``aws_secret_access_key``).
CREDENTIAL_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("auth", "header"),
        ("session", "id"),
        ("signing", "key"),
        ("encryption", "key"),
        ("client", "secret"),
        ("auth", "token"),
    }
)
#: Credential words that also count at the *end* of a one-word compound, the way shouted and
#: all-lowercase names are written (``PGPASSWORD``, ``dbpassword``, ``CLIENTSECRET``,
#: ``githubtoken``): there are no camelCase humps to split at.
COMPOUND_ENDINGS: tuple[str, ...] = (
    "password",
    "passwords",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
)
#: Last words that only carry what the word before them names (``password_hash``,
#: ``token_value``, ``api_key_b64``): the name is judged by the word before.
_CARRIER_WORDS: frozenset[str] = frozenset(
    {
        "value",
        "val",
        "str",
        "string",
        "text",
        "b64",
        "base64",
        "hex",
        "raw",
        "plain",
        "hash",
        "header",
        "env",
        "enc",
        "encrypted",
        "json",
    }
)
#: Names the caller declared harmless although they read like a credential; see
#: :func:`allow_names` and the ``ARA_ALLOWED_NAMES`` environment variable (comma-separated).
ENV_ALLOWED_NAMES = "ARA_ALLOWED_NAMES"
_ALLOWED_NAMES: set[str] = {
    n.strip() for n in os.environ.get(ENV_ALLOWED_NAMES, "").split(",") if n.strip()
}
#: Containers nested deeper than this are refused (and a circular one is refused with it).
MAX_DEPTH = 100

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AROA|AIDA|AGPA)[A-Z0-9]{16}(?![A-Z0-9])")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@")
_PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_SCHEME_AT_START = re.compile(r"(?i)^\s*bearer\s+\S+")
_BASIC_AT_START = re.compile(r"(?i)^\s*basic\s+([A-Za-z0-9+/]{4,}={0,2})\s*$")


def name_words(name: str) -> list[str]:
    """``name`` split into lowercase words at separators and camelCase humps."""
    return [w.lower() for w in _WORD.findall(name)]


def allow_names(*names: str) -> None:
    """Declare names that read like a credential but are not one in your sweep (for example a
    parameter literally named ``token`` that counts tokens). Exact, case-sensitive names; they
    pass the *name* check only — a credential-shaped *value* is refused whatever its name."""
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidFieldError("allow_names", name, "names must be non-empty strings")
    _ALLOWED_NAMES.update(names)
    _sensitive_key.cache_clear()


def credential_shape(text: str) -> bool:
    """True when ``text`` holds something shaped like a credential: an AWS access key id
    anywhere, a JWT, a URL with a password in its userinfo, a PEM private key, or the whole
    text an HTTP ``Bearer``/``Basic`` credential (schemes are case-insensitive)."""
    if _AWS_KEY_ID.search(text) or _JWT.search(text) or _PEM_KEY.search(text):
        return True
    if _URL_USERINFO.search(text) or _SCHEME_AT_START.match(text):
        return True
    basic = _BASIC_AT_START.match(text)
    if basic:
        import base64
        import binascii

        try:
            decoded = base64.b64decode(basic.group(1) + "==", validate=False)
        except (binascii.Error, ValueError):
            return False
        return b":" in decoded
    return False


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


@functools.lru_cache(maxsize=4096)
def _sensitive_key(key: str) -> bool:
    """Whether a name (a mapping key, a metric name) means a credential, or is shaped like one."""
    if credential_shape(key):
        return True
    if key in _ALLOWED_NAMES:
        return False
    words = name_words(key)
    while len(words) > 1 and words[-1] in _CARRIER_WORDS:
        words.pop()
    if not words:
        return False
    if words[-1] in CREDENTIAL_WORDS or words[-1].endswith(COMPOUND_ENDINGS):
        return True
    return len(words) > 1 and (words[-2], words[-1]) in CREDENTIAL_PAIRS


def sensitive_name(name: str) -> bool:
    """Public form of the name rule (the streaming writer checks each metric name once)."""
    return _sensitive_key(name)


_MAYBE_SECRET = re.compile(
    r"A[KSRIG][IP]A|eyJ|://|-----BEGIN|[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]"
)


def _sensitive_text(text: str) -> bool:
    # one cheap scan first: almost every string has none of these fragments
    return _MAYBE_SECRET.search(text) is not None and credential_shape(text)


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
    * credential-shaped values: :func:`_sensitive_text` first looks for a fragment
      (``_MAYBE_SECRET``); JSON escapes none of its characters, so a value holding one shows
      it in the text. Substring tests that cover every fragment (``A`` for an AWS key id, the
      others lower-cased) decide when that search runs on the whole text; any hit, even
      across two values, goes the full way.
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
    ) and _MAYBE_SECRET.search(text) is not None:
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


_KEY_NAME = re.compile(
    r"(?i)[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|"
    r"access[_-]?key|private[_-]?key|authorization|credentials?|cookie|session[_-]?id)"
    r"(?:[_.-]?(?:value|str|string|b64|base64|hex|hash|header|env))?"
)
#: A quoted value runs to its closing quote (spaces included: a passphrase); an unquoted one to
#: the next space or delimiter, and may start with an auth scheme (``Bearer xyz``).
_VALUE = (
    r""""[^"]*"?|'[^']*'?"""
    r"""|(?i:(?:bearer|basic|token|digest)\s+)?[^\s"',;&}\]]+"""
)
#: The head of a ``name=value``, ``name: value``, ``"name": "value"`` pair, or of a
#: command-line flag (``--password hunter2``, ``--api-key=…``); whether the name means a
#: credential is decided by :func:`_secret_name`, not by this pattern.
_PAIR_HEAD = re.compile(
    r"""(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z][A-Za-z0-9_.-]*)["']?\s*[=:]\s*"""
    r"""|(?<![A-Za-z0-9_-])--?(?P<flag>[A-Za-z][A-Za-z0-9_.-]*)(?:\s*=\s*|\s+)"""
)
_PAIR_VALUE = re.compile(_VALUE)
_SECRET_IN_TEXT = re.compile(
    r"(?i:\b(?:bearer|digest)\s+[A-Za-z0-9._~+/=-]{3,})"
    r"|(?i:\bbasic)\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{6,}={0,2}"
    r"|(?<![A-Z0-9])(?:AKIA|ASIA|AROA|AIDA|AGPA)[A-Z0-9]{16}(?![A-Z0-9])"
    r"|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
)
#: In free text any userinfo of a url goes, a password or not (``https://TOKEN@host``).
_ANY_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def _secret_name(name: str) -> bool:
    return _KEY_NAME.fullmatch(name) is not None or _sensitive_key(name)


def _redact_pairs(text: str) -> str:
    """Every pair or flag whose name means a credential, value included, as ``[REDACTED]``.

    Only a credential's pair consumes its value: after an ordinary name the scan goes on right
    behind the separator, so ``note: password=…`` still finds the inner pair.
    """
    out: list[str] = []
    pos = 0
    for head in _PAIR_HEAD.finditer(text):
        if head.start() < pos:
            continue  # inside a value already redacted
        name = head["name"] or head["flag"]
        if not _secret_name(name):
            continue
        value = _PAIR_VALUE.match(text, head.end())
        if value is None:
            continue
        out.append(text[pos : head.start()])
        out.append("[REDACTED]")
        pos = value.end()
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with credential-looking pieces replaced by ``[REDACTED]``.

    Used for free text the exporter cannot refuse (a failed point's error message comes from an
    exception, and failing the whole shard over it would lose the outcome), and for every value
    an error message shows. Replaced: ``name=value`` / ``name: value`` / ``"name": "value"``
    pairs and ``--name value`` flags whose name means a credential (the name rule of
    :func:`sensitive_name`, or any name ending in a credential word: ``PGPASSWORD=…``,
    ``aws_secret_access_key=…``, ``"password": "two words"``, ``Authorization: Bearer …``),
    ``Bearer``/``Basic`` credentials (any case), AWS access key ids, JWTs, PEM private keys, and
    the userinfo of URLs (``postgresql://[REDACTED]@db``).
    """
    text = _ANY_USERINFO.sub(r"\1[REDACTED]@", text)
    text = _redact_pairs(text)
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


def refuse_credentials(value: Any, path: str, _depth: int = 0) -> None:
    """Raise :class:`SensitiveFieldError` where ``value`` holds something credential-like.

    Keys named like a secret (password, token, authorization, api_key, …) and values shaped like
    an AWS access key id or an HTTP auth header are refused, never silently stripped: the caller
    must drop them, so what is stored is exactly what was given.
    """
    if _depth > MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        raise _too_deep(path)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _sensitive_key(key):
                shown = "[REDACTED]" if credential_shape(key) else key
                raise SensitiveFieldError(
                    f"{path}.{shown}",
                    "<redacted>",
                    "looks like a credential; exported records never carry one (a harmless "
                    "name can be allowed with exporter.allow_names or ARA_ALLOWED_NAMES)",
                )
            refuse_credentials(item, f"{path}.{key}", _depth + 1)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            refuse_credentials(item, f"{path}[{i}]", _depth + 1)
    elif isinstance(value, str) and _sensitive_text(value):
        raise SensitiveFieldError(
            path, "<redacted>", "looks like a credential; exported records never carry one"
        )
