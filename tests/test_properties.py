"""Properties over generated intakes: the engine never breaks and never loses a red flag."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.clinical.plan import DOMAINS, SEVERITIES, TIMEFRAMES, Alert, Recommendation
from careplan.intake.validation import validate_intake
from strategies import TODAY, intakes

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Each emergency red-flag answer and the alert that must always follow it.
EMERGENCY_FLAGS = {
    "dark_urine": "RF-RHABDO",
    "pain_out_of_proportion_or_tense_swelling": "RF-COMPARTMENT",
    "one_sided_calf_swelling": "RF-DVT",
    "saddle_numbness_or_bladder_bowel_change": "RF-CAUDA",
    "numbness_or_bladder_bowel_change": "RF-CAUDA",  # the first version's field, still read
    "chest_pain_or_breathlessness": "RF-CARDIAC",
    "thoughts_of_self_harm": "RF-SELF-HARM",
}


@SETTINGS
@given(intakes())
def test_any_valid_intake_builds_a_sound_plan(data: dict[str, Any]) -> None:
    intake = validate_intake(data, today=TODAY)
    plan = build_plan(intake=intake, today=TODAY)
    assert plan == build_plan(intake=intake, today=TODAY)  # deterministic
    ranks = [(SEVERITIES.index(a.severity), TIMEFRAMES.index(a.timeframe)) for a in plan.alerts]
    assert ranks == sorted(ranks)
    assert [DOMAINS.index(r.domain) for r in plan.recommendations] == sorted(
        DOMAINS.index(r.domain) for r in plan.recommendations
    )
    items: tuple[Alert | Recommendation, ...] = (*plan.alerts, *plan.recommendations)
    for item in items:
        assert item.because, f"{item.id} fired without a reason"
        assert item.source
        assert "{" not in item.patient_text
    base = default_rule_base()
    if any(("activity", "hold") in base.get(a.id).speaks for a in plan.alerts):
        assert not any(r.speaks.get("activity") == "progress" for r in plan.recommendations)
        assert "PT-HOLD-EXERCISE" in {r.id for r in plan.recommendations}
    assert plan.follow_up.review_in_weeks >= 1
    assert len(plan.medications) == len(intake.history.medications or [])


@pytest.mark.parametrize(("flag", "alert"), sorted(EMERGENCY_FLAGS.items()))
def test_each_emergency_flag_always_raises_its_alert(flag: str, alert: str) -> None:
    @SETTINGS
    @given(intakes(**{f"red_flags.{flag}": True}))
    def check(data: dict[str, Any]) -> None:
        plan = build_plan(intake=validate_intake(data, today=TODAY), today=TODAY)
        found = {a.id: a for a in plan.alerts}
        assert alert in found
        assert found[alert].severity == "emergency"
        assert plan.alerts[0].severity == "emergency"

    check()
