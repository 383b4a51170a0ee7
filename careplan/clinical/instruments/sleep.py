"""Short sleep screen built from the intake questions.

The Insomnia Severity Index is licensed, so it is not used. The screen combines
hours slept, a good/fair/poor quality rating and the SSS "waking unrefreshed"
item (0-3). The 6- and 7-hour cut-offs follow the AASM/SRS consensus that
adults need 7 hours or more (Watson et al., Sleep 2015); under 6 hours is
treated as likely a problem, 6 to under 7 as possible. Follow-up uses the AASM
2021 behavioural treatment guideline (Edinger et al., J Clin Sleep Med 2021).
These thresholds are a local screen, not a validated instrument.
"""

import math
from dataclasses import dataclass
from typing import Literal

NAME: str = "Sleep screen (hours, quality, waking unrefreshed)"
SOURCE: str = "Watson et al., Sleep 2015; Edinger et al., J Clin Sleep Med 2021"

LIKELY_UNDER_HOURS = 6.0
POSSIBLE_UNDER_HOURS = 7.0
QUALITIES: tuple[str, ...] = ("good", "fair", "poor")

SleepOutcome = Literal["likely_problem", "possible_problem", "no_problem"]

_WAKING_LABELS = ("not at all", "mild", "moderate", "severe")


@dataclass(frozen=True, slots=True)
class SleepResult:
    result: SleepOutcome
    reasons: tuple[str, ...]


def _hours_text(hours: float) -> str:
    unit = "hour" if hours == 1 else "hours"
    return f"sleeps {hours:g} {unit} a night"


def screen(
    *, hours: float | None, quality: str | None, waking_unrefreshed: int | None
) -> SleepResult | None:
    """Screen for a sleep problem; None when none of the three was asked."""
    if hours is None and quality is None and waking_unrefreshed is None:
        return None
    if hours is not None and (
        isinstance(hours, bool)
        or not isinstance(hours, (int, float))
        or math.isnan(hours)
        or not 0 <= hours <= 24
    ):
        raise ValueError(f"hours slept must be a number 0-24, got {hours!r}")
    if quality is not None and quality not in QUALITIES:
        raise ValueError(f"sleep quality must be one of {QUALITIES}, got {quality!r}")
    if waking_unrefreshed is not None and (
        isinstance(waking_unrefreshed, bool)
        or not isinstance(waking_unrefreshed, int)
        or not 0 <= waking_unrefreshed <= 3
    ):
        raise ValueError(
            f"waking_unrefreshed must be a whole number 0-3, got {waking_unrefreshed!r}"
        )

    # Each finding: (level, reason); level 2 likely, 1 possible, 0 none.
    findings: list[tuple[int, str]] = []
    if hours is not None:
        level = 2 if hours < LIKELY_UNDER_HOURS else 1 if hours < POSSIBLE_UNDER_HOURS else 0
        findings.append((level, _hours_text(hours)))
    if quality is not None:
        level = {"poor": 2, "fair": 1, "good": 0}[quality]
        findings.append((level, f"rates sleep as {quality}"))
    if waking_unrefreshed is not None:
        level = {3: 2, 2: 1}.get(waking_unrefreshed, 0)
        label = _WAKING_LABELS[waking_unrefreshed]
        findings.append((level, f"wakes unrefreshed: {label} ({waking_unrefreshed} of 3)"))

    worst = max(level for level, _ in findings)
    outcome: SleepOutcome = (
        "likely_problem" if worst == 2 else "possible_problem" if worst == 1 else "no_problem"
    )
    # Problem results list the findings behind them; no_problem lists what was checked.
    reasons = tuple(text for level, text in findings if worst == 0 or level > 0)
    return SleepResult(result=outcome, reasons=reasons)
