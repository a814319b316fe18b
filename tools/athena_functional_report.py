"""The summary of a run of dbt-athena's functional suite (tools/athena_functional.py): the test
cases of pytest's JUnit report, their failures grouped by reason, as text, Markdown and JSON.

A test case's outcome: passed, failed (the test body), errored (setup or teardown: a test whose
body failed and whose teardown failed too counts once, as failed), skipped (by the suite's own
skip/skipif markers, or at run time by a ``pytest.skip()``: the ``ara_skip`` property that
tools/athena_functional_plugin.py records), xfailed, xpassed. A failure's reason: the first
Athena failure reason (``CODE: message``) in pytest's message, traceback, captured output,
else an AWS API error (``An error occurred (Code) when calling the Op operation: …``), else
pytest's first line; its group key blanks S3 locations, ids, dbt's test schema names and numbers
and keeps the first ~80 characters of the message.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "Case",
    "FunctionalError",
    "Group",
    "Summary",
    "group_failures",
    "parse_junit",
    "print_summary",
    "reason_of",
    "render_json",
    "render_markdown",
]

#: an Athena failure reason: ``CODE: message``, the code upper case with an underscore
#: (SYNTAX_ERROR, NOT_SUPPORTED, TABLE_NOT_FOUND, HIVE_BAD_DATA, ICEBERG_COMMIT_ERROR …)
_ATHENA_REASON = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+): ([^\n]*)")
#: a boto3 ClientError: ``An error occurred (Code) when calling the Op operation: message``
_CLIENT_ERROR = re.compile(
    r"An error occurred \((\w+)\) when calling the (\w+) operation: ([^\n]*)"
)
#: blanked in a group key: S3 locations, ids, test schemas of dbt's fixtures
#: (test<timestamp><random>_<module>) and numbers
_BLANKS = (
    (re.compile(r"\bs3a?://[^\s'\"`,;)]+"), "<location>"),
    (re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b", re.IGNORECASE), "<uuid>"),
    (re.compile(r"\btest\d{6,}\w*", re.IGNORECASE), "<schema>"),
    (re.compile(r"\b[0-9a-f]{16,}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\d+"), "N"),
)
_OUTCOMES = ("passed", "failed", "errored", "skipped", "xfailed", "xpassed")
#: a test case's several JUnit entries (call failure + teardown error): the one reported
_PRECEDENCE = {o: i for i, o in enumerate(("failed", "errored", "xfailed", "skipped", "xpassed"))}


class FunctionalError(Exception):
    """A runtime failure of the runner (exit 1)."""


@dataclass
class Case:
    """One test case of the JUnit report."""

    test_id: str
    outcome: str  # one of _OUTCOMES
    skip_source: str | None = None  # "marker" or "runtime" for a skipped test
    message: str = ""  # the skip reason, or the failure's first line
    reason: str | None = None  # the failure's Athena/AWS reason (full first line)
    key: str | None = None  # the failure group
    teardown_error: bool = False  # a failed test whose teardown failed too
    seconds: float = 0.0


@dataclass
class Group:
    key: str
    count: int
    examples: list[str]
    sample: str  # one full reason


@dataclass
class Summary:
    source: str
    seconds: float
    pytest_exit: int | None  # None: summarised from an existing report
    cases: list[Case]
    collection_errors: list[str] = field(default_factory=list)
    endpoint: str = ""  # this repository's commit (and uncommitted local_athena changes)

    def count(self, outcome: str, source: str | None = None) -> int:
        return sum(
            1
            for c in self.cases
            if c.outcome == outcome and (source is None or c.skip_source == source)
        )

    def totals(self) -> dict[str, int]:
        out = {"collected": len(self.cases)}
        out.update({o: self.count(o) for o in _OUTCOMES})
        out["skipped_by_marker"] = self.count("skipped", "marker")
        out["skipped_at_runtime"] = self.count("skipped", "runtime")
        out["in_scope"] = out["collected"] - out["skipped_by_marker"]
        out["collection_errors"] = len(self.collection_errors)
        return out


def _normalised(text: str) -> str:
    for pattern, blank in _BLANKS:
        text = pattern.sub(blank, text)
    return text


def reason_of(*texts: str) -> tuple[str | None, str | None]:
    """(full reason, group key) of the first Athena reason in ``texts`` (in order), else of the
    first AWS API error; (None, None) when neither is there."""
    for text in texts:
        m = _ATHENA_REASON.search(text)
        if m:
            code, message = m.group(1), m.group(2).strip().rstrip("\"'")
            return f"{code}: {message}", f"{code}: {_normalised(message)[:80]}"
    for text in texts:
        m = _CLIENT_ERROR.search(text)
        if m:
            code, op, message = m.group(1), m.group(2), m.group(3).strip().rstrip("\"'")
            return f"{code} ({op}): {message}", f"{code} ({op}): {_normalised(message)[:80]}"
    return None, None


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def _case(element: ET.Element) -> Case | None:
    props = {p.get("name", ""): p.get("value", "") for p in element.iterfind("properties/property")}
    test_id = props.get("ara_nodeid")
    if test_id is None:  # no item: a collection error (or a run without the plugin)
        return None
    seconds = float(element.get("time") or 0)
    failure, error = element.find("failure"), element.find("error")
    skipped = element.find("skipped")
    xfail = props.get("ara_xfail")
    if failure is not None or error is not None:
        node = failure if failure is not None else error
        assert node is not None
        message = node.get("message") or ""
        body = node.text or ""
        out = "".join(e.text or "" for e in element.iterfind("system-out"))
        err = "".join(e.text or "" for e in element.iterfind("system-err"))
        reason, key = reason_of(message, body, out, err)
        first = _first_line(message) or _first_line(body)
        if key is None:
            key = _normalised(first)[:100] or "(no message)"
        outcome = "failed" if failure is not None else "errored"
        return Case(test_id, outcome, None, first, reason, key, seconds=seconds)
    if skipped is not None:
        message = skipped.get("message") or ""
        if xfail == "xfailed" or skipped.get("type") == "pytest.xfail":
            return Case(test_id, "xfailed", None, message, seconds=seconds)
        return Case(test_id, "skipped", props.get("ara_skip", "runtime"), message, seconds=seconds)
    return Case(test_id, "xpassed" if xfail == "xpassed" else "passed", seconds=seconds)


def parse_junit(path: Path) -> tuple[list[Case], list[str]]:
    """The test cases of a JUnit report (one per test id) and the collection errors."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise FunctionalError(f"cannot read pytest's JUnit report {path}: {exc}") from None
    cases: dict[str, Case] = {}
    collection_errors: list[str] = []
    for element in root.iter("testcase"):
        case = _case(element)
        if case is None:
            name = ".".join(x for x in (element.get("classname"), element.get("name")) if x)
            node = element.find("error")
            if node is None:
                node = element.find("failure")
            why = _first_line(node.get("message") or "") if node is not None else ""
            collection_errors.append(f"{name}: {why}" if why else name)
            continue
        seen = cases.get(case.test_id)
        if seen is None:
            cases[case.test_id] = case
            continue
        first, second = sorted((seen, case), key=lambda c: _PRECEDENCE.get(c.outcome, 9))
        first.teardown_error = first.teardown_error or second.outcome == "errored"
        first.seconds = seen.seconds + case.seconds
        cases[case.test_id] = first
    _share_fixture_errors(list(cases.values()))
    return list(cases.values()), collection_errors


