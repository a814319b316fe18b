"""Removing what killed writers leave behind: stale spool files, incomplete multipart uploads.

A writer killed mid-write (SIGKILL, OOM, a lost node) runs no clean-up: it can leave a spool or
staging file under ``{root}/_tmp/`` (a local root) and, on S3, an incomplete multipart upload
of a large object (which S3 keeps, and bills, until it is aborted). Nothing reads either, but
they pile up. :func:`cleanup_spool` removes them once they are older than a limit, and nothing
else:

* files directly under ``{root}/_tmp/`` whose names are the exporter's own
  (``.spool-XXXXXXXX.tmp`` from :meth:`~exporter._storage.Storage.spool`,
  ``.{object name}.XXXXXXXX.tmp`` from a local root's staging of a small object), regular files
  only, last modified more than ``older_than`` ago; on an S3 root the same names under
  ``{prefix}/_tmp/`` (e.g. a local root copied to S3 with its leftovers);
* on S3, incomplete multipart uploads under the root's prefix to one of the exporter's object
  keys (``{dataset}/run_date=…/run_id=…/*.parquet``) initiated more than ``older_than`` ago.

Anything else — final objects, other files in ``_tmp/``, other tools' uploads under the
prefix, anything younger than the limit — is counted and left alone. Age is measured from the
last modification (a live writer's spool is modified at every row group) or the upload's
initiation, against ``now`` (pinnable, for tests and for a reproducible dry run).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ._contract import DATASETS, RUN_ID_PATTERN, TEMP_PREFIX
from ._storage import LocalStorage, S3Storage, Storage, open_root
from .errors import ConfigError, InvalidFieldError, StorageError

__all__ = [
    "MAX_DURATION",
    "CleanupItem",
    "CleanupReport",
    "cleanup_spool",
    "format_duration",
    "is_host_spool_name",
    "is_spool_name",
    "open_cleanup_root",
    "parse_duration",
]

#: The random part ``tempfile.mkstemp`` puts in a name: 8 of ``a-z 0-9 _``.
_RANDOM = r"[a-z0-9_]{8}"
#: ``.spool-XXXXXXXX.tmp`` (a spool) or ``.{object name}.XXXXXXXX.tmp`` (a staged small object).
_SPOOL_NAME = re.compile(rf"^\.(?:spool-|[A-Za-z0-9][A-Za-z0-9._-]*\.){_RANDOM}\.tmp$")
_OBJECT_KEY = re.compile(
    rf"^(?:{'|'.join(map(re.escape, DATASETS))})/run_date=\d{{4}}-\d{{2}}-\d{{2}}/"
    r"run_id=(?P<run_id>[^/]+)/[A-Za-z0-9_-]+\.parquet$"
)
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
#: The longest duration :func:`parse_duration` accepts: the longest whole days a timedelta holds.
MAX_DURATION = timedelta(days=timedelta.max.days)
_MAX_SECONDS = MAX_DURATION.days * _UNIT["d"]
_MAX_DIGITS = len(str(_MAX_SECONDS))


def is_spool_name(name: str) -> bool:
    """True for the name of a spool or staging file the exporter creates under ``_tmp/``."""
    return _SPOOL_NAME.fullmatch(name) is not None


#: ``ara-spool-XXXXXXXX.tmp``: the local spool of a writer to an S3 root, in the host's temp
#: folder (exporter._storage.S3Storage.spool).
_HOST_SPOOL_NAME = re.compile(rf"^ara-spool-{_RANDOM}\.tmp$")


def is_host_spool_name(name: str) -> bool:
    """True for the name of the local spool file a writer to an S3 root creates in the host's
    temp folder."""
    return _HOST_SPOOL_NAME.fullmatch(name) is not None


def _is_object_key(key: str) -> bool:
    match = _OBJECT_KEY.fullmatch(key)
    return match is not None and RUN_ID_PATTERN.fullmatch(match["run_id"]) is not None


def parse_duration(text: str) -> timedelta:
    """``90m``, ``1h``, ``2d``, ``1h30m`` (units s, m, h, d, w) as a positive timedelta, at most
    :data:`MAX_DURATION`; anything else is an :class:`InvalidFieldError` naming ``older_than``."""
    spec = text.strip().lower()
    if not _DURATION.fullmatch(spec):
        raise InvalidFieldError(
            "older_than", text, "expected a duration such as 90m, 1h or 2d (units s, m, h, d, w)"
        )
    parts = re.findall(r"(\d+)([smhdw])", spec)
    # more digits than the longest duration has seconds: refused before int() (which refuses
    # over 4,300 digits) or timedelta() (which overflows past 999,999,999 days)
    if any(len(n.lstrip("0")) > _MAX_DIGITS for n, _ in parts):
        seconds = _MAX_SECONDS + 1
    else:
        seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if seconds <= 0:
        raise InvalidFieldError("older_than", text, "must be longer than 0")
    if seconds > _MAX_SECONDS:
        raise InvalidFieldError(
            "older_than", text, f"must be at most {MAX_DURATION.days}d (the longest duration)"
        )
    return timedelta(seconds=seconds)


def format_duration(span: timedelta) -> str:
    """A duration as :func:`parse_duration` reads it, in its largest whole unit: ``1d``,
    ``90m``."""
    seconds = int(span.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNIT[unit] == 0:
            return f"{seconds // _UNIT[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class CleanupItem:
    """One thing removed (or, in a dry run, that would be): a spool file or an upload."""

    kind: str  # "spool" or "upload"
    uri: str
    modified: datetime  # last modification (spool) or initiation (upload), UTC
    age: timedelta
    size: int | None = None  # bytes, for a spool file
    upload_id: str | None = None


@dataclass(frozen=True)
class CleanupReport:
    """What :func:`cleanup_spool` found under one root."""

    root: str
    older_than: timedelta
    now: datetime
    dry_run: bool
    #: Removed spool files and aborted uploads (in a dry run: what would be), oldest first.
    removed: tuple[CleanupItem, ...]
    #: The exporter's spool files and uploads younger than the limit, left alone.
    young: int
    #: Other files under ``_tmp/`` and other uploads under the prefix, never touched.
    foreign: int

    @property
    def spools(self) -> tuple[CleanupItem, ...]:
        return tuple(i for i in self.removed if i.kind == "spool")

    @property
    def uploads(self) -> tuple[CleanupItem, ...]:
        return tuple(i for i in self.removed if i.kind == "upload")


def _check(older_than: Any, now: Any) -> datetime:
    if not isinstance(older_than, timedelta) or older_than <= timedelta(0):
        raise InvalidFieldError("older_than", older_than, "must be a timedelta longer than 0")
    if now is None:
        return datetime.now(UTC)
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidFieldError("now", now, "must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _local(
    storage: LocalStorage, older_than: timedelta, now: datetime, dry_run: bool
) -> tuple[list[CleanupItem], int, int]:
    return _folder(storage.base / TEMP_PREFIX, is_spool_name, older_than, now, dry_run)


def _folder(
    folder: Path,
    ours: Callable[[str], bool],
    older_than: timedelta,
    now: datetime,
    dry_run: bool,
) -> tuple[list[CleanupItem], int, int]:
    """The exporter's files directly in ``folder`` (names ``ours`` accepts, regular files)
    older than the limit: removed (unless ``dry_run``); (removed, young, foreign)."""
    removed: list[CleanupItem] = []
    young = foreign = 0
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return removed, young, foreign
    except OSError as exc:
        raise StorageError(f"{folder}: {exc}") from None
    for entry in entries:
        try:
            if not ours(entry.name) or not entry.is_file(follow_symlinks=False):
                foreign += 1
                continue
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # renamed into place by a writer meanwhile
            continue
        except OSError as exc:
            raise StorageError(f"{entry.path}: {exc}") from None
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        age = now - modified
        if age <= older_than:
            young += 1
            continue
        if not dry_run:
            try:
                Path(entry.path).unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StorageError(f"{entry.path}: {exc}") from None
        removed.append(CleanupItem("spool", entry.path, modified, age, size=stat.st_size))
    return removed, young, foreign


def _s3(
    storage: S3Storage, older_than: timedelta, now: datetime, dry_run: bool
) -> tuple[list[CleanupItem], int, int]:
    client = storage.client
    base = f"{storage.prefix}/" if storage.prefix else ""
    temp = f"{base}{TEMP_PREFIX}/"
    removed: list[CleanupItem] = []
    young = foreign = 0
    try:
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=storage.bucket, Prefix=temp
        ):
            for obj in page.get("Contents", []):
                name = obj["Key"][len(temp) :]
                if "/" in name or not is_spool_name(name):
                    foreign += 1
                    continue
                age = now - obj["LastModified"]
                if age <= older_than:
                    young += 1
                    continue
                if not dry_run:
                    client.delete_object(Bucket=storage.bucket, Key=obj["Key"])
                uri = f"s3://{storage.bucket}/{obj['Key']}"
                removed.append(CleanupItem("spool", uri, obj["LastModified"], age, obj["Size"]))
        for page in client.get_paginator("list_multipart_uploads").paginate(
            Bucket=storage.bucket, Prefix=base
        ):
            for upload in page.get("Uploads", []):
                key = upload["Key"]
                if not key.startswith(base) or not _is_object_key(key[len(base) :]):
                    foreign += 1
                    continue
                age = now - upload["Initiated"]
                if age <= older_than:
                    young += 1
                    continue
                if not dry_run:
                    client.abort_multipart_upload(
                        Bucket=storage.bucket, Key=key, UploadId=upload["UploadId"]
                    )
                removed.append(
                    CleanupItem(
                        "upload",
                        f"s3://{storage.bucket}/{key}",
                        upload["Initiated"],
                        age,
                        upload_id=upload["UploadId"],
                    )
                )
    except StorageError:
        raise
    except Exception as exc:  # ClientError, BotoCoreError (no credentials, no endpoint)
        raise StorageError(f"{storage.uri(TEMP_PREFIX)}: {exc}") from None
    return removed, young, foreign


def open_cleanup_root(root: str | os.PathLike[str], *, s3_client: Any = None) -> Storage:
    """The root's storage; a local root must exist (a typo would otherwise find nothing)."""
    storage = open_root(root, s3_client=s3_client)
    if isinstance(storage, LocalStorage) and not storage.base.is_dir():
        raise ConfigError("root", os.fspath(root), "is not an existing folder")
    return storage


