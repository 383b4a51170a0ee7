"""Numeric rating scale (NRS) for pain intensity, 0-10.

0 = no pain, 10 = worst imaginable. The bands (0 none, 1-3 mild, 4-6 moderate,
7-10 severe) are the conventional NRS categories in common clinical use, not a
single validation study. A change of about 2 points or 30% is clinically
important (Farrar et al., Pain 2001).
"""

from typing import Literal

from careplan.clinical.instruments._checks import whole

NAME: str = "Pain numeric rating scale (0-10)"
SOURCE: str = "Common NRS bands; Farrar et al., Pain 2001"

MEANINGFUL_CHANGE_POINTS = 2

PainBand = Literal["none", "mild", "moderate", "severe"]


def band(value: int) -> PainBand:
    """Return the band for an NRS score 0-10."""
    whole("pain score", value, 0, 10)
    if value == 0:
        return "none"
    if value <= 3:
        return "mild"
    if value <= 6:
        return "moderate"
    return "severe"
