"""The reference sweep, public: a deterministic SIR model planned as a grid into shards.

It is what ``ara sweep`` and ``make demo`` run, and what ``examples/lambda_handlers.py`` wires
into Lambda-style handlers. Use it to try the toolkit end to end; replace it with your own
simulation in production.
"""

from ._sir import DEFAULTS, SimulationError, resolve_params, simulate
from ._sweep import (
    VARIANTS,
    SweepResult,
    Variant,
    plan_points,
    reference_configs,
    run_shard,
    run_sweep,
)

__all__ = [
    "DEFAULTS",
    "VARIANTS",
    "SimulationError",
    "SweepResult",
    "Variant",
    "plan_points",
    "reference_configs",
    "resolve_params",
    "run_shard",
    "run_sweep",
    "simulate",
]
