"""What counts as a credential, and how a text or a value is shown without one.

The credential guard's rules (a name that *means* a credential, a text *shaped* like one), the
walk that finds one in a value (:func:`find_credential`), and the redaction of free text and of
any value an error shows (:func:`redact`, :func:`redacted_repr`). Documented in
docs/data-contract.md ("No credentials, ever").

This module imports nothing from the package: ``errors`` masks with it, and ``_canonical`` and
``_records`` refuse with it (raising the typed errors of ``errors``), so there is no import circle.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AWS_KEY_ID_PREFIXES",
    "COMPOUND_ENDINGS",
    "CREDENTIAL_PAIRS",
    "CREDENTIAL_WORDS",
    "ENV_ALLOWED_NAMES",
    "MAX_DEPTH",
    "REDACTED",
    "allow",
    "credential_shape",
    "find_credential",
    "might_hold_secret",
    "name_words",
    "redact",
    "redacted_repr",
    "secret_name",
    "sensitive_name",
    "sensitive_text",
]

REDACTED = "[REDACTED]"

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
#: Every prefix of an AWS unique id (IAM User Guide, "IAM identifiers", unique identifiers):
#: access key (AKIA), temporary STS access key (ASIA), STS bearer token (ABIA),
#: context-specific credential (ACCA), user (AIDA), group (AGPA), role (AROA), instance
#: profile (AIPA), managed policy (ANPA) and its version (ANVA), public key (APKA),
#: certificate (ASCA); 16 of A-Z 0-9 follow. The one list the guard's shape
#: (:func:`credential_shape`), the redaction (:func:`redact`) and the cheap first scan
#: (:func:`might_hold_secret`) are built from.
AWS_KEY_ID_PREFIXES: tuple[str, ...] = (
    "ABIA",
    "ACCA",
    "AGPA",
    "AIDA",
    "AIPA",
    "AKIA",
    "ANPA",
    "ANVA",
    "APKA",
    "AROA",
    "ASCA",
    "ASIA",
)
_KEY_ID_PREFIX = "(?:" + "|".join(AWS_KEY_ID_PREFIXES) + ")"
#: An AWS key id: a prefix and 16 of A-Z 0-9, not inside a longer run of them.
_KEY_ID = rf"(?<![A-Z0-9]){_KEY_ID_PREFIX}[A-Z0-9]{{16}}(?![A-Z0-9])"
_AWS_KEY_ID = re.compile(_KEY_ID)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@")
_PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_SCHEME_AT_START = re.compile(r"(?i)^\s*bearer\s+\S+")
_BASIC_AT_START = re.compile(r"(?i)^\s*basic\s+([A-Za-z0-9+/]{4,}={0,2})\s*$")


def name_words(name: str) -> list[str]:
    """``name`` split into lowercase words at separators and camelCase humps."""
    return [w.lower() for w in _WORD.findall(name)]


def allow(names: tuple[str, ...]) -> None:
    """Add ``names`` (already checked: non-empty strings) to the allow-list of the name rule;
    the public, checking form is :func:`exporter.allow_names`."""
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


#: The name rule (a mapping key, a metric name), cached: the same function, not a wrapper, as
#: canonical JSON's hot path calls it once per key.
sensitive_name = _sensitive_key


_MAYBE_SECRET = re.compile(
    _KEY_ID_PREFIX + r"|eyJ|://|-----BEGIN|[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]"
)


def might_hold_secret(text: str) -> bool:
    """Whether ``text`` holds a fragment every credential shape has (the cheap first scan of
    :func:`sensitive_text`); False means it holds no credential."""
    return _MAYBE_SECRET.search(text) is not None


def sensitive_text(text: str) -> bool:
    # one cheap scan first: almost every string has none of these fragments
    return _MAYBE_SECRET.search(text) is not None and credential_shape(text)


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
    rf"|{_KEY_ID}"
    r"|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
)
#: In free text any userinfo of a url goes, a password or not (``https://TOKEN@host``).
_ANY_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def secret_name(name: str) -> bool:
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
        if not secret_name(name):
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


def find_credential(value: Any, path: str, _depth: int = 0) -> tuple[str, str] | None:
    """The first place in ``value`` that holds something credential-like, as ``(path, kind)``:
    ``kind`` is ``"name"`` (a mapping key that means or looks like a credential; the path shows
    ``[REDACTED]`` for a key shaped like one), ``"value"`` (a string shaped like one) or
    ``"deep"`` (containers nested deeper than :data:`MAX_DEPTH`, or circular). None when clean.
    The guard that raises on a finding is :func:`exporter._canonical.refuse_credentials`.
    """
    if _depth > MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        return path, "deep"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _sensitive_key(key):
                return f"{path}.{REDACTED if credential_shape(key) else key}", "name"
            found = find_credential(item, f"{path}.{key}", _depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_credential(item, f"{path}[{i}]", _depth + 1)
            if found is not None:
                return found
    elif isinstance(value, str) and sensitive_text(value):
        return path, "value"
    return None


#: How much of a container :func:`redacted_repr` shows (and so checks): items per container and
#: nesting levels. A value cut short counts as redacted: what was not checked is not shown.
REPR_ITEMS = 20
REPR_DEPTH = 8


def redacted_repr(value: Any) -> tuple[str, bool]:
    """``value``'s repr with every credential-like piece as ``[REDACTED]``, for any type, and
    whether anything was hidden.

    Strings and the text of ``bytes``/``bytearray`` pass through :func:`redact`; a container's
    items are shown one by one (a mapping's value under a key that means a credential is
    ``[REDACTED]`` whatever it is); any other object shows its repr, redacted, and counts as
    hidden when its ``str`` would reveal more than the redaction lets through. Containers are cut
    after :data:`REPR_ITEMS` items and :data:`REPR_DEPTH` levels (shown as ``...``, counted as
    hidden); a circular one shows ``...`` where it repeats. A hostile ``__repr__`` that raises
    shows as ``<typename>``.
    """
    hidden: list[bool] = []
    text = _repr(value, 0, hidden, set())
    final = redact(text)
    return final, bool(hidden) or final != text


def _repr(value: Any, depth: int, hidden: list[bool], active: set[int]) -> str:
    if value is None or isinstance(value, bool | int | float):
        try:
            return repr(value)
        except ValueError:  # an int too long to print
            return f"<{type(value).__name__}>"
    if isinstance(value, str):
        masked = redact(value)
        if masked != value:
            hidden.append(True)
        return repr(masked)
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "backslashreplace")
        masked = redact(text)
        if masked == text:
            return repr(value)
        hidden.append(True)
        shown = "b" + repr(masked)
        return shown if isinstance(value, bytes) else f"bytearray({shown})"
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if depth >= REPR_DEPTH or id(value) in active:
            hidden.append(True)
            return "..."
        active.add(id(value))
        try:
            return _container(value, depth, hidden, active)
        finally:
            active.discard(id(value))
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    try:
        plain = str(value)
    except Exception:
        plain = ""
    if redact(plain) != plain and redact(text) == text:
        hidden.append(True)  # its str holds what its repr does not show
    return text


def _container(value: Any, depth: int, hidden: list[bool], active: set[int]) -> str:
    parts: list[str] = []
    items = value.items() if isinstance(value, Mapping) else value
    for i, item in enumerate(items):
        if i >= REPR_ITEMS:
            hidden.append(True)
            parts.append("...")
            break
        if isinstance(value, Mapping):
            key, inner = item
            if isinstance(key, str) and secret_name(key):
                hidden.append(True)
                parts.append(REDACTED)  # the pair, as redact() shows ``password=…``
            else:
                shown_key = _repr(key, depth + 1, hidden, active)
                parts.append(f"{shown_key}: {_repr(inner, depth + 1, hidden, active)}")
        else:
            parts.append(_repr(item, depth + 1, hidden, active))
    body = ", ".join(parts)
    if isinstance(value, Mapping):
        return "{" + body + "}"
    if isinstance(value, list):
        return "[" + body + "]"
    if isinstance(value, tuple):
        return "(" + body + ("," if len(parts) == 1 else "") + ")"
    if not parts:
        return f"{type(value).__name__}()"
    return ("{" + body + "}") if isinstance(value, set) else f"frozenset({{{body}}})"
