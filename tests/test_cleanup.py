"""``ara cleanup`` / :func:`exporter.cleanup_spool` after SIGKILLed writers, on a local root and
on a moto S3 server over HTTP: exactly the stale spool files (and, on S3, the stale incomplete
multipart uploads) go; young ones, final objects and foreign files stay.

No test sleeps for age. Locally the files' mtimes are set with ``os.utime`` around a pinned
``NOW``. On S3 nothing can set an object's LastModified or an upload's Initiated time (S3 and
moto stamp them on arrival), so the function gets a pinned ``now=`` relative to the times moto
recorded: ten minutes after the newest (everything young), then two hours after it (everything
old). On S3 the exporter's spool is a local temporary file, so a killed writer leaves nothing
under ``{root}/_tmp/`` there; the test puts the names a copied local root would carry.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _faults import (
    FORK,
    ctx,
    kill_count,
    listing,
    s3_client,
    start_loop_writer,
    storage,
    write_shard,
)

from exporter import CleanupReport, RunRef, cleanup_spool, export_run_context
from exporter._cleanup import is_spool_name, parse_duration
from exporter.cli import main
from exporter.errors import ConfigError, InvalidFieldError

#: the fault machinery plans tiny runs on purpose
pytestmark = pytest.mark.filterwarnings("ignore::exporter.SmallShardWarning")

LIMIT = timedelta(hours=1)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
STALE = (NOW - timedelta(hours=3)).timestamp()
FRESH = (NOW - timedelta(minutes=10)).timestamp()
#: Files in _tmp/ that are not the exporter's (mkstemp's random part is 8 of a-z 0-9 _).
FOREIGN_TMP = ("notes.txt", ".spool-short.tmp", ".spool-ABCDEFGH.tmp", "keep/.spool-abcd1234.tmp")
#: What a local root copied to S3 (``aws s3 sync``) carries in _tmp/: the exporter's names.
COPIED_SPOOLS = (".spool-k2j4m5n6.tmp", ".shard-00001.parquet.a_b9c8d7.tmp")
MiB = 1024 * 1024


@pytest.fixture
def endpoint(root: str, request: pytest.FixtureRequest) -> str | None:
    return str(request.getfixturevalue("moto").endpoint) if root.startswith("s3://") else None


def _split(root: str) -> tuple[str, str]:
    bucket, _, prefix = root[len("s3://") :].partition("/")
    return bucket, prefix


def _uploads(root: str, endpoint: str | None) -> list[tuple[str, str]]:
    """(key, upload id) of every incomplete multipart upload in the root's bucket."""
    if endpoint is None:
        return []
    bucket, _ = _split(root)
    pages = s3_client(endpoint).get_paginator("list_multipart_uploads").paginate(Bucket=bucket)
    return sorted((u["Key"], u["UploadId"]) for p in pages for u in p.get("Uploads", []))


def _accept(root: str, endpoint: str | None) -> RunRef:
    client = s3_client(endpoint) if endpoint else None
    ref = ctx(run_id="k1", point_count=40, points_per_shard=5)
    return export_run_context(root, ref, s3_client=client).run


def _leftovers(root: str) -> list[Path]:
    folder = Path(root) / "_tmp"
    return sorted(p for p in folder.iterdir() if p.is_file() and is_spool_name(p.name))


def _kill_writers(root: str, endpoint: str | None, ref: RunRef) -> int:
    """SIGKILL looping writers at random moments; locally until two leftovers exist."""
    seed = int(os.environ.get("ARA_FAULT_SEED", random.randrange(2**32)))
    print(f"ARA_FAULT_SEED={seed}")
    rng = random.Random(seed)
    kills = 0
    while kills < kill_count(3) or (endpoint is None and len(_leftovers(root)) < 2):
        assert kills < 60, "60 SIGKILLs left fewer than two spool files"
        proc = start_loop_writer(root, endpoint, ref)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.kill()  # no clean-up of any kind runs in the writer
        proc.join(10)
        assert proc.exitcode == -9
        kills += 1
    if endpoint is not None:
        _settle(root, endpoint)
    return kills


