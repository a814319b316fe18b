"""AWS key ids of every documented prefix are masked: in free text (``redact``), in a failed
point's error message as the exporter stores it, and refused in a value the exporter would
write (the guard's cheap first scan must know every prefix too).

The prefixes are written here literally, from the IAM User Guide ("IAM identifiers", unique
identifiers: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html),
not read from the product's list, so a prefix dropped from the code fails its own case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from exporter import RunRef, ShardWriter
from exporter._secrets import redact
from exporter.errors import SensitiveFieldError

#: ABIA STS bearer token, ACCA context-specific credential, AGPA group, AIDA user, AIPA instance
#: profile, AKIA access key, ANPA managed policy, ANVA its version, APKA public key, AROA role,
#: ASCA certificate, ASIA temporary (STS) access key
PREFIXES = (
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
TAIL = "IOSFODNN7EXAMPLE"  # 16 of A-Z 0-9, AWS's documentation example
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(milliseconds=250)
RUN = RunRef("run-1", date(2026, 11, 23), point_count=4, points_per_shard=4)


def test_the_key_id_tail_is_sixteen_characters() -> None:
    assert len(TAIL) == 16 and TAIL.isalnum() and TAIL.upper() == TAIL


@pytest.mark.parametrize("prefix", PREFIXES)
def test_redact_masks_a_key_id_of_every_prefix_in_free_text(prefix: str) -> None:
    key = prefix + TAIL
    assert redact(f"AccessDenied: principal {key} is not authorized") == (
        "AccessDenied: principal [REDACTED] is not authorized"
    )
    assert redact(key) == "[REDACTED]"
    assert redact(f"'{key}',{key}") == "'[REDACTED]',[REDACTED]"
    assert redact(f"arn/{key}/x") == "arn/[REDACTED]/x"
    # not a key id: one character short, or inside a longer run of capitals and digits
    for other in (f"{prefix}{TAIL[:-1]}", f"X{key}", f"{key}9"):
        assert redact(f"id {other} here") == f"id {other} here"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_failed_points_error_message_is_stored_with_the_key_id_masked(
    prefix: str, tmp_path: Path
) -> None:
    key = prefix + TAIL
    error = f"botocore: AccessDenied for {key} while reading s3://bucket/input (attempt 2)"
    with ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(0, {"a": 1}, started_at=T0, finished_at=T1, error=error)
        shard.add_point(1, {"a": 2}, started_at=T0, finished_at=T1, metrics={"m": 1.0})
    (path,) = [p for p in tmp_path.rglob("*.parquet") if "outcomes" in p.parts]
    rows = pq.read_table(path, columns=["point_index", "status", "error_message"]).to_pylist()
    assert rows == [
        {
            "point_index": 0,
            "status": "failed",
            "error_message": "botocore: AccessDenied for [REDACTED] while reading "
            "s3://bucket/input (attempt 2)",
        },
        {"point_index": 1, "status": "succeeded", "error_message": None},
    ]
    assert key.encode() not in path.read_bytes()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_parameter_value_holding_a_key_id_is_refused(prefix: str, tmp_path: Path) -> None:
    with pytest.raises(SensitiveFieldError) as info, ShardWriter(tmp_path, RUN, 0) as shard:
        shard.add_point(
            0, {"note": f"ran as {prefix}{TAIL}"}, started_at=T0, finished_at=T1, metrics={}
        )
    assert info.value.field == "params.note"
    assert prefix + TAIL not in str(info.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
