"""Widespread Pain Index (WPI), ACR 2016 fibromyalgia criteria.

Source: Wolfe et al., Semin Arthritis Rheum 2016. The WPI counts the 19 areas
painful in the past week (0-19). Generalised pain means pain in at least 4 of
the 5 regions; jaw, chest and abdomen pain count towards the WPI score but not
towards the region count, as the 2016 revision specifies. Left and right are
from the patient's viewpoint.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from careplan.intake.vocabulary import AREAS

NAME: str = "Widespread Pain Index (ACR 2016)"
SOURCE: str = "Wolfe et al., Semin Arthritis Rheum 2016"

REGIONS: dict[str, tuple[str, ...]] = {
    "left_upper": ("jaw_left", "shoulder_left", "upper_arm_left", "lower_arm_left"),
    "right_upper": ("jaw_right", "shoulder_right", "upper_arm_right", "lower_arm_right"),
    "left_lower": ("hip_left", "upper_leg_left", "lower_leg_left"),
    "right_lower": ("hip_right", "upper_leg_right", "lower_leg_right"),
    "axial": ("neck", "upper_back", "lower_back", "chest", "abdomen"),
}

REGION_LABELS: dict[str, str] = {
    "left_upper": "Left upper region (region 1)",
    "right_upper": "Right upper region (region 2)",
    "left_lower": "Left lower region (region 3)",
    "right_lower": "Right lower region (region 4)",
    "axial": "Axial region (region 5)",
}

#: Areas scored in the WPI but not counted when deciding generalised pain.
NOT_COUNTED_FOR_REGIONS: frozenset[str] = frozenset({"jaw_left", "jaw_right", "chest", "abdomen"})

GENERALIZED_MIN_REGIONS = 4


@dataclass(frozen=True, slots=True)
class WpiResult:
    score: int
    regions: tuple[str, ...]
    generalized: bool


def painful_areas(areas: Iterable[str]) -> frozenset[str]:
    """Validate area names and drop duplicates."""
    if isinstance(areas, str):
        raise TypeError("areas must be a collection of area names, not a single string")
    chosen = frozenset(areas)
    unknown = sorted(chosen.difference(AREAS))
    if unknown:
        raise ValueError(f"unknown WPI area(s): {', '.join(map(repr, unknown))}")
    return chosen


def score(areas: Iterable[str]) -> WpiResult:
    """Score the WPI from the painful areas (duplicates count once)."""
    chosen = painful_areas(areas)
    counted = chosen - NOT_COUNTED_FOR_REGIONS
    regions = tuple(key for key, members in REGIONS.items() if counted.intersection(members))
    return WpiResult(
        score=len(chosen),
        regions=regions,
        generalized=len(regions) >= GENERALIZED_MIN_REGIONS,
    )


def is_symmetric(areas: Iterable[str], left: str, right: str) -> bool:
    """True when both the left and the right area are painful."""
    chosen = painful_areas(areas)
    painful_areas((left, right))
    return left in chosen and right in chosen
