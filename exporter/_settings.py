"""The feature gate: which datasets are exported. Outcomes are always exported.

Environment (read by :meth:`ExportSettings.from_env`, which the writers use by default):

* ``ARA_EXPORT_RUN_CONTEXT`` — ``true``/``false`` (also 1/0, yes/no, on/off); default true.
* ``ARA_EXPORT_EFFECTIVE_PARAMS`` — the same, for effective parameters; default true.

Turning either off is the rollback path of the design: outcome exports carry on unchanged
(``param_hash`` is still computed and written on every outcome row).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConfigError

__all__ = ["ENV_EXPORT_EFFECTIVE_PARAMS", "ENV_EXPORT_RUN_CONTEXT", "ExportSettings"]

ENV_EXPORT_RUN_CONTEXT = "ARA_EXPORT_RUN_CONTEXT"
ENV_EXPORT_EFFECTIVE_PARAMS = "ARA_EXPORT_EFFECTIVE_PARAMS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return True
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(name, raw, "must be one of true/false, 1/0, yes/no, on/off")


@dataclass(frozen=True)
class ExportSettings:
    run_context: bool = True
    effective_params: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExportSettings:
        env = os.environ if env is None else env
        return cls(
            run_context=_flag(env, ENV_EXPORT_RUN_CONTEXT),
            effective_params=_flag(env, ENV_EXPORT_EFFECTIVE_PARAMS),
        )