def _settle(root: str, endpoint: str) -> None:
    """Wait until the moto server has finished the requests of killed writers: a PUT whose
    body was sent before the SIGKILL still lands (the server completes it), after the kill."""
    previous = None
    for _ in range(50):  # at most ~10 s
        current = (listing(root, endpoint), _uploads(root, endpoint))
        if current == previous:
            return
        previous = current
        time.sleep(0.2)
    raise AssertionError("the S3 listing kept changing after every writer was killed")


def _stalled_upload(root: str, endpoint: str, key: str, ready: Any, spool_dir: str) -> None:
    """The exporter's own upload path (``put_file``, multipart above the threshold), stopped
    for good after its first part: the parent SIGKILLs it there. Its local spool goes to
    ``spool_dir`` (as with TMPDIR), not to the machine's /tmp."""
    tempfile.tempdir = spool_dir
    store = replace(storage(root, endpoint), multipart_threshold=MiB)

    def stall(**_: Any) -> None:
        ready.set()
        time.sleep(600)

    store.client.meta.events.register("after-call.s3.UploadPart", stall)
    spool = store.spool()
    spool.write_bytes(os.urandom(6 * MiB))  # two parts of 5 MiB and 1 MiB
    store.put_file(key, spool)


def _kill_mid_upload(root: str, endpoint: str, key: str, *, spool_dir: Path) -> None:
    ready = FORK.Event()
    proc = FORK.Process(target=_stalled_upload, args=(root, endpoint, key, ready, str(spool_dir)))
    proc.start()
    assert ready.wait(60), "the upload did not start"
    proc.kill()
    proc.join(10)
    assert proc.exitcode == -9


def _put(root: str, endpoint: str | None, rel: str, body: bytes = b"x", mtime: float = 0) -> None:
    if endpoint is None:
        path = Path(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        os.utime(path, (mtime, mtime))
    else:
        bucket, prefix = _split(root)
        s3_client(endpoint).put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=body)


def _uri(root: str, rel: str) -> str:
    return str(Path(root, rel)) if not root.startswith("s3://") else f"{root}/{rel}"


def test_cleanup_removes_exactly_the_stale_leftovers_of_killed_writers(
    root: str, endpoint: str | None, tmp_path: Path
) -> None:
    ref = _accept(root, endpoint)
    _kill_writers(root, endpoint, ref)
    outcomes = "outcomes/run_date=2026-11-23/run_id=k1/shard-00007.parquet"
    stale: set[str] = set()
    young = 0
    if endpoint is None:
        for path in _leftovers(root):  # every leftover of a SIGKILLed writer is stale
            os.utime(path, (STALE, STALE))
            stale.add(str(path))
        live = storage(root, None).spool()  # a live writer's spool: the exporter's, but young
        os.utime(live, (FRESH, FRESH))
        young = 1
        for obj in Path(root).rglob("*.parquet"):  # final objects, however old, stay
            os.utime(obj, (STALE, STALE))
    else:
        assert not [k for k, _ in listing(root, endpoint) if "/_tmp/" in k]  # nothing on S3
        write_shard(root, endpoint, ref, 7, 1)  # the final object the killed retry was replacing
        _kill_mid_upload(root, endpoint, outcomes, spool_dir=tmp_path)
        (killed,) = _uploads(root, endpoint)
        bucket, prefix = _split(root)
        client = s3_client(endpoint)
        for key in (f"{prefix}/notes/big.bin", f"other/{outcomes}"):  # not the exporter's / root's
            client.create_multipart_upload(Bucket=bucket, Key=key)
        for name in COPIED_SPOOLS:
            _put(root, endpoint, f"_tmp/{name}")
        stale = {f"s3://{bucket}/{killed[0]}", *(_uri(root, f"_tmp/{n}") for n in COPIED_SPOOLS)}
    for name in FOREIGN_TMP:
        _put(root, endpoint, f"_tmp/{name}", mtime=STALE)
    assert len(stale) >= 2
    files, uploads = listing(root, endpoint), _uploads(root, endpoint)

    if endpoint is None:
        now = NOW
    else:  # S3 stamps its own times: ages relative to the times the server recorded
        client = s3_client(endpoint)
        bucket, prefix = _split(root)
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        modified = max(o["LastModified"] for p in pages for o in p.get("Contents", []))
        listed = client.list_multipart_uploads(Bucket=bucket)["Uploads"]
        # moto answers every upload with one constant Initiated (2010-11-10T20:48:33Z in its
        # response template), so objects and uploads are aged separately against their own
        # stamps: ten minutes after each, that kind is young and is left alone
        initiated = max(u["Initiated"] for u in listed)
        young_objects = cleanup_spool(root, LIMIT, dry_run=True, now=modified + LIMIT / 6)
        assert not young_objects.spools and young_objects.young >= len(COPIED_SPOOLS)
        young_uploads = cleanup_spool(root, LIMIT, dry_run=True, now=initiated + LIMIT / 6)
        assert not young_uploads.uploads and young_uploads.young >= 1
        assert (listing(root, endpoint), _uploads(root, endpoint)) == (files, uploads)
        now = max(modified, initiated) + 2 * LIMIT

    dry = cleanup_spool(root, LIMIT, dry_run=True, now=now)
    assert isinstance(dry, CleanupReport) and dry.dry_run
    assert {item.uri for item in dry.removed} == stale
    assert all(item.age > LIMIT for item in dry.removed)
    assert (listing(root, endpoint), _uploads(root, endpoint)) == (files, uploads)  # untouched

    done = cleanup_spool(root, LIMIT, now=now)
    assert {item.uri for item in done.removed} == stale
    assert (done.young, done.foreign) == (young, len(FOREIGN_TMP) + (1 if endpoint else 0))
    prefix = "" if endpoint is None else _split(root)[1] + "/"
    # the removed spool files are gone; an aborted upload's key is no object (a final object of
    # that key, written by an earlier writer, stays)
    gone = {u.split(f"{root}/", 1)[1] if endpoint else str(Path(u).relative_to(root))
            for u in (item.uri for item in done.spools)}  # fmt: skip
    assert listing(root, endpoint) == [(k, s) for k, s in files if k[len(prefix) :] not in gone]
    kept_uploads = [u for u in uploads if f"s3://{_split(root)[0]}/{u[0]}" not in stale]
    assert _uploads(root, endpoint) == kept_uploads
    if endpoint is not None:  # aborting the retry's upload left the object it was replacing
        assert any(k.endswith(outcomes) for k, _ in listing(root, endpoint))
    if endpoint is not None:
        assert [k for k, _ in kept_uploads] == sorted(
            [f"{prefix}notes/big.bin", f"other/{outcomes}"]
        )
    again = cleanup_spool(root, LIMIT, now=now)  # nothing left to do
    assert again.removed == () and again.young == young


