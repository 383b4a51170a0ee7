"""Statin-Associated Muscle Symptoms Clinical Index (SAMS-CI), partial at intake.

Sources: NLA Statin Intolerance Panel 2014; Rosenson et al., Cardiovasc Drugs
Ther 2017. The full index adds location (1-3), onset after starting the statin
(1-3), dechallenge (0-2) and rechallenge (0-3): 2-6 unlikely, 7-8 possible,
9-11 probable. An intake can fill only location and onset, so the result is a
lower bound (``partial``) and an upper bound (``max_possible`` = partial + 5);
dechallenge and rechallenge need follow-up.

Location comes from WPI areas (highest wins): both hips or both thighs 3; both
calves 2; both shoulders or both upper arms 2; any other painful area 1.
Onset: under 4 weeks 3; 4 to 12 weeks 2; over 12 weeks 1. Symptom onset is the
visit date minus the recorded duration in weeks, or the visit date itself when
the duration is unknown.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from . import wpi

NAME: str = "Statin-Associated Muscle Symptoms Clinical Index (SAMS-CI)"
SOURCE: str = "Rosenson et al., Cardiovasc Drugs Ther 2017"

UNLIKELY = range(2, 7)
POSSIBLE = range(7, 9)
PROBABLE = range(9, 12)
UNKNOWN_AT_INTAKE = 5  # dechallenge up to 2 + rechallenge up to 3

SamsLikelihood = Literal["unlikely", "possible", "probable"]

# (points, description, pairs of areas that must both be painful), highest first.
_LOCATIONS: tuple[tuple[int, str, tuple[tuple[str, str], ...]], ...] = (
    (
        3,
        "symmetric hip flexor/thigh",
        (("hip_left", "hip_right"), ("upper_leg_left", "upper_leg_right")),
    ),
    (2, "symmetric calf", (("lower_leg_left", "lower_leg_right"),)),
    (
        2,
        "symmetric upper proximal",
        (("shoulder_left", "shoulder_right"), ("upper_arm_left", "upper_arm_right")),
    ),
)


@dataclass(frozen=True, slots=True)
class SamsResult:
    applicable: bool
    location_points: int
    onset_points: int
    onset_weeks: float
    partial: int
    max_possible: int
    note: str


def interpret(total: int) -> SamsLikelihood:
    """Interpret a full SAMS-CI total (2-11)."""
    if isinstance(total, bool) or not isinstance(total, int) or total not in range(2, 12):
        raise ValueError(f"SAMS-CI total must be a whole number 2-11, got {total!r}")
    if total in UNLIKELY:
        return "unlikely"
    return "possible" if total in POSSIBLE else "probable"


def _location(areas: frozenset[str]) -> tuple[int, str]:
    for points, label, pairs in _LOCATIONS:
        if any(left in areas and right in areas for left, right in pairs):
            return points, label
    return 1, "nonspecific or asymmetric"


def _onset_points(days: int) -> int:
    if days < 28:
        return 3
    return 2 if days <= 84 else 1


def _not_applicable(onset_weeks: float, note: str) -> SamsResult:
    return SamsResult(False, 0, 0, onset_weeks, 0, 0, note)


def partial_index(
    *,
    areas: Iterable[str],
    statin_started: datetime.date,
    visit_date: datetime.date,
    duration_weeks: int | None,
) -> SamsResult:
    """Location and onset points; bounds for the full index. Not applicable gives zeros."""
    chosen = wpi.painful_areas(areas)
    for name, value in (("statin_started", statin_started), ("visit_date", visit_date)):
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError(f"{name} must be a date, got {value!r}")
    if statin_started > visit_date:
        raise ValueError(f"statin start {statin_started} is after the visit date {visit_date}")
    if duration_weeks is not None and (
        isinstance(duration_weeks, bool)
        or not isinstance(duration_weeks, int)
        or duration_weeks < 0
    ):
        raise ValueError(f"duration_weeks must be a whole number 0 or more, got {duration_weeks!r}")

    if duration_weeks is None:
        onset = visit_date
        onset_note = "; onset taken as the visit date because the duration is not recorded"
    else:
        onset = visit_date - datetime.timedelta(weeks=duration_weeks)
        onset_note = ""
    days = (onset - statin_started).days
    onset_weeks = round(days / 7, 1)

    if not chosen:
        return _not_applicable(onset_weeks, "SAMS-CI not applicable: no painful areas recorded.")
    if days < 0:
        return _not_applicable(
            onset_weeks,
            f"SAMS-CI not applicable: symptoms predate the statin (onset {onset}, "
            f"statin started {statin_started}).",
        )

    location_points, location_label = _location(chosen)
    onset_points = _onset_points(days)
    partial = location_points + onset_points
    high = partial + UNKNOWN_AT_INTAKE
    note = (
        f"Partial SAMS-CI {partial}: location {location_points} ({location_label}), "
        f"onset {onset_points} (symptoms began {onset}, {onset_weeks:g} weeks after "
        f"starting the statin{onset_note}). Dechallenge and rechallenge are unknown at intake, "
        f"so the full index lies between {partial} ({interpret(partial)}) "
        f"and {high} ({interpret(high)})."
    )
    return SamsResult(True, location_points, onset_points, onset_weeks, partial, high, note)