def _share_fixture_errors(cases: list[Case]) -> None:
    """A class- or module-scoped fixture that failed errors every test of its scope, but only
    the first carries the output (pytest re-raises the cached error): the others, with the same
    message and no reason of their own, take the reason of that first one in their class."""
    found: dict[tuple[str, str], Case] = {}
    for case in cases:
        if case.outcome == "errored" and case.reason is not None:
            found.setdefault((case.test_id.rsplit("::", 1)[0], case.message), case)
    for case in cases:
        if case.outcome == "errored" and case.reason is None:
            first = found.get((case.test_id.rsplit("::", 1)[0], case.message))
            if first is not None:
                case.reason, case.key = first.reason, first.key


def group_failures(cases: Sequence[Case], examples: int = 3) -> list[Group]:
    """Failed and errored cases grouped by reason key, largest group first."""
    groups: dict[str, Group] = {}
    for case in cases:
        if case.outcome not in ("failed", "errored") or case.key is None:
            continue
        group = groups.setdefault(case.key, Group(case.key, 0, [], case.reason or case.message))
        group.count += 1
        if len(group.examples) < examples:
            group.examples.append(case.test_id)
    return sorted(groups.values(), key=lambda g: (-g.count, g.key))


def _skip_reasons(cases: Sequence[Case], source: str) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for c in cases:
        if c.outcome == "skipped" and c.skip_source == source:
            reason = " ".join(c.message.split())[:120] or "(no reason)"
            counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def render_markdown(summary: Summary) -> str:
    t = summary.totals()
    lines = [
        "# dbt-athena's functional suite on the local Athena endpoint",
        "",
        f"Suite: {summary.source}; endpoint: {summary.endpoint or 'unknown'}; "
        f"{summary.seconds / 60:.1f} min; pytest exit {summary.pytest_exit}.",
        "",
        "| collected | passed | failed | errored | skipped (own markers / at run time) "
        "| xfailed | xpassed | in scope |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {t['collected']} | {t['passed']} | {t['failed']} | {t['errored']} | {t['skipped']} "
        f"({t['skipped_by_marker']} / {t['skipped_at_runtime']}) | {t['xfailed']} "
        f"| {t['xpassed']} | {t['in_scope']} |",
        "",
        "In scope = collected minus skipped by the suite's own skip/skipif markers.",
    ]
    if summary.collection_errors:
        lines += ["", f"## Collection errors ({len(summary.collection_errors)})", ""]
        lines += [f"- {e}" for e in summary.collection_errors]
    groups = group_failures(summary.cases)
    lines += ["", f"## Failures and errors by reason ({len(groups)} groups)", ""]
    for g in groups:
        lines.append(f"- **{g.count}**: `{g.key}`")
        if g.sample and g.sample != g.key:
            lines.append(f"  - e.g. `{g.sample[:300]}`")
        lines += [f"  - {example}" for example in g.examples]
    for source, title in (("marker", "own markers"), ("runtime", "at run time")):
        reasons = _skip_reasons(summary.cases, source)
        if reasons:
            lines += ["", f"## Skipped by {title}", ""]
            lines += [f"- {n}: {reason}" for reason, n in reasons]
    lines += ["", "## Every test case", ""]
    for c in sorted(summary.cases, key=lambda c: c.test_id):
        note = f" — {c.key}" if c.key else ""
        note += " (+ teardown error)" if c.teardown_error else ""
        lines.append(f"- {c.outcome}: {c.test_id}{note}")
    return "\n".join(lines) + "\n"