def test_a_spool_exactly_older_than_old_is_kept(root: str, endpoint: str | None) -> None:
    """The limit is strict ("older than"): a spool file whose age is exactly the limit is young
    and stays; one second later it goes. Locally the mtime is set to ``NOW - LIMIT``; on S3
    (where nothing sets LastModified) ``now`` is the LastModified the listing reports, plus the
    limit."""
    rel = f"_tmp/{COPIED_SPOOLS[0]}"
    _put(root, endpoint, rel, b"12345", mtime=(NOW - LIMIT).timestamp())
    if endpoint is None:
        stamp = NOW - LIMIT
    else:
        bucket, prefix = _split(root)
        listed = s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_tmp/")
        (obj,) = listed["Contents"]
        stamp = obj["LastModified"]
    before = listing(root, endpoint)
    assert len(before) == 1

    at_limit = cleanup_spool(root, LIMIT, now=stamp + LIMIT)
    assert (at_limit.removed, at_limit.young, at_limit.foreign) == ((), 1, 0)
    assert listing(root, endpoint) == before

    later = cleanup_spool(root, LIMIT, now=stamp + LIMIT + timedelta(seconds=1))
    assert [(i.kind, i.uri, i.age) for i in later.removed] == [
        ("spool", _uri(root, rel), LIMIT + timedelta(seconds=1))
    ]
    assert later.young == 0 and listing(root, endpoint) == []


