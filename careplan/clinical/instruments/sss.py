"""Symptom Severity Scale (SSS), ACR 2016 fibromyalgia criteria.

Source: Wolfe et al., Semin Arthritis Rheum 2016. Fatigue, waking unrefreshed
and cognitive symptoms over the past week are each rated 0-3 (none,
mild/intermittent, moderate/often, severe/pervasive); headache, lower
abdominal pain or cramps, and depression in the past 6 months add 1 point
each, giving 0-12. The SSS has no bands of its own; its cut-offs (5 and 9) are
used together with the WPI in ``fibromyalgia``.
"""

from dataclasses import dataclass

from careplan.clinical.instruments._checks import whole

NAME: str = "Symptom Severity Scale (ACR 2016)"
SOURCE: str = "Wolfe et al., Semin Arthritis Rheum 2016"


@dataclass(frozen=True, slots=True)
class SssResult:
    score: int


def _item(name: str, value: int) -> int:
    return whole(f"SSS item {name!r}", value, 0, 3)


def _flag(name: str, value: bool) -> int:
    if not isinstance(value, bool):
        raise ValueError(f"SSS item {name!r} must be True or False, got {value!r}")
    return int(value)


def score(
    *,
    fatigue: int,
    waking_unrefreshed: int,
    cognitive_symptoms: int,
    headaches: bool,
    lower_abdominal_pain: bool,
    depression: bool,
) -> SssResult:
    """Sum the three 0-3 items and one point for each symptom present."""
    total = (
        _item("fatigue", fatigue)
        + _item("waking_unrefreshed", waking_unrefreshed)
        + _item("cognitive_symptoms", cognitive_symptoms)
        + _flag("headaches", headaches)
        + _flag("lower_abdominal_pain", lower_abdominal_pain)
        + _flag("depression", depression)
    )
    return SssResult(score=total)
