"""A pytest plugin that tools/athena_functional.py loads (``-p athena_functional_plugin``) into
the run of dbt-athena's functional suite. It records in each test case's JUnit properties:

* ``ara_nodeid`` — the pytest node id (JUnit's classname/name pair loses the path/class split);
* ``ara_skip`` — for a test skipped before it ran: ``marker`` when one of the test's own
  ``skip``/``skipif`` markers skipped it (its reason is the skip's reason), else ``runtime``
  (a ``pytest.skip()`` in a fixture or the test: a prerequisite it found missing);
* ``ara_xfail`` — ``xfailed`` or ``xpassed`` for a test under an ``xfail`` marker.

It also bounds each phase (setup, call, teardown) of a test to ``$ARA_FUNCTIONAL_TEST_TIMEOUT``
seconds (unset or 0: no bound) with SIGALRM: a phase over it fails with :class:`PhaseTimeout`.
Properties go on ``item.user_properties``, so they survive pytest-xdist's report transfer.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

__all__ = ["ENV_TIMEOUT", "NODEID", "SKIP", "XFAIL", "PhaseTimeout"]

ENV_TIMEOUT = "ARA_FUNCTIONAL_TEST_TIMEOUT"
NODEID = "ara_nodeid"
SKIP = "ara_skip"
XFAIL = "ara_xfail"


class PhaseTimeout(Exception):
    """A test's setup, call or teardown ran over its time bound."""


def _skipif_reasons(item: pytest.Item) -> list[str]:
    return [str(mark.kwargs.get("reason", "")) for mark in item.iter_markers("skipif")]


def _words(text: str) -> str:
    return " ".join(text.split())


def _skip_message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        message = str(longrepr[2])
        return message.removeprefix("Skipped: ")
    return str(longrepr)


def _set_property(item: pytest.Item, name: str, value: str) -> None:
    item.user_properties[:] = [(k, v) for k, v in item.user_properties if k != name]
    item.user_properties.append((name, value))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _set_property(item, NODEID, item.nodeid)
    if hasattr(report, "wasxfail"):
        _set_property(item, XFAIL, "xfailed" if report.skipped else "xpassed")
    elif report.skipped and call.when == "setup":
        # pytest evaluates skip/skipif markers before any fixture runs: an unconditional skip
        # marker always wins; a skipif one did when the skip's reason is its reason
        message = _words(_skip_message(report))
        own = any(True for _ in item.iter_markers("skip")) or any(
            r and message.endswith(r) for r in map(_words, _skipif_reasons(item))
        )
        _set_property(item, SKIP, "marker" if own else "runtime")
    return report


@contextmanager
def _bounded(when: str) -> Iterator[None]:
    seconds = float(os.environ.get(ENV_TIMEOUT) or 0)
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise PhaseTimeout(f"the test's {when} ran over {seconds:g} s ({ENV_TIMEOUT})")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _bounded("setup"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _bounded("call"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    with _bounded("teardown"):
        return (yield)
