"""The endpoint's errors: one flat module (as the exporter's ``errors.py``)."""

from __future__ import annotations

__all__ = ["AthenaQueryError", "EmulationError"]


class AthenaQueryError(Exception):
    """A statement that ends FAILED: ``reason`` is its StateChangeReason (``CODE: message``)."""

    def __init__(self, code: str, message: str, *, category: int = 2) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.reason = f"{code}: {message}"
        self.category = category  # Athena's ErrorCategory: 1 system, 2 user, 3 other


class EmulationError(Exception):
    """SQL the emulation cannot follow faithfully (say so, never guess)."""
