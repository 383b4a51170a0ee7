"""Timing with its spread: a median alone hides a noisy machine, so min and max go beside it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    """Samples of one measurement, in one unit (``ms`` or ``s``)."""

    samples: tuple[float, ...]
    unit: str = "ms"

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def show(self, digits: int = 2) -> str:
        """``median 1.23 ms (min 1.10, max 2.00, n=300)``."""
        return (f"median {self.median:.{digits}f} {self.unit} "
                f"(min {min(self.samples):.{digits}f}, max {max(self.samples):.{digits}f}, "
                f"n={len(self.samples)})")


def time_ms(action: Callable[[], object], *, warmup: int = 200, repeats: int = 2000) -> Timing:
    """Run ``action`` ``warmup`` times untimed, then time it ``repeats`` times."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        action()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return Timing(tuple(samples))


def seconds(samples: Sequence[float]) -> Timing:
    return Timing(tuple(samples), unit="s")
