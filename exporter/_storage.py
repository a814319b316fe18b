"""One root string, a local folder or ``s3://bucket/prefix``, and atomic object writes under it.

Readers never see a partial object: locally an object is written to a temporary file under
``{root}/_tmp/`` (same filesystem, outside every dataset prefix, so no reader's glob sees it)
and renamed into place; on S3 it is one ``PutObject`` of the whole body. S3 uses
boto3's standard settings, ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_S3`` and ``AWS_REGION``
included. Local objects get the normal mode of a new file (``0666`` less the process umask).

Large objects are built in a *spool* file (:meth:`Storage.spool`) and handed over whole with
:meth:`Storage.put_file`. Locally the spool lives under ``{root}/_tmp/`` — outside every dataset
prefix, on the same filesystem, so handing it over is one atomic rename. For S3 it is a local
temporary file, uploaded by ``put_file`` in one ``PutObject`` when small and as a multipart upload
when large (boto3's managed transfer; S3 shows the object only once the upload completes).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ._contract import TEMP_PREFIX
from .errors import ConfigError, StorageError

__all__ = ["SPOOL_PREFIX", "LocalStorage", "S3Storage", "Storage", "open_root"]

#: Where a local root keeps its spool files: outside every dataset prefix, on the same filesystem.
SPOOL_PREFIX = TEMP_PREFIX
#: S3 bodies up to this size go up in one ``PutObject``; larger ones as a multipart upload.
MULTIPART_THRESHOLD = 16 * 1024 * 1024


def _file_mode() -> int:
    """The mode ``open()`` would give a new file: 0666 less the process umask."""
    try:  # Linux: read it without changing it (changing it is not thread-safe)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


class Storage(Protocol):
    """Where exported objects go; keys are ``/``-separated and relative to the root."""

    def put(self, key: str, data: bytes) -> None:
        """Write (or replace) one whole object atomically."""

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Write one object only if none exists; True when this call wrote it."""

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none."""

    def delete(self, key: str) -> None:
        """Remove one object this exporter wrote at ``key`` (no error when there is none)."""

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` (relative to the root), sorted."""

    def uri(self, key: str) -> str:
        """The full location of ``key`` (a path or an ``s3://`` url)."""

    def spool(self) -> Path:
        """A new, empty local file to build an object in, for :meth:`put_file`."""

    def put_file(self, key: str, path: Path) -> None:
        """Write (or replace) one whole object atomically from the file at ``path``.

        The file is consumed: it is gone afterwards, whether the call succeeds or not.
        """


