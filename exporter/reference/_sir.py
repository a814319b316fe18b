"""A small real simulation for the reference sweep: a deterministic SIR epidemic model."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidFieldError

__all__ = ["DEFAULTS", "SimulationError", "resolve_params", "simulate"]

#: Parameters a sweep may leave out; the effective parameters always carry them.
DEFAULTS: dict[str, Any] = {
    "population": 10_000,
    "initial_infected": 10,
    "days": 160,
    "dt": 0.25,
    "model": "sir-euler",
}


class SimulationError(RuntimeError):
    """The simulation could not produce a result for these parameters."""


def resolve_params(
    point: dict[str, Any], overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Defaults, then the sweep's fixed overrides, then the point; plus derived values."""
    params: dict[str, Any] = {**DEFAULTS, **(overrides or {}), **point}
    params["r0"] = params["beta"] / params["gamma"]
    params["steps"] = round(params["days"] / params["dt"])
    return params


def simulate(params: dict[str, Any], *, substeps: int = 1) -> dict[str, float]:
    """Forward-Euler SIR; raises :class:`SimulationError` where the step is numerically unstable.

    ``substeps`` is a code change, not a parameter (the reference sweep's variant
    ``substeps``, docs/compare.md): each step of ``dt`` is integrated as ``substeps`` Euler
    steps of ``dt / substeps``; the state is still sampled every ``dt`` (peak, peak day).
    ``substeps=1`` is the reference model, to the last bit.
    """
    if isinstance(substeps, bool) or not isinstance(substeps, int) or substeps < 1:
        raise InvalidFieldError("substeps", substeps, "must be a whole number >= 1")
    beta, gamma, dt = float(params["beta"]), float(params["gamma"]), float(params["dt"])
    h = dt / substeps
    if beta * h > 0.5 or gamma * h > 0.5:
        name = "dt" if substeps == 1 else f"dt/{substeps}"
        raise SimulationError(
            f"unstable step: beta*{name}={beta * h:.3f}, gamma*{name}={gamma * h:.3f} > 0.5"
        )
    n = float(params["population"])
    infected = float(params["initial_infected"])
    susceptible, recovered = n - infected, 0.0
    peak, peak_day = infected, 0.0
    for step in range(1, int(params["steps"]) + 1):
        for _ in range(substeps):
            new_inf = beta * susceptible * infected / n * h
            new_rec = gamma * infected * h
            susceptible -= new_inf
            infected += new_inf - new_rec
            recovered += new_rec
        if infected > peak:
            peak, peak_day = infected, step * dt
    return {
        "peak_infected": peak,
        "peak_day": peak_day,
        "attack_rate": (recovered + infected) / n,
        "final_susceptible": susceptible,
    }
