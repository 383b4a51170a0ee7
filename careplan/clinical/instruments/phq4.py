"""PHQ-4: ultra-brief screen for anxiety and depression.

Source: Kroenke et al., Psychosomatics 2009. Four items about the past 2 weeks,
each 0-3. Total 0-12 bands as published: 0-2 none, 3-5 mild, 6-8 moderate,
9-12 severe. Items 1+2 form the GAD-2 and items 3+4 the PHQ-2; each is positive
at 3 or more (PHQ-2 >= 3: sensitivity 61%, specificity 92%, Arroll et al.,
Ann Fam Med 2010). A positive screen is followed by the GAD-7 or PHQ-9.
Neither screen asks about self-harm; a separate safety item is needed.
"""

from dataclasses import dataclass
from typing import Literal

from careplan.clinical.instruments._checks import whole

NAME: str = "PHQ-4 (anxiety and depression screen)"
SOURCE: str = "Kroenke et al., Psychosomatics 2009"

POSITIVE_AT = 3

Phq4Band = Literal["none", "mild", "moderate", "severe"]


@dataclass(frozen=True, slots=True)
class Phq4Result:
    total: int
    band: Phq4Band
    gad2: int
    phq2: int
    gad2_positive: bool
    phq2_positive: bool


def _item(name: str, value: int) -> int:
    return whole(f"PHQ-4 item {name!r}", value, 0, 3)


def gad2(*, anxious: int, worry: int) -> int:
    """GAD-2 sub-score (0-6)."""
    return _item("anxious", anxious) + _item("worry", worry)


def phq2(*, little_interest: int, down: int) -> int:
    """PHQ-2 sub-score (0-6)."""
    return _item("little_interest", little_interest) + _item("down", down)


def _band(total: int) -> Phq4Band:
    if total <= 2:
        return "none"
    if total <= 5:
        return "mild"
    if total <= 8:
        return "moderate"
    return "severe"


def score(*, anxious: int, worry: int, little_interest: int, down: int) -> Phq4Result:
    """Score all four items with the GAD-2 and PHQ-2 sub-scores."""
    anxiety = gad2(anxious=anxious, worry=worry)
    depression = phq2(little_interest=little_interest, down=down)
    total = anxiety + depression
    return Phq4Result(
        total=total,
        band=_band(total),
        gad2=anxiety,
        phq2=depression,
        gad2_positive=anxiety >= POSITIVE_AT,
        phq2_positive=depression >= POSITIVE_AT,
    )
