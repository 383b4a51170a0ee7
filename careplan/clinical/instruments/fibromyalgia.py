"""ACR 2016 fibromyalgia classification criteria.

Source: Wolfe et al., Semin Arthritis Rheum 2016. Met when all three hold:
(WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9); generalised pain (4 of 5
regions); symptoms at a similar level for at least 3 months. The diagnosis is
valid even when other diagnoses are present. The 2010 version used WPI 3-6 in
the second branch; that is not used here.

Duration: the intake records whole weeks, and 12 weeks is taken as 3 months,
the same 12-week boundary ACP 2017 uses for chronic pain. ACP calls pain
chronic only after more than 12 weeks, so exactly 12 weeks is subacute by ACP
but meets this criterion.
"""

from dataclasses import dataclass

from careplan.clinical.instruments._checks import whole

NAME: str = "Fibromyalgia criteria (ACR 2016)"
SOURCE: str = "Wolfe et al., Semin Arthritis Rheum 2016"

MIN_DURATION_WEEKS = 12


@dataclass(frozen=True, slots=True)
class FibroResult:
    met: bool
    reasons: tuple[str, ...]


def assess(*, wpi: int, sss: int, generalized: bool, duration_weeks: int) -> FibroResult:
    """Apply the ACR 2016 criteria; reasons cover each of the three conditions."""
    whole("wpi", wpi, 0, 19)
    whole("sss", sss, 0, 12)
    whole("duration_weeks", duration_weeks, 0, None)
    if not isinstance(generalized, bool):
        raise ValueError(f"generalized must be True or False, got {generalized!r}")

    scores_ok = (wpi >= 7 and sss >= 5) or (4 <= wpi <= 6 and sss >= 9)
    duration_ok = duration_weeks >= MIN_DURATION_WEEKS
    reasons = (
        f"WPI {wpi} and SSS {sss} meet the score threshold"
        if scores_ok
        else f"WPI {wpi} and SSS {sss} do not meet the score threshold"
        " (WPI 7+ with SSS 5+, or WPI 4-6 with SSS 9+)",
        "generalised pain in 4 or more of 5 regions"
        if generalized
        else "no generalised pain (fewer than 4 of 5 regions; jaw, chest and abdomen not counted)",
        f"symptoms for {duration_weeks} weeks (3 months or more)"
        if duration_ok
        else f"symptoms for {duration_weeks} weeks (less than 3 months)",
    )
    return FibroResult(met=scores_ok and generalized and duration_ok, reasons=reasons)
