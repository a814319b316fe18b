"""``ara athena …``: bootstrap, add-partitions and repair (see docs/runbook.md)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ._manifest import DEFAULT_MANIFEST, REPAIR_MANIFEST, Statement, plan_bootstrap
from ._partitions import partition_statements
from ._runner import AthenaRunner
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
        _print_plan(plan)
        _stderr(f"dry run: {len(plan)} statement(s) rendered, nothing submitted")
        return 0
    runner = AthenaRunner.for_settings(
        settings,
        timeout=args.statement_timeout,
        poll_interval=args.poll_interval,
        progress=_stderr,
    )
    _stderr(
        f"athena: {len(plan)} statement(s) in workgroup {settings.workgroup} "
        f"({settings.region}), database {settings.database}, root {settings.root}"
    )
    results = runner.run(plan)
    _stderr(f"done: {len(results)}/{len(plan)} statement(s) SUCCEEDED")
    return 0


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
        type=float,
        default=DEFAULT_STATEMENT_TIMEOUT,
        metavar="SECONDS",
        help="give up on a statement still running after this "
        f"long (default {DEFAULT_STATEMENT_TIMEOUT:g})",
    )
    p.add_argument(
        "--poll-interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL,
        metavar="SECONDS",
        help=f"first wait between status polls; it grows to 5s (default {DEFAULT_POLL_INTERVAL:g})",
    )


def add_athena_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register ``ara athena {bootstrap,add-partitions,repair}``."""
    athena = sub.add_parser(
        "athena",
        help="prepare and maintain the Athena data layer",
        description="Create the Athena database, tables and views over the export root, and "
        "register partitions. See docs/runbook.md.",
    )
    commands = athena.add_subparsers(dest="athena_command", required=True, metavar="ACTION")

    p = commands.add_parser(
        "bootstrap",
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

    p = commands.add_parser(
        "add-partitions",
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

    p = commands.add_parser(
        "repair",
        help="recovery: MSCK REPAIR TABLE on all three tables",
        description="Scan each table's location and register every partition folder the "
        "catalog lacks. Additive only. Slow on large tables: prefer add-partitions per run.",
    )
    _common(p)
    p.set_defaults(handler=_cmd_repair)