def cleanup_spool(
    root: str | os.PathLike[str],
    older_than: timedelta,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    s3_client: Any = None,
    host_spools: bool = False,
    spool_dir: str | os.PathLike[str] | None = None,
) -> CleanupReport:
    """Remove the exporter's spool files older than ``older_than`` under ``{root}/_tmp/`` and,
    on S3, abort its incomplete multipart uploads under the root initiated before that.

    ``dry_run`` finds the same items and removes nothing. ``now`` (default: the current time)
    is what ages are measured against. Nothing else is ever touched (see the module's
    docstring). ``host_spools`` (S3 roots): also remove this host's stale local spool files
    of writers to S3, ``ara-spool-XXXXXXXX.tmp`` in ``spool_dir`` (default: the temp folder,
    ``tempfile.gettempdir()``, which honours ``TMPDIR``); other files there are not counted.
    A malformed root, or a local root that does not exist, is a
    :class:`ConfigError`; a failure to list or remove is a :class:`StorageError`.
    """
    moment = _check(older_than, now)
    storage = open_cleanup_root(root, s3_client=s3_client)
    if isinstance(storage, LocalStorage):
        removed, young, foreign = _local(storage, older_than, moment, dry_run)
    else:
        assert isinstance(storage, S3Storage)
        removed, young, foreign = _s3(storage, older_than, moment, dry_run)
        if host_spools:
            folder = Path(spool_dir if spool_dir is not None else tempfile.gettempdir())
            local, local_young, _ = _folder(folder, is_host_spool_name, older_than, moment, dry_run)
            removed.extend(local)
            young += local_young
    removed.sort(key=lambda item: (item.modified, item.uri))
    return CleanupReport(
        root=os.fspath(root),
        older_than=older_than,
        now=moment,
        dry_run=dry_run,
        removed=tuple(removed),
        young=young,
        foreign=foreign,
    )