@dataclass(frozen=True)
class LocalStorage:
    base: Path

    def _path(self, key: str) -> Path:
        return self.base.joinpath(*key.split("/"))

    def _temp(self, path: Path, data: bytes) -> str:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            staging = self.base / SPOOL_PREFIX
            staging.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=staging)
        except OSError as exc:
            raise StorageError(f"{path}: {exc}") from None
        try:
            os.fchmod(fd, _file_mode())  # mkstemp's 0600 would survive the rename
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException as exc:
            os.unlink(tmp)
            if isinstance(exc, OSError):
                raise StorageError(f"{path}: {exc}") from None
            raise
        return tmp

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = self._temp(path, data)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            os.unlink(tmp)
            raise StorageError(f"{path}: {exc}") from None

    def put_if_absent(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        tmp = self._temp(path, data)
        try:
            os.link(tmp, path)  # atomic, and fails if the target exists
        except FileExistsError:
            return False
        except OSError as exc:
            raise StorageError(f"{path}: {exc}") from None
        finally:
            os.unlink(tmp)
        return True

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"{self._path(key)}: {exc}") from None

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"{self._path(key)}: {exc}") from None

    def list(self, prefix: str) -> list[str]:
        start = self._path(prefix)
        if not start.exists():
            return []
        return sorted(
            p.relative_to(self.base).as_posix()
            for p in start.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def spool(self) -> Path:
        folder = self.base / SPOOL_PREFIX
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".spool-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise StorageError(f"{folder}: {exc}") from None
        os.close(fd)
        return Path(tmp)

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        try:
            with open(path, "rb+") as handle:
                os.fchmod(handle.fileno(), _file_mode())
                os.fsync(handle.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise StorageError(f"{target}: {exc}") from None


@dataclass(frozen=True)
class S3Storage:
    bucket: str
    prefix: str
    client: Any
    #: Bodies larger than this are uploaded in parts (``put_file``); smaller in one request.
    multipart_threshold: int = field(default=MULTIPART_THRESHOLD, compare=False)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except Exception as exc:
            raise StorageError(f"{self.uri(key)}: {exc}") from None

    def put_if_absent(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*"
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "ConditionalRequestConflict", "412"}:
                return False
            raise StorageError(f"{self.uri(key)}: {exc}") from None
        except BotoCoreError as exc:
            raise StorageError(f"{self.uri(key)}: {exc}") from None
        return True

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise StorageError(f"{self.uri(key)}: {exc}") from None

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            return bytes(body.read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise StorageError(f"{self.uri(key)}: {exc}") from None
        except BotoCoreError as exc:
            raise StorageError(f"{self.uri(key)}: {exc}") from None

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        strip = len(self.prefix) + 1 if self.prefix else 0
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
        except Exception as exc:  # ClientError, BotoCoreError (no credentials, no endpoint)
            raise StorageError(f"{self.uri(prefix)}: {exc}") from None
        return sorted(keys)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def spool(self) -> Path:
        fd, tmp = tempfile.mkstemp(prefix="ara-spool-", suffix=".tmp")
        os.close(fd)
        return Path(tmp)

    def put_file(self, key: str, path: Path) -> None:
        try:
            if path.stat().st_size <= self.multipart_threshold:
                self.put(key, path.read_bytes())
                return
            from boto3.s3.transfer import TransferConfig

            config = TransferConfig(
                multipart_threshold=self.multipart_threshold,
                multipart_chunksize=max(self.multipart_threshold, 5 * 1024 * 1024),
                use_threads=False,
            )
            with open(path, "rb") as body:
                self.client.upload_fileobj(body, self.bucket, self._key(key), Config=config)
        except StorageError:
            raise
        except Exception as exc:  # ClientError, S3UploadFailedError, BotoCoreError, OSError
            raise StorageError(f"{self.uri(key)}: {exc}") from None
        finally:
            path.unlink(missing_ok=True)


#: S3 bucket naming rules (general purpose buckets): 3-63 lowercase letters, digits, dots and
#: hyphens, starting and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def open_root(root: str | os.PathLike[str], *, s3_client: Any = None) -> Storage:
    """Storage for ``root``: ``s3://bucket[/prefix]`` or a local folder (created on first write).

    The root is checked here, before anything is written: a string or path, a valid bucket
    name, no other url scheme, not an existing regular file. Error messages never show the
    userinfo of a url (``s3://KEY:SECRET@bucket``).
    """
    if not isinstance(root, str | os.PathLike):
        raise ConfigError("root", root, "must be a local path or an s3://bucket/prefix string")
    text = os.fspath(root)
    if not isinstance(text, str):
        raise ConfigError("root", text, "must be a str path, not bytes")
    if "\x00" in text:
        raise ConfigError("root", text, "must not contain a NUL character")
    if text.startswith("s3://"):
        bucket, _, prefix = text[len("s3://") :].partition("/")
        if not bucket:
            raise ConfigError("root", text, "an s3 root needs a bucket: s3://bucket/prefix")
        if not _BUCKET.fullmatch(bucket):
            raise ConfigError(
                "root", text, "the bucket name is not a valid S3 bucket name (no credentials)"
            )
        if any(part in {".", ".."} for part in prefix.split("/")):
            raise ConfigError("root", text, "the prefix must not contain '.' or '..' segments")
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        return S3Storage(bucket=bucket, prefix=prefix.strip("/"), client=s3_client)
    if "://" in text:
        raise ConfigError("root", text, "only local paths and s3:// urls are supported")
    if not text:
        raise ConfigError("root", text, "the export root must not be empty")
    try:
        base = Path(text).expanduser().resolve()
    except (OSError, RuntimeError) as exc:
        raise ConfigError("root", text, f"cannot be resolved: {exc}") from None
    if base.exists() and not base.is_dir():
        raise ConfigError("root", text, "exists and is not a folder")
    return LocalStorage(base)
