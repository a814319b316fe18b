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
import re
import sys
from typing import Any, NoReturn

from ._secrets import redact

__all__ = [
    "ECHO_LIMIT",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_STATUS_HELP",
    "EXIT_USAGE",
    "ArgumentParser",
    "HelpFormatter",
    "argparse_message",
    "begin",
    "echoed",
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


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the project's usage error: the usage, then one line ``ara: error: …`` with
    every credential redacted, control characters escaped and long values cut (see
    :func:`argparse_message`), exit 2. Subcommands' parsers are of the same class (argparse
    creates them with the class of their parent), so every command and flag refuses alike."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"ara: error: {argparse_message(message)}\n")


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


#: How many characters of a value a message echoes (see :func:`echoed`).
ECHO_LIMIT = 80
#: How long argparse's message may get, its echoed values cut already.
_ARGPARSE_LIMIT = 240
_SPACE_OR_WORD = re.compile(r"(\s+)")
_QUOTED = re.compile(r"""(['"])(.*)\1([,;:.)]*)""", re.DOTALL)


def _escaped(text: str, limit: int | None, size: int | None = None) -> str:
    """``text`` with every character ``repr()`` escapes (control characters, ESC and so every
    ANSI sequence, other non-printable ones) escaped as ``repr()`` shows it (``\\x1b``,
    ``\\n``), cut after ``limit`` characters of the result with the length ``size`` (default
    ``len(text)``) of what was cut: ``…(100,000 chars)``. An escape is never split."""
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text
    out: list[str] = []
    used = 0
    for char in text:
        piece = char if char.isprintable() else repr(char)[1:-1]
        if limit is not None and used + len(piece) > limit:
            return "".join(out) + f"…({len(text) if size is None else size:,} chars)"
        out.append(piece)
        used += len(piece)
    return "".join(out)


def echoed(value: Any, limit: int | None = ECHO_LIMIT) -> str:
    """A value the user gave, as a message echoes it to the terminal: redacted (see
    :func:`exporter._secrets.redact`), control characters and ANSI escapes shown escaped as
    ``repr()`` shows them (``\\x1b[31m``, ``\\n``), and cut after ``limit`` characters with
    its length: ``xxxx…(100,000 chars)`` (``limit`` None: not cut)."""
    text = str(value)
    return _escaped(redact(text), limit, len(text))


def _echoed_word(word: str) -> str:
    quoted = _QUOTED.fullmatch(word)  # a value argparse showed as its repr: 'value',
    if quoted is None:
        return _escaped(word, ECHO_LIMIT)
    quote, value, rest = quoted.groups()
    return f"{quote}{_escaped(value, ECHO_LIMIT)}{quote}{rest}"


def argparse_message(message: str) -> str:
    """argparse's error message made safe to print as one line: redacted as a whole (a
    credential is found before anything is cut), each word (a value argparse quoted, an
    unrecognized argument) escaped and cut as :func:`echoed` does, and the whole cut at
    240 characters."""
    parts = _SPACE_OR_WORD.split(redact(message))
    words = [_escaped(p, None) if i % 2 else _echoed_word(p) for i, p in enumerate(parts)]
    return _escaped("".join(words), _ARGPARSE_LIMIT)


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