def test_an_upload_exactly_older_than_old_is_kept(s3_bucket: str, moto: Any) -> None:
    """The same strict limit for an incomplete multipart upload on S3, aged from the Initiated
    time the listing reports."""
    root = f"s3://{s3_bucket}/exports"
    key = "exports/outcomes/run_date=2026-11-23/run_id=k1/shard-00003.parquet"
    client = s3_client(moto.endpoint)
    upload_id = client.create_multipart_upload(Bucket=s3_bucket, Key=key)["UploadId"]
    (upload,) = client.list_multipart_uploads(Bucket=s3_bucket)["Uploads"]
    stamp = upload["Initiated"]

    at_limit = cleanup_spool(root, LIMIT, now=stamp + LIMIT)
    assert (at_limit.removed, at_limit.young, at_limit.foreign) == ((), 1, 0)
    assert _uploads(root, moto.endpoint) == [(key, upload_id)]

    later = cleanup_spool(root, LIMIT, now=stamp + LIMIT + timedelta(seconds=1))
    assert [(i.kind, i.uri, i.upload_id, i.age) for i in later.removed] == [
        ("upload", f"s3://{s3_bucket}/{key}", upload_id, LIMIT + timedelta(seconds=1))
    ]
    assert later.young == 0 and _uploads(root, moto.endpoint) == []


def test_the_cli_lists_then_removes_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "warehouse"
    now = time.time()  # the CLI measures age against the clock, so the mtimes follow it
    old, fresh = now - 3 * 3600, now - 600
    spools = {".spool-aaaa1111.tmp": old, ".shard-00000.parquet.bbbb2222.tmp": old}
    for name, mtime in {**spools, ".spool-cccc3333.tmp": fresh, "notes.txt": old}.items():
        _put(str(root), None, f"_tmp/{name}", b"12345", mtime)
    args = ["cleanup", "--older-than", "90m", "--root", str(root)]

    assert main([*args, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert err == f"cleanup: spool files and uploads older than 90m under {root} (dry run)\n"
    lines = out.splitlines()
    assert sorted(lines[:-1]) == sorted(
        f"would remove {root / '_tmp' / n} (3.0 h old, 5 bytes)" for n in spools
    )
    assert lines[-1] == (
        "dry run: would remove 2 spool files and abort 0 multipart uploads; left 1 younger item "
        "and 1 item not the exporter's; nothing deleted"
    )
    assert sorted(p.name for p in (root / "_tmp").iterdir()) == sorted(
        [*spools, ".spool-cccc3333.tmp", "notes.txt"]
    )

    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines[:-1]) == sorted(
        f"removed {root / '_tmp' / n} (3.0 h old, 5 bytes)" for n in spools
    )
    assert lines[-1] == (
        "done: removed 2 spool files, aborted 0 multipart uploads; left 1 younger item and "
        "1 item not the exporter's"
    )
    assert sorted(p.name for p in (root / "_tmp").iterdir()) == [".spool-cccc3333.tmp", "notes.txt"]


def test_the_cli_with_everything_young_removes_nothing(
    root: str, endpoint: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    _put(root, endpoint, f"_tmp/{COPIED_SPOOLS[0]}", mtime=time.time())
    before = listing(root, endpoint)
    assert main(["cleanup", "--older-than", "1h", "--root", root]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "done: removed 0 spool files, aborted 0 multipart uploads; left 1 younger item and "
        "0 items not the exporter's"
    ]
    assert listing(root, endpoint) == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1x", "expected a duration such as 90m, 1h or 2d (units s, m, h, d, w), got '1x'"),
        ("0h", "must be longer than 0, got '0h'"),
        ("-1h", "expected a duration such as 90m, 1h or 2d (units s, m, h, d, w), got '-1h'"),
        ("", "expected a duration such as 90m, 1h or 2d (units s, m, h, d, w), got ''"),
    ],
)
def test_a_bad_duration_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["cleanup", f"--older-than={value}", "--root", str(tmp_path)])
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ara cleanup") and message in err


def test_bad_roots_exit_2_and_touch_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for root, reason in [
        ("ftp://host/x", "only local paths and s3:// urls are supported"),
        ("s3://Bad_Bucket/x", "the bucket name is not a valid S3 bucket name"),
        (str(afile), "exists and is not a folder"),
        (str(tmp_path / "typo"), "is not an existing folder"),
    ]:
        assert main(["cleanup", "--older-than", "1h", "--root", root]) == 2
        (line,) = capsys.readouterr().err.splitlines()  # no start line: nothing started
        assert line.startswith("ara: error: root=") and reason in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_durations_and_arguments() -> None:
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1w") == timedelta(days=7)
    with pytest.raises(InvalidFieldError, match=re.escape("older_than='1.5h'")):
        parse_duration("1.5h")
    with pytest.raises(InvalidFieldError, match=re.escape("older_than=datetime.timedelta(0)")):
        cleanup_spool("/nonexistent", timedelta(0))
    with pytest.raises(InvalidFieldError, match="now=datetime"):
        cleanup_spool("/nonexistent", LIMIT, now=datetime(2026, 11, 28))
    with pytest.raises(ConfigError, match="is not an existing folder"):
        cleanup_spool("/nonexistent/typo", LIMIT)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("debug", [False, True])
