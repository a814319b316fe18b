"""``ara`` — the project's command line (also ``python -m exporter``).

Errors print as one line; ``--debug`` shows the traceback. Exit status 0 done, 1 the command
ran and failed, 2 usage error (see :mod:`exporter._console` and docs/runbook.md).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TextIO

from ._cleanup import (
    CleanupItem,
    cleanup_spool,
    format_duration,
    open_cleanup_root,
    parse_duration,
)
from ._console import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    ArgumentParser,
    HelpFormatter,
    begin,
    echoed,
    epilog,
    has_begun,
    plural,
    shown,
)
from ._secrets import redact
from ._settings import ENV_EXPORT_EFFECTIVE_PARAMS, ENV_EXPORT_RUN_CONTEXT, ExportSettings
from ._storage import open_root
from ._version import __version__
from ._writer import DEFAULT_POINTS_PER_SHARD
from .athena._cli import add_athena_commands
from .errors import ExporterError, InvalidFieldError, ManifestError, ValidationError
from .reference._sweep import VARIANTS, plan_points, reference_configs, run_sweep, stderr_progress
from .reports import add_compare_command, add_report_command, add_summary_command

__all__ = ["main"]

DEFAULT_ROOT = "./warehouse"
ENV_ROOT = "ARA_ROOT"

Handler = Callable[[argparse.Namespace], int]


def _gate_lines(settings: ExportSettings) -> list[str]:
    """One line per active feature gate: what this sweep will not export."""
    lines = []
    if not settings.run_context:
        lines.append(
            f"feature gate: {ENV_EXPORT_RUN_CONTEXT}=false: no run context is exported "
            "(dim_runs shows these runs as partial, plan unknown)"
        )
    if not settings.effective_params:
        lines.append(
            f"feature gate: {ENV_EXPORT_EFFECTIVE_PARAMS}=false: no effective parameters are "
            "exported (outcomes still carry param_hash)"
        )
    return lines


def _cmd_sweep(args: argparse.Namespace) -> int:
    day = datetime.now(UTC).strftime("%Y%m%d")
    skips: dict[str, set[int]] = {}
    for name, shard in args.skip_shard:
        skips.setdefault(name, set()).add(shard)
    variant = None if args.variant is None else VARIANTS[args.variant]
    if variant is not None and args.runs is not None:
        raise InvalidFieldError(
            "--runs", args.runs, "cannot be combined with --variant (it re-runs the baseline only)"
        )
    configs = reference_configs()[: 1 if variant is not None else args.runs or 3]
    shard_counts = {
        name: math.ceil(len(plan_points(config)) / args.points_per_shard)
        for name, config in configs
    }
    for name, shards in skips.items():  # check every run's skips before the first run starts
        if name not in shard_counts:
            raise InvalidFieldError(
                "--skip-shard", name, f"is not one of this sweep's runs: {', '.join(shard_counts)}"
            )
        for shard in sorted(shards):
            if shard >= shard_counts[name]:
                raise InvalidFieldError(
                    "--skip-shard",
                    f"{name}:{shard}",
                    f"{name} has shards 0..{shard_counts[name] - 1}",
                )
    open_root(args.root)  # a malformed root is a usage error, found before anything starts
    settings = ExportSettings.from_env()  # a malformed gate value likewise
    what = "" if variant is None else f" (variant {variant.name}: {variant.description})"
    begin(args, f"reference sweep: {plural(len(configs), 'run')} into {args.root}{what}")
    for line in _gate_lines(settings):
        print(line, file=sys.stderr, flush=True)
    for name, config in configs:
        run_id = f"{name}-{day}" if variant is None else f"{name}-{variant.name}-{day}"
        result = run_sweep(
            args.root,
            run_id,
            config,
            points_per_shard=args.points_per_shard,
            workers=args.workers,
            skip_shards=skips.get(name, set()),
            progress=None if args.quiet else stderr_progress,
            settings=settings,
            variant=variant,
        )
        print(
            f"{run_id}: {result.points_run}/{result.context.point_count} points in "
            f"{result.shards_run}/{result.context.shard_count} shards, "
            f"{result.seconds:.2f}s, config fingerprint {result.context.config_fingerprint[:12]}"
            + ("" if variant is None else f", code version {result.context.code_version}")
        )
    return EXIT_OK


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


def _run_shard(text: str) -> tuple[str, int]:
    name, _, shard = text.rpartition(":")
    if not name or not shard.isdigit():
        raise argparse.ArgumentTypeError(f"expected RUN:SHARD such as sir-baseline:2, got {text!r}")
    return name, int(shard)


def _add_sweep(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sweep",
        help="run the reference SIR sweep and export it",
        description="Plan the reference SIR grid sweeps into shards, accept each run (run "
        "context) and run its shards in a process pool, each exporting its effective "
        "parameters and outcomes. Progress goes to stderr: one updating bar per run on a "
        "terminal, plain lines otherwise; one result line per run goes to stdout.",
        epilog=epilog(
            ".venv/bin/ara sweep --root ./warehouse",
            ".venv/bin/ara sweep --root s3://bucket/prefix --runs 1 --workers 4",
            ".venv/bin/ara sweep --root ./warehouse --points-per-shard 48 "
            "--skip-shard sir-baseline:2   # a partial run",
            ".venv/bin/ara sweep --root ./warehouse --variant substeps   "
            "# the baseline again, changed code",
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--root",
        default=os.environ.get(ENV_ROOT, DEFAULT_ROOT),
        help=f"export root: a folder or s3://bucket/prefix (env {ENV_ROOT}; "
        f"default {DEFAULT_ROOT})",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        choices=range(1, 4),
        metavar="N",
        help="how many of the 3 reference runs (default 3)",
    )
    p.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default=None,
        metavar="NAME",
        help="re-run the baseline grid with a documented model change, under its own run id "
        "(sir-baseline-NAME-YYYYMMDD) and code version, same config and parameters "
        "(docs/compare.md). Names: "
        + "; ".join(f"{v.name}: {v.description}" for v in VARIANTS.values()),
    )
    p.add_argument(
        "--points-per-shard",
        type=_count(1),
        default=DEFAULT_POINTS_PER_SHARD,
        metavar="N",
        help=f"points per shard, i.e. per object (default {DEFAULT_POINTS_PER_SHARD:,}; "
        "under 1,000 writes objects too small for Athena and is warned about)",
    )
    p.add_argument(
        "--workers",
        type=_count(0),
        default=2,
        metavar="N",
        help="worker processes; 0 runs shards inline (default 2)",
    )
    p.add_argument(
        "--skip-shard",
        action="append",
        default=[],
        metavar="RUN:SHARD",
        type=_run_shard,
        help="leave a shard out as if its worker was lost, e.g. sir-baseline:2",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=_cmd_sweep)


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except InvalidFieldError as exc:
        raise argparse.ArgumentTypeError(f"{exc.reason}, got {text!r}") from None


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} h old" if hours < 48 else f"{hours / 24:.1f} d old"


def _item_line(item: CleanupItem, dry_run: bool) -> str:
    if item.kind == "upload":
        verb = "would abort" if dry_run else "aborted"
        return f"{verb} upload {item.uri} (upload id {item.upload_id}, {_age(item.age)})"
    verb = "would remove" if dry_run else "removed"
    return f"{verb} {item.uri} ({_age(item.age)}, {plural(item.size or 0, 'byte')})"


def _cmd_cleanup(args: argparse.Namespace) -> int:
    open_cleanup_root(args.root)  # a malformed or missing root: a usage error, nothing started
    limit = format_duration(args.older_than)
    dry = " (dry run)" if args.dry_run else ""
    begin(args, f"cleanup: spool files and uploads older than {limit} under {args.root}{dry}")
    report = cleanup_spool(
        args.root, args.older_than, dry_run=args.dry_run, host_spools=args.host_spools
    )
    for item in report.removed:
        print(_item_line(item, args.dry_run), flush=True)
    spools = plural(len(report.spools), "spool file")
    uploads = plural(len(report.uploads), "multipart upload")
    kept = (
        f"left {plural(report.young, 'younger item')} and "
        f"{plural(report.foreign, 'item')} not the exporter's"
    )
    if args.dry_run:
        print(f"dry run: would remove {spools} and abort {uploads}; {kept}; nothing deleted")
    else:
        print(f"done: removed {spools}, aborted {uploads}; {kept}")
    return EXIT_OK


def _add_cleanup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cleanup",
        help="remove spool files and multipart uploads that killed writers left behind",
        description="Remove the exporter's own spool files under {root}/_tmp/ last modified "
        "more than DURATION ago and, on an s3:// root, abort its incomplete multipart uploads "
        "under the root initiated more than DURATION ago. Nothing else is touched: final "
        "objects, other files in _tmp/, other tools' uploads and anything younger are left. "
        "Choose DURATION longer than your longest shard write (a day is safe). One line per "
        "removed item and a summary line go to stdout.",
        epilog=epilog(
            ".venv/bin/ara cleanup --older-than 1d --dry-run",
            ".venv/bin/ara cleanup --older-than 1d --root s3://bucket/prefix",
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--older-than",
        required=True,
        type=_duration,
        metavar="DURATION",
        help="minimum age of what is removed: 90m, 1h, 2d, 1h30m (units s, m, h, d, w)",
    )
    p.add_argument(
        "--root",
        default=os.environ.get(ENV_ROOT, DEFAULT_ROOT),
        help=f"export root: a folder or s3://bucket/prefix (env {ENV_ROOT}; "
        f"default {DEFAULT_ROOT})",
    )
    p.add_argument("--dry-run", action="store_true", help="list what would go; remove nothing")
    p.add_argument(
        "--host-spools",
        action="store_true",
        help="s3:// root: also remove this host's local spool files of killed writers "
        "(ara-spool-*.tmp in the temp folder, $TMPDIR or /tmp)",
    )
    p.set_defaults(handler=_cmd_cleanup)


def build_parser() -> argparse.ArgumentParser:
    """The ``ara`` parser. Its class (and so every subcommand's) prints a usage error as the
    usage and one redacted line ``ara: error: …`` (:class:`exporter._console.ArgumentParser`)."""
    parser: argparse.ArgumentParser = ArgumentParser(
        prog="ara",
        description="athena-run-analytics: export sweep results as partitioned Parquet, "
        "and bootstrap Athena over them.",
        epilog=epilog(
            ".venv/bin/ara sweep --root ./warehouse",
            ".venv/bin/ara summary",
            ".venv/bin/ara compare BASE_RUN_ID NEW_RUN_ID",
            ".venv/bin/ara athena bootstrap --root s3://bucket/prefix --dry-run",
            ".venv/bin/ara COMMAND --help",
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sweep(sub)
    add_athena_commands(sub)
    add_summary_command(sub)
    add_report_command(sub)
    _add_cleanup(sub)
    add_compare_command(sub)
    return parser


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    print(f"ara: warning: {message}", file=sys.stderr)


def _print_traceback(exc: BaseException) -> None:
    """The ``--debug`` traceback, chained exceptions included, redacted as a whole: a value in
    a message (ours or a library's) or in a source line never prints a credential."""
    sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    sys.stderr.flush()


def _message(exc: BaseException) -> str:
    """One readable line: a missing setting reads "not set", never ``None``."""
    if isinstance(exc, ValidationError) and exc.value is None:
        return f"{exc.field} {shown(None)}: {exc.reason}"
    return str(exc)


def exit_status(exc: BaseException, args: argparse.Namespace) -> int:
    """2 for a usage error found before the command started (see :mod:`exporter._console`),
    1 for everything that failed once it had started, or that is not a usage error."""
    usage = isinstance(exc, (ValidationError, ManifestError))
    return EXIT_USAGE if usage and not has_begun(args) else EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # a bad flag or value: usage and one error line, exit 2
    handler: Handler = args.handler
    try:
        with warnings.catch_warnings():  # warnings as one line each, restored afterwards
            warnings.showwarning = _one_line_warning
            return handler(args)
    except (ExporterError, OSError) as exc:
        if args.debug:
            _print_traceback(exc)
        print(f"ara: error: {echoed(_message(exc), limit=None)}", file=sys.stderr)
        return exit_status(exc, args)
    except KeyboardInterrupt:
        print("ara: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything else is a bug: still one line unless --debug
        if args.debug:
            _print_traceback(exc)
        print(
            f"ara: unexpected error: {type(exc).__name__}: {echoed(exc, limit=None)} "
            "(rerun with --debug)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
