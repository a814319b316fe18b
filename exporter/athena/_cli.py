"""``ara athena …``: bootstrap, add-partitions and repair (see docs/runbook.md)."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .._console import EXIT_OK, HelpFormatter, begin, epilog, plural, shown
from .._storage import _BUCKET
from ..errors import ExporterError
from ._manifest import DEFAULT_MANIFEST, REPAIR_MANIFEST, Statement, plan_bootstrap
from ._partitions import partition_statements
from ._runner import DEFAULT_PROGRESS_EVERY, AthenaRunner
from ._settings import (
    DEFAULT_DATABASE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_STATEMENT_TIMEOUT,
    DEFAULT_WORKGROUP,
    ENV_DATABASE,
    ENV_MANIFEST,
    ENV_OUTPUT_LOCATION,
    ENV_ROOT,
    ENV_WORKGROUP,
    AthenaSettings,
)

__all__ = ["add_athena_commands"]

MAX_PORT = 65_535


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> AthenaSettings:
    return AthenaSettings.from_env(
        root=args.root,
        database=args.database,
        workgroup=args.workgroup,
        output_location=args.output_location,
        region=args.region,
    )


def _print_plan(statements: Sequence[Statement]) -> None:
    """The statements as a script, in order, with the manifest entry of each."""
    total = len(statements)
    for index, statement in enumerate(statements, 1):
        print(f"-- [{index}/{total}] {statement.entry}")
        print(f"{statement.sql};")
        print()


def _execute(args: argparse.Namespace, settings: AthenaSettings, plan: list[Statement]) -> int:
    if args.dry_run:
        begin(args)
        _print_plan(plan)
        _stderr(f"dry run: {plural(len(plan), 'statement')} rendered, nothing submitted")
        return EXIT_OK
    runner = AthenaRunner.for_settings(  # checks output location and region: before the banner
        settings,
        timeout=args.statement_timeout,
        poll_interval=args.poll_interval,
        progress=_stderr,
    )
    begin(
        args,
        f"athena: {plural(len(plan), 'statement')} in workgroup {settings.workgroup} "
        f"(region {shown(settings.region)}), database {settings.database}, "
        f"root {settings.root}, query results {shown(settings.output_location)}",
    )
    results = runner.run(plan)
    _stderr(f"done: {len(results)}/{plural(len(plan), 'statement')} SUCCEEDED")
    return EXIT_OK


def _cmd_bootstrap(args: argparse.Namespace) -> int:
    settings = _settings(args)
    manifest = args.manifest or os.environ.get(ENV_MANIFEST) or DEFAULT_MANIFEST
    return _execute(args, settings, plan_bootstrap(settings, manifest))


def _cmd_repair(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return _execute(args, settings, plan_bootstrap(settings, REPAIR_MANIFEST))


def _cmd_add_partitions(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return _execute(args, settings, partition_statements((args.run_id, args.run_date), settings))


def _cmd_local(args: argparse.Namespace) -> int:
    """Serve the local Athena endpoint until interrupted; print the environment to export."""
    import contextlib
    import signal
    import threading

    try:
        from local_athena import ENV_FAIL, LocalAthena
    except ImportError as exc:  # the [local-athena] extra is not installed
        raise ExporterError(
            f"ara athena local needs the local-athena extra (pip install "
            f"'athena-run-analytics[local-athena]'): {exc}"
        ) from None
    begin(args)
    server = LocalAthena(port=args.port, region=args.region or "us-east-1")
    try:
        try:
            server.start()
        except OSError as exc:  # the port is taken, or not ours to bind: a runtime failure
            raise ExporterError(
                f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}"
            ) from None
        bucket = args.bucket
        s3 = server.client("s3")
        if server.region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": server.region}
            )
        for name, value in server.env(bucket).items():
            print(f"export {name}={value}", flush=True)
        _stderr(
            f"local Athena endpoint on {server.endpoint} (S3, Glue and Athena; bucket {bucket}); "
            f"{ENV_FAIL}=<regex> in its environment fails matching statements. "
            "Ctrl-C stops it (all data is in memory and goes with it)."
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        server.stop()  # also when it never served: its work folder goes
    _stderr("local Athena endpoint stopped")
    return EXIT_OK


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0..65535 (0: a free one)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"expected a TCP port 0-{MAX_PORT} (0: a free one), got {text!r}"
        )
    return value


def _bucket(text: str) -> str:
    """An argparse type: a valid S3 bucket name (the rule :func:`exporter.open_root` checks)."""
    if not _BUCKET.fullmatch(text):
        raise argparse.ArgumentTypeError(
            "expected an S3 bucket name: 3-63 of a-z 0-9 . -, starting and ending with a letter "
            f"or digit, got {text!r}"
        )
    return text


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", help=f"export root, s3://bucket[/prefix] (env {ENV_ROOT})")
    p.add_argument(
        "--database", help=f"database name (env {ENV_DATABASE}; default {DEFAULT_DATABASE})"
    )
    p.add_argument(
        "--workgroup", help=f"Athena workgroup (env {ENV_WORKGROUP}; default {DEFAULT_WORKGROUP})"
    )
    p.add_argument(
        "--output-location",
        metavar="S3_URL",
        help=f"where Athena writes query results, s3://bucket/prefix/ "
        f"(env {ENV_OUTPUT_LOCATION}; required unless --dry-run)",
    )
    p.add_argument(
        "--region",
        help="AWS region (env AWS_REGION or AWS_DEFAULT_REGION; required unless --dry-run)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the rendered statements in order; submit nothing",
    )
    p.add_argument(
        "--statement-timeout",
        type=_seconds(positive=True),
        default=DEFAULT_STATEMENT_TIMEOUT,
        metavar="SECONDS",
        help="give up on a statement still running after this "
        f"long, > 0 (default {DEFAULT_STATEMENT_TIMEOUT:g})",
    )
    p.add_argument(
        "--poll-interval",
        type=_seconds(positive=False),
        default=DEFAULT_POLL_INTERVAL,
        metavar="SECONDS",
        help="first wait between status polls, >= 0; it grows to 5s "
        f"(default {DEFAULT_POLL_INTERVAL:g}). A 'still RUNNING' line is printed every "
        f"{DEFAULT_PROGRESS_EVERY:g}s",
    )


def _seconds(*, positive: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, > 0 or >= 0. Checked even for --dry-run."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise argparse.ArgumentTypeError(f"expected a number of seconds {bound}, got {text!r}")
        return value

    return parse


def _parser(
    commands: argparse._SubParsersAction[Any], name: str, *, examples: Sequence[str], **kw: Any
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, epilog=epilog(*examples), formatter_class=HelpFormatter, **kw
    )
    return parser


def add_athena_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register ``ara athena {bootstrap,add-partitions,repair,local}``."""
    athena = _parser(
        sub,
        "athena",
        help="prepare and maintain the Athena data layer",
        description="Create the Athena database, tables and views over the export root, and "
        "register partitions; or serve a local Athena endpoint to do all of it offline "
        "(ara athena local). See docs/runbook.md.",
        examples=[
            ".venv/bin/ara athena bootstrap --root s3://bucket/prefix --dry-run",
            ".venv/bin/ara athena ACTION --help",
        ],
    )
    commands = athena.add_subparsers(dest="athena_command", required=True, metavar="ACTION")

    p = _parser(
        commands,
        "bootstrap",
        examples=[
            ".venv/bin/ara athena bootstrap --root s3://bucket/prefix --dry-run",
            "export ARA_ROOT=s3://bucket/prefix ARA_ATHENA_OUTPUT_LOCATION=s3://results/ara/ "
            "AWS_REGION=eu-west-1",
            ".venv/bin/ara athena bootstrap",
        ],
        help="run the SQL manifest: database, external tables, views",
        description="Render every file of the SQL manifest (placeholders ${database}, ${root}, "
        "${bucket}, ${schema_version}) and run them one at a time, in order, in the workgroup. "
        "Stops at the first statement that does not end SUCCEEDED and names its manifest "
        "entry, QueryExecutionId, state and reason; nothing after it is submitted. Every "
        "statement is idempotent, so re-running after a fix is safe.",
    )
    _common(p)
    p.add_argument(
        "--manifest",
        metavar="PATH",
        help=f"the manifest: YAML 'statements:' list or one SQL file per line, paths "
        f"relative to it (env {ENV_MANIFEST}; default the packaged "
        f"{DEFAULT_MANIFEST.parent.name}/{DEFAULT_MANIFEST.name})",
    )
    p.set_defaults(handler=_cmd_bootstrap)

    p = _parser(
        commands,
        "add-partitions",
        examples=[
            ".venv/bin/ara athena add-partitions --run-id sir-baseline-20261123 "
            "--run-date 2026-11-23",
        ],
        help="register one run's partitions in all three tables (incremental, idempotent)",
        description="ALTER TABLE … ADD IF NOT EXISTS PARTITION (run_date, run_id) LOCATION … "
        "for run_context, effective_params and outcomes. Call it once a run is accepted. "
        "Running it again is a no-op; it never drops anything.",
    )
    _common(p)
    p.add_argument("--run-id", required=True, help="the run's id (the contract's run_id rule)")
    p.add_argument(
        "--run-date", required=True, metavar="YYYY-MM-DD", help="the run's partition date"
    )
    p.set_defaults(handler=_cmd_add_partitions)

    p = _parser(
        commands,
        "repair",
        examples=[".venv/bin/ara athena repair --root s3://bucket/prefix"],
        help="recovery: MSCK REPAIR TABLE on all three tables",
        description="Scan each table's location and register every partition folder the "
        "catalog lacks. Additive only. Slow on large tables: prefer add-partitions per run.",
    )
    _common(p)
    p.set_defaults(handler=_cmd_repair)

    p = _parser(
        commands,
        "local",
        examples=[
            ".venv/bin/ara athena local --port 5055 > athena-local.env &",
            ". ./athena-local.env && .venv/bin/ara athena bootstrap",
            "ARA_ATHENA_LOCAL_FAIL='outcome_params' .venv/bin/ara athena local",
        ],
        help="serve a local Athena endpoint (S3, Glue, Athena) on 127.0.0.1 for offline runs",
        description="Serve, on 127.0.0.1 until interrupted, S3 and Glue (moto) and the Athena "
        "query API executed locally (SQL transpiled to DuckDB with Trino's function semantics; "
        "docs/athena-parity.md lists what is supported). Prints one 'export NAME=value' line "
        "per setting (AWS_ENDPOINT_URL, test credentials, AWS_REGION, ARA_ROOT, "
        "ARA_ATHENA_OUTPUT_LOCATION, ARA_ATHENA_DATA_DIR in a bucket it creates), so "
        "'ara athena …' and 'dbt … --target athena' run against it unchanged. Statements "
        "matching the regular expression in env ARA_ATHENA_LOCAL_FAIL end FAILED.",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=0,
        help=f"TCP port on 127.0.0.1, 0-{MAX_PORT} (default 0: a free one)",
    )
    p.add_argument("--region", help="AWS region it answers as (default us-east-1)")
    p.add_argument(
        "--bucket",
        type=_bucket,
        default="ara-local",
        help="the bucket it creates, a valid S3 bucket name (default ara-local)",
    )
    p.set_defaults(handler=_cmd_local)
