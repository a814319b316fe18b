"""A small real simulation for the reference sweep: a deterministic SIR epidemic model."""

from __future__ import annotations

from typing import Any

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


def simulate(params: dict[str, Any]) -> dict[str, float]:
    """Forward-Euler SIR; raises :class:`SimulationError` where the step is numerically unstable."""
    beta, gamma, dt = float(params["beta"]), float(params["gamma"]), float(params["dt"])
    if beta * dt > 0.5 or gamma * dt > 0.5:
        raise SimulationError(
            f"unstable step: beta*dt={beta * dt:.3f}, gamma*dt={gamma * dt:.3f} > 0.5"
        )
    n = float(params["population"])
    infected = float(params["initial_infected"])
    susceptible, recovered = n - infected, 0.0
    peak, peak_day = infected, 0.0
    for step in range(1, int(params["steps"]) + 1):
        new_inf = beta * susceptible * infected / n * dt
        new_rec = gamma * infected * dt
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
