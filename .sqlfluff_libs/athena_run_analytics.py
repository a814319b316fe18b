"""sqlfluff stand-in for the project's macro namespace: ``athena_run_analytics.name(...)``
calls the macro ``name`` that sqlfluff loaded from macros/."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)

    @pass_context
    def call(context: Context, *args: Any, **kwargs: Any) -> Any:
        return context[name](*args, **kwargs)

    return call
