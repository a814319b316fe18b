"""The bootstrap's SQL manifest: an ordered list of files, each one statement with placeholders.

:func:`plan_bootstrap` reads a manifest (``exporter/athena/sql/manifest.yml`` by default), renders
every file's ``${placeholder}`` and returns the statements in order. Everything is validated and
rendered before anything is submitted: a missing file, an empty manifest, an unknown placeholder
or an unsafe value (database, bucket, prefix) raises and nothing runs.

``$${name}`` is the escape for a literal ``${name}`` that Athena itself must see (for example
the ``storage.location.template`` of a partition projection): it renders as ``${name}`` and is
never substituted or checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AthenaBootstrapError, ManifestError
from ._settings import AthenaSettings

__all__ = [
    "ADD_PARTITIONS_SQL",
    "DEFAULT_MANIFEST",
    "REPAIR_MANIFEST",
    "SQL_DIR",
    "Statement",
    "load_manifest",
    "plan_bootstrap",
    "render_file",
    "render_sql",
]

SQL_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_MANIFEST = SQL_DIR / "manifest.yml"
REPAIR_MANIFEST = SQL_DIR / "repair.yml"
ADD_PARTITIONS_SQL = SQL_DIR / "add_partitions.sql"

#: ``$${name}`` (group 1: a literal ``${name}``) or ``${name}`` (group 2: a placeholder)
_PLACEHOLDER = re.compile(r"\$\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Statement:
    """One rendered statement: the manifest entry it came from and the SQL that is submitted."""

    entry: str
    path: Path
    sql: str


def _yaml(path: Path) -> Any:
    """pyyaml, imported on first use: a worker (``import exporter``) never needs it."""
    try:
        import yaml
    except ImportError:
        raise AthenaBootstrapError(
            f"manifest={str(path)!r}: reading a YAML manifest needs pyyaml, which is not "
            "installed: pip install 'athena-run-analytics[athena]'"
        ) from None
    return yaml


def load_manifest(manifest: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """The manifest's entries in order, each with its file (which must exist).

    YAML (``.yml``/``.yaml``): a mapping with a ``statements`` list, or a bare list. Any other
    file: one path per line, ``#`` starts a comment. Paths are relative to the manifest's folder.
    """
    path = Path(manifest if manifest is not None else DEFAULT_MANIFEST).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"manifest={str(path)!r}: no such file") from None
    except OSError as exc:
        raise ManifestError(f"manifest={str(path)!r}: cannot be read: {exc}") from None

    entries: Any
    if path.suffix.lower() in {".yml", ".yaml"}:
        yaml = _yaml(path)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ManifestError(f"manifest={str(path)!r}: not valid YAML: {exc}") from None
        if isinstance(data, dict) and "statements" not in data:
            raise ManifestError(
                f"manifest={str(path)!r}: expected a 'statements:' list of SQL files, "
                f"found keys {sorted(map(str, data))}"
            )
        if data is not None and not isinstance(data, list | dict):
            raise ManifestError(
                f"manifest={str(path)!r}: expected a 'statements:' list of SQL files"
            )
        entries = data.get("statements") if isinstance(data, dict) else data
    else:
        entries = [
            line.split("#", 1)[0].strip()
            for line in text.splitlines()
            if line.split("#", 1)[0].strip()
        ]
    if not entries:
        raise ManifestError(f"manifest={str(path)!r}: lists no SQL files; nothing to run")
    if not isinstance(entries, list):
        raise ManifestError(f"manifest={str(path)!r}: 'statements' must be a list of SQL files")

    resolved: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, str) or not entry.strip():
            raise ManifestError(
                f"manifest={str(path)!r}: entry {number}={entry!r} must be a SQL file path"
            )
        entry = entry.strip()
        if entry in seen:
            raise ManifestError(f"manifest={str(path)!r}: entry {entry!r} is listed twice")
        seen.add(entry)
        file = path.parent / entry
        if not file.is_file():
            raise ManifestError(f"manifest={str(path)!r}: entry {entry!r}: no such file {file}")
        resolved.append((entry, file))
    return resolved


def _strip_comment_lines(text: str) -> str:
    """Drop whole-line ``--`` comments (Athena's DDL parser dislikes a leading comment)."""
    lines = [line.rstrip() for line in text.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(line for line in lines).strip()


def _semicolons_outside_quotes(sql: str) -> list[int]:
    positions: list[int] = []
    quote: str | None = None
    for i, char in enumerate(sql):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char == ";":
            positions.append(i)
    return positions


def render_sql(text: str, values: Mapping[str, str], *, entry: str) -> str:
    """One file's statement: comment lines dropped, ``${name}`` replaced, ``$${name}`` kept as
    the literal ``${name}``, one statement only."""
    sql = _strip_comment_lines(text)
    unknown = sorted({m.group(2) for m in _PLACEHOLDER.finditer(sql) if m.group(2)} - set(values))
    if unknown:
        raise ManifestError(
            f"{entry}: unknown placeholder ${{{unknown[0]}}} "
            f"(known: {', '.join('${' + k + '}' for k in sorted(values))}; "
            f"write $${{{unknown[0]}}} for a literal ${{{unknown[0]}}})"
        )
    leftover = _PLACEHOLDER.sub("", sql)
    if "${" in leftover:
        bad = leftover[leftover.index("${") :].split()[0]
        raise ManifestError(f"{entry}: malformed placeholder {bad!r}; use ${{name}}")
    rendered = _PLACEHOLDER.sub(
        lambda m: "${" + m.group(1) + "}" if m.group(1) else values[m.group(2)], sql
    )
    rendered = rendered.rstrip().removesuffix(";").rstrip()
    if not rendered:
        raise ManifestError(f"{entry}: contains no SQL statement")
    if _semicolons_outside_quotes(rendered):
        raise ManifestError(f"{entry}: holds more than one statement; put one per file")
    return rendered


def render_file(path: Path, values: Mapping[str, str], *, entry: str) -> Statement:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{entry}: cannot be read: {exc}") from None
    return Statement(entry=entry, path=path, sql=render_sql(text, values, entry=entry))


def plan_bootstrap(
    settings: AthenaSettings, manifest: str | os.PathLike[str] | None = None
) -> list[Statement]:
    """Every statement of the manifest, rendered, in order; raises before anything could run."""
    values = settings.placeholders()
    return [render_file(file, values, entry=entry) for entry, file in load_manifest(manifest)]
