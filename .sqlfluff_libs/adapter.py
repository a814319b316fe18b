"""sqlfluff jinja templater stand-in for dbt's ``adapter``: ``adapter.dispatch`` picks the
``duckdb__`` (else ``default__``) implementation from the macros sqlfluff loaded from macros/,
so models lint as the SQL the local target runs, with no dbt and no database."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise KeyError(f"no duckdb__ or default__ implementation of {macro_name}")
