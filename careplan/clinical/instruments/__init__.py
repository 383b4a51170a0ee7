"""Scoring for the intake instruments, one small module per instrument.

Each module names its source in ``SOURCE`` and documents its cut-offs. The
functions are pure: they validate their input, raise ``ValueError`` for values
out of range, and never read the clock.
"""

__all__ = ["fibromyalgia", "pain", "peg", "phq4", "sams", "sleep", "sss", "wpi"]
