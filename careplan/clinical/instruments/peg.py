"""PEG-3: Pain, Enjoyment of life, General activity (Krebs et al., J Gen Intern Med 2009).

Three 0-10 items about the past week; the score is their mean (0-10). CDC 2022
names the PEG for tracking function, and a drop of 30% or more is treated as
meaningful. The bands (<4 low, 4-6.9 moderate, >=7 high) come from calculator
sites, not from the validation paper; treat them as display aids only.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from careplan.clinical.instruments._checks import whole

NAME: str = "PEG-3 (pain, enjoyment, general activity)"
SOURCE: str = "Krebs et al., J Gen Intern Med 2009"

MEANINGFUL_DROP = Decimal("0.30")

PegBand = Literal["low", "moderate", "high"]


@dataclass(frozen=True, slots=True)
class PegResult:
    score: float
    band: PegBand


def _item(name: str, value: int) -> int:
    return whole(f"PEG item {name!r}", value, 0, 10)


def _check_score(name: str, value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or math.isnan(value)
        or not 0 <= value <= 10
    ):
        raise ValueError(f"PEG {name} must be a number 0-10, got {value!r}")
    return float(value)


def band(score: float) -> PegBand:
    """Return the calculator-site band for a PEG score 0-10."""
    value = _check_score("score", score)
    if value < 4:
        return "low"
    if value < 7:
        return "moderate"
    return "high"


def score(*, pain: int, enjoyment: int, activity: int) -> PegResult:
    """Mean of the three items, rounded half-up to 1 decimal."""
    total = _item("pain", pain) + _item("enjoyment", enjoyment) + _item("activity", activity)
    mean = (Decimal(total) / 3).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    value = float(mean)
    return PegResult(score=value, band=band(value))


def meaningful_improvement(*, before: float, after: float) -> bool:
    """True when the score fell by 30% or more (CDC 2022); False when before is 0."""
    start = Decimal(str(_check_score("before", before)))
    end = Decimal(str(_check_score("after", after)))
    if start == 0:
        return False
    return start - end >= start * MEANINGFUL_DROP