def test_an_unreachable_s3_root_exits_1_with_one_line(tmp_path: Path, debug: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_REGION="us-east-1",
    )
    flags = ["--debug"] if debug else []
    done = subprocess.run(
        [sys.executable, "-m", "exporter", *flags, "cleanup", "--older-than", "1d",
         "--root", "s3://results-bucket/sweeps"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert (
        lines[0]
        == "cleanup: spool files and uploads older than 1d under s3://results-bucket/sweeps"
    )
    assert lines[-1].startswith("ara: error: s3://results-bucket/sweeps/_tmp: ")
    assert "Could not connect to the endpoint URL" in lines[-1]
    assert ("Traceback (most recent call last)" in done.stderr) is debug
    if not debug:
        assert len(lines) == 2


def test_a_local_failure_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "warehouse"
    root.mkdir()
    (root / "_tmp").write_text("not a folder")  # listing it fails once the command started
    assert main(["cleanup", "--older-than", "1h", "--root", str(root)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"ara: error: {root / '_tmp'}: ") and "Not a directory" in err[-1]
    assert (root / "_tmp").read_text() == "not a folder"


def test_the_runbooks_lifecycle_rule_is_accepted_by_the_s3_api(s3_bucket: str, moto: Any) -> None:
    """The JSON in docs/runbook.md, as given to ``put-bucket-lifecycle-configuration``."""
    runbook = (Path(__file__).parents[1] / "docs" / "runbook.md").read_text()
    section = runbook[runbook.index("## Cleaning up after killed workers") :]
    block = section[section.index("```json\n") + 8 :]
    config = json.loads(block[: block.index("```")])
    client = moto.client("s3")
    client.put_bucket_lifecycle_configuration(Bucket=s3_bucket, LifecycleConfiguration=config)
    (rule,) = client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rule["Status"] == "Enabled" and rule["Filter"] == {"Prefix": "sweeps/"}


def test_host_spools_of_killed_s3_writers_are_removed_on_request(
    s3_bucket: str, moto: Any, tmp_path: Path
) -> None:
    """A writer to an S3 root spools locally (``ara-spool-*.tmp`` in the host's temp folder);
    SIGKILLed mid-upload, it leaves that file. ``host_spools=True`` removes it when stale and
    leaves a young spool and every other file of the folder alone; the default leaves them all."""
    root = f"s3://{s3_bucket}/host"
    host = tmp_path / "host-temp"
    host.mkdir()
    key = "outcomes/run_date=2026-11-23/run_id=k1/shard-00001.parquet"
    _kill_mid_upload(root, moto.endpoint, key, spool_dir=host)
    (killed,) = host.glob("ara-spool-*.tmp")
    assert killed.stat().st_size == 6 * MiB
    young = host / "ara-spool-young123.tmp"
    young.write_bytes(b"live")
    others = [host / "ara-spool-notours.txt", host / "someone-else.tmp"]
    for path in (killed, *others):
        path.write_bytes(path.read_bytes() if path == killed else b"x")
        os.utime(path, (STALE, STALE))
    os.utime(young, (FRESH, FRESH))
    files = sorted(p.name for p in host.iterdir())

    plain = cleanup_spool(root, LIMIT, dry_run=True, now=NOW, spool_dir=host)
    assert not plain.spools  # not asked: the host's temp folder is not looked at
    dry = cleanup_spool(root, LIMIT, dry_run=True, now=NOW, host_spools=True, spool_dir=host)
    assert [item.uri for item in dry.spools] == [str(killed)]
    assert sorted(p.name for p in host.iterdir()) == files
    done = cleanup_spool(root, LIMIT, now=NOW, host_spools=True, spool_dir=host)
    assert [item.uri for item in done.spools] == [str(killed)] and done.young == 1
    assert sorted(p.name for p in host.iterdir()) == sorted(set(files) - {killed.name})
