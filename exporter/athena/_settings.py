"""Where the Athena bootstrap runs and the safe patterns of every value pasted into its SQL.

Safe patterns (values pasted into SQL must match, or :class:`~exporter.errors.UnsafeValueError`):

* database: ``^[a-z][a-z0-9_]{0,254}$`` (Glue's lowercase names; no quoting needed);
* bucket: S3 bucket naming rules — 3-63 of ``a-z 0-9 . -``, starting and ending with a letter or
  digit, no ``..``, not an IP address;
* prefix: ``/``-separated segments of ``A-Z a-z 0-9 _ . -``, each starting with a letter, digit,
  ``_`` or ``-`` (so no ``.``/``..`` segments), no ``=`` (it would read as a partition), at most
  512 characters;
* run_id: the contract's ``RUN_ID_PATTERN``; run_date: an ISO date.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .. import _contract as contract
from .._records import parse_iso_date
from ..errors import ConfigError, InvalidFieldError, UnsafeValueError

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_STATEMENT_TIMEOUT",
    "DEFAULT_WORKGROUP",
    "ENV_DATABASE",
    "ENV_MANIFEST",
    "ENV_OUTPUT_LOCATION",
    "ENV_REGIONS",
    "ENV_ROOT",
    "ENV_WORKGROUP",
    "AthenaSettings",
    "split_s3_root",
    "validate_bucket",
    "validate_database",
    "validate_prefix",
    "validate_run_date",
]

DEFAULT_DATABASE = "sweep_analytics"
DEFAULT_WORKGROUP = "primary"
DEFAULT_STATEMENT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 1.0

ENV_ROOT = "ARA_ROOT"
ENV_DATABASE = "ARA_ATHENA_DATABASE"
ENV_WORKGROUP = "ARA_ATHENA_WORKGROUP"
ENV_OUTPUT_LOCATION = "ARA_ATHENA_OUTPUT_LOCATION"
ENV_MANIFEST = "ARA_ATHENA_MANIFEST"
ENV_REGIONS = ("AWS_REGION", "AWS_DEFAULT_REGION")

DATABASE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,254}$")
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
PREFIX_SEGMENT_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
PREFIX_MAX_LENGTH = 512
WORKGROUP_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")


def validate_database(value: Any) -> str:
    if not isinstance(value, str) or not DATABASE_PATTERN.match(value):
        raise UnsafeValueError(
            "database",
            value,
            "must match ^[a-z][a-z0-9_]{0,254}$ (lowercase letters, digits, '_'; a letter first)",
        )
    return value


def validate_bucket(value: Any, field_name: str = "bucket") -> str:
    if (
        not isinstance(value, str)
        or not BUCKET_PATTERN.match(value)
        or ".." in value
        or ".-" in value
        or "-." in value
        or _IP_LIKE.match(value)
    ):
        raise UnsafeValueError(
            field_name,
            value,
            "must be an S3 bucket name: 3-63 of a-z 0-9 . -, starting and ending with a letter "
            "or digit, no '..', not an IP address",
        )
    return value


def validate_prefix(value: Any) -> str:
    if not isinstance(value, str):
        raise UnsafeValueError("prefix", value, "must be a string")
    if value == "":
        return value
    segments = value.split("/")
    if len(value) > PREFIX_MAX_LENGTH or not all(PREFIX_SEGMENT_PATTERN.match(s) for s in segments):
        raise UnsafeValueError(
            "prefix",
            value,
            "must be '/'-separated segments of A-Z a-z 0-9 _ . -, each starting with a letter, "
            f"digit, '_' or '-' (no empty, '.' or '..' segments, no '='), at most "
            f"{PREFIX_MAX_LENGTH} characters",
        )
    return value


def split_s3_root(root: Any) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix), both checked against their safe patterns."""
    if not isinstance(root, str) or not root.startswith("s3://"):
        raise ConfigError(
            "root",
            root,
            "Athena reads from S3: the export root must be s3://bucket[/prefix] "
            f"(--root or {ENV_ROOT})",
        )
    bucket, _, prefix = root[len("s3://") :].partition("/")
    return validate_bucket(bucket), validate_prefix(prefix.strip("/"))


def validate_run_date(value: object) -> date:
    if isinstance(value, datetime):
        raise InvalidFieldError("run_date", value, "must be a datetime.date or YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        parsed = parse_iso_date(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        if parsed is None:  # not raised in a handler: no chained cause echoes the text
            raise InvalidFieldError("run_date", value, "must be a date as YYYY-MM-DD")
        return parsed
    raise InvalidFieldError("run_date", value, "must be a datetime.date or YYYY-MM-DD")


@dataclass(frozen=True)
class AthenaSettings:
    """Where the bootstrap runs and what it points the tables at. Validated on construction.

    ``root`` is the export root (``s3://bucket[/prefix]``); ``output_location`` (Athena's query
    results) and ``region`` are only needed to submit, not for a dry run.
    """

    root: str
    database: str = DEFAULT_DATABASE
    workgroup: str = DEFAULT_WORKGROUP
    output_location: str | None = None
    region: str | None = None
    bucket: str = field(init=False)
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        bucket, prefix = split_s3_root(self.root)
        object.__setattr__(self, "bucket", bucket)
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "root", f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}")
        validate_database(self.database)
        if not isinstance(self.workgroup, str) or not WORKGROUP_PATTERN.match(self.workgroup):
            raise ConfigError("workgroup", self.workgroup, "must be 1-128 of A-Z a-z 0-9 . _ -")
        if self.output_location is not None:
            if not isinstance(self.output_location, str) or not self.output_location.startswith(
                "s3://"
            ):
                raise ConfigError(
                    "output_location", self.output_location, "must be an s3://bucket/prefix/ url"
                )
            validate_bucket(
                self.output_location[len("s3://") :].partition("/")[0], "output_location bucket"
            )
        if self.region is not None and (
            not isinstance(self.region, str) or not REGION_PATTERN.match(self.region)
        ):
            raise ConfigError("region", self.region, "must be an AWS region such as eu-west-1")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, **overrides: str | None
    ) -> AthenaSettings:
        """Settings from ``overrides`` (None means unset), else the environment, else defaults.

        ``ARA_ROOT``, ``ARA_ATHENA_DATABASE``, ``ARA_ATHENA_WORKGROUP``,
        ``ARA_ATHENA_OUTPUT_LOCATION``, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``.
        """
        env = os.environ if env is None else env

        def pick(key: str, *names: str) -> str | None:
            value = overrides.get(key)
            if value:
                return value
            for name in names:
                if env.get(name, "").strip():
                    return env[name].strip()
            return None

        root = pick("root", ENV_ROOT)
        if root is None:
            raise ConfigError("root", None, f"set --root or {ENV_ROOT} to s3://bucket[/prefix]")
        return cls(
            root=root,
            database=pick("database", ENV_DATABASE) or DEFAULT_DATABASE,
            workgroup=pick("workgroup", ENV_WORKGROUP) or DEFAULT_WORKGROUP,
            output_location=pick("output_location", ENV_OUTPUT_LOCATION),
            region=pick("region", *ENV_REGIONS),
        )

    def placeholders(self) -> dict[str, str]:
        """The values a manifest's SQL files may use, each already checked."""
        return {
            "database": self.database,
            "root": self.root,
            "bucket": self.bucket,
            "schema_version": contract.SCHEMA_VERSION,
        }

    def location(self, relative: str) -> str:
        """``{root}/{relative}/``: an S3 folder under the export root."""
        return f"{self.root}/{relative.strip('/')}/"
