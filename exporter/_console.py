"""What every ``ara`` command shares: exit statuses, the start line, readable values and numbers.

Exit statuses (argparse's own 2 for a usage error; see docs/runbook.md "Exit statuses"):

* 0 — done;
* 1 — the command started and something failed: an Athena statement ended FAILED or CANCELLED
  or timed out, the endpoint was unreachable, credentials were missing or refused, storage could
  not be read or written, a summary found no runs;
* 2 — usage error: a bad flag or value, a missing or malformed setting or manifest. A usage error
  is found before the command prints its start line, so nothing was started.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from ._secrets import redact

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_STATUS_HELP",
    "EXIT_USAGE",
    "HelpFormatter",
    "begin",
    "epilog",
    "has_begun",
    "number",
    "plural",
    "shown",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

EXIT_STATUS_HELP = """\
exit status:
  0  done
  1  the command ran and failed: an Athena statement failed or timed out, the
     endpoint was unreachable, credentials were missing, storage failed, no runs
  2  usage error: a bad flag or value, a missing setting; nothing was started"""

_BEGUN = "_ara_begun"


class HelpFormatter(argparse.HelpFormatter):
    """Wraps a one-paragraph description; keeps the line breaks of a multi-line epilog (the
    examples and exit statuses)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def epilog(*examples: str) -> str:
    """A command's ``--help`` epilog: its examples, then the exit statuses."""
    lines = ["examples:", *(f"  {example}" for example in examples), "", EXIT_STATUS_HELP]
    return "\n".join(lines)


def begin(args: argparse.Namespace, line: str | None = None) -> None:
    """Mark the end of validation: from here on a failure exits 1, not 2. Prints ``line``,
    redacted (it names the root and settings the user gave)."""
    setattr(args, _BEGUN, True)
    if line:
        print(redact(line), file=sys.stderr, flush=True)


def has_begun(args: argparse.Namespace) -> bool:
    return bool(getattr(args, _BEGUN, False))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 run``, ``2 runs``; ``many`` for irregular plurals."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def shown(value: Any) -> str:
    """A setting as users read it: ``not set`` rather than ``None``."""
    return "not set" if value is None or value == "" else str(value)


def number(value: Any) -> str:
    """One number format: thousands separated, at most 4 significant digits, no exponent
    between 0.001 and 10**15 (``1,937``, ``52,390``, ``0.8063``, ``2.5``)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude < 1e-3 or magnitude >= 1e15:
        return f"{x:.3e}"
    decimals = max(0, 3 - math.floor(math.log10(magnitude)))
    text = f"{round(x, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
