"""Input checks shared by the instruments: an item score is a whole number in range.

Why: ``True`` is an ``int`` in Python and ``6.0`` is not, so every instrument
needs the same careful test; one copy keeps the messages consistent.
"""

from __future__ import annotations


def whole(label: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is a whole number from ``low`` to ``high``; else ValueError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        limit = f"{low}-{high}" if high is not None else f"{low} or more"
        raise ValueError(f"{label} must be a whole number {limit}, got {value!r}")
    return value