def render_json(summary: Summary) -> str:
    data = {
        "source": summary.source,
        "seconds": round(summary.seconds, 1),
        "pytest_exit": summary.pytest_exit,
        "endpoint": summary.endpoint,
        "totals": summary.totals(),
        "groups": [asdict(g) for g in group_failures(summary.cases)],
        "collection_errors": summary.collection_errors,
        "cases": [asdict(c) for c in summary.cases],
    }
    return json.dumps(data, indent=2) + "\n"


def print_summary(summary: Summary) -> None:
    t = summary.totals()
    print(
        f"\ncollected {t['collected']}, passed {t['passed']}, failed {t['failed']}, "
        f"errored {t['errored']}, skipped {t['skipped']} ({t['skipped_by_marker']} by their "
        f"own markers, {t['skipped_at_runtime']} at run time), xfailed {t['xfailed']}, "
        f"xpassed {t['xpassed']}; in scope {t['in_scope']}"
        + (f"; {t['collection_errors']} collection errors" if t["collection_errors"] else "")
    )
    groups = group_failures(summary.cases)
    if groups:
        print("failures and errors by reason:")
        for g in groups:
            print(f"  {g.count:4d}  {g.key}")
            for example in g.examples:
                print(f"          {example}")


# ---------------------------------------------------------------------------------------------
