"""Named clinical scenarios, end to end through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from careplan.clinical.engine import build_plan
from careplan.clinical.facts import CATALOGUE
from careplan.clinical.plan import DOMAINS, Alert, CarePlan, Recommendation
from factories import TODAY, make_intake


def plan_for(changes: dict[str, Any] | None = None, unset: tuple[str, ...] = ()) -> CarePlan:
    return build_plan(intake=make_intake(changes, unset=unset), today=TODAY)


def ids(plan: CarePlan) -> set[str]:
    return {a.id for a in plan.alerts} | {r.id for r in plan.recommendations}


def test_desk_worker_example() -> None:
    plan = plan_for()
    assert not plan.alerts
    assert {r.domain for r in plan.recommendations} == set(DOMAINS)
    assert {"REST-DESK-BREAKS", "PT-DESK-POSTURE", "MED-STATIN-SAMS", "SLEEP-CBTI",
            "STRESS-PHQ-POSITIVE"} <= ids(plan)
    sams = next(r for r in plan.recommendations if r.id == "MED-STATIN-SAMS")
    assert "taking atorvastatin 40 mg daily since 2026-08-01" in sams.because
    assert plan.scores == {
        "pain_now": 6, "peg": 6.0, "wpi": 4, "generalized_pain": False, "sss": 6,
        "fibromyalgia_criteria_met": False, "phq4": 6, "gad2": 4, "phq2": 2,
        "sleep_screen": "likely_problem", "sams_ci_partial": 5,
    }
    assert plan.follow_up.review_in_weeks == 4
    assert plan.screens_not_done == ()


def test_statin_with_an_interacting_antibiotic() -> None:
    plan = plan_for({"history.medications": [
        {"name": "Zocor 40mg", "dose": "40 mg nightly", "started": "2026-09-01"},
        {"name": "clarithromycin", "dose": "500 mg twice daily", "started": "2026-11-15"},
    ]})
    alert = next(a for a in plan.alerts if a.id == "MED-STATIN-CONTRA")
    assert alert.severity == "urgent"
    assert any("Zocor" in b for b in alert.because)
    assert any("clarithromycin" in b for b in alert.because)
    # "Most of the time the statin is not the cause" is not printed beside a dangerous
    # combination: the reassurance is held back by the alert, and the clinician sees why.
    assert "MED-STATIN-SAMS" not in ids(plan)
    assert "MED-STATIN-CONTRA" in next(w.by for w in plan.withheld if w.id == "MED-STATIN-SAMS")
    items: tuple[Alert | Recommendation, ...] = (*plan.alerts, *plan.recommendations)
    for item in items:
        assert "stop taking" not in item.patient_text.lower()


def test_older_adult_on_an_anticoagulant_with_kidney_disease() -> None:
    plan = plan_for({
        "patient.date_of_birth": "1946-05-02",
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "Eliquis", "dose": "5 mg twice daily"},
                                {"name": "Advil", "dose": "400 mg as needed"}],
    })
    found = ids(plan)
    # Advil bought over the counter: "do not take them unless we say so" is right (point 6),
    # said once, by the blood-thinner item; the stomach and kidney items say the same.
    assert "MED-NSAID-BLEEDING" in found
    assert {w.id: w.by for w in plan.withheld if w.id in ("MED-NSAID-GI", "MED-NSAID-KIDNEY")} \
        == {"MED-NSAID-GI": ("MED-NSAID-BLEEDING",), "MED-NSAID-KIDNEY": ("MED-NSAID-BLEEDING",)}
    assert {"PT-BALANCE-OLDER", "NUT-FLUID-LIMIT"} <= found
    assert "MED-NSAID-ON-LIST" not in found
    assert "NUT-HYDRATION" not in found
    assert "MED-STATIN-SAMS" not in found
    # A prescribed NSAID is never told "do not take": one "do not stop it on your own, we
    # will review it with your prescriber" item instead.
    plan = plan_for({
        "patient.date_of_birth": "1946-05-02",
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "Eliquis", "dose": "5 mg twice daily"},
                                {"name": "meloxicam", "dose": "15 mg daily"}],
    })
    found = ids(plan)
    assert "MED-NSAID-ON-LIST" in found
    assert not {"MED-NSAID-GI", "MED-NSAID-BLEEDING", "MED-NSAID-KIDNEY"} & found
    for item in plan.recommendations:
        if item.speaks.get("nsaid"):
            assert "do not take" not in item.patient_text.lower(), item.id


def test_pregnancy() -> None:
    plan = plan_for({"risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 24,
                     "history.medications": [{"name": "Tylenol", "dose": "500 mg"}]})
    found = ids(plan)
    assert {"MED-NSAID-PREGNANCY", "PT-PREGNANCY", "MED-APAP-LIMIT"} <= found
    assert "MED-TOPICAL-NSAID" not in found


def test_widespread_pain_meets_fibromyalgia_criteria() -> None:
    plan = plan_for({
        "affected_areas": ["neck", "upper_back", "lower_back", "shoulder_left", "shoulder_right",
                           "hip_left", "hip_right", "upper_leg_left", "lower_leg_right"],
        "symptom_severity.fatigue": 3,
        "history.duration_weeks": 30,
    })
    assert plan.scores["wpi"] == 9
    assert plan.scores["generalized_pain"] is True
    assert plan.scores["fibromyalgia_criteria_met"] is True
    assert {"FU-FIBROMYALGIA", "PT-REFERRAL", "PT-SUPERVISED-GROUP", "STRESS-CBT-CHRONIC"} <= ids(
        plan
    )
    assert "MED-TOPICAL-NSAID" not in ids(plan)


# Clinical-reference §2: each red-flag answer, the alert it raises and its documented urgency.
RED_FLAG_URGENCY = [
    ("dark_urine", {}, "RF-RHABDO", "emergency", "now"),
    ("severe_weakness", {"history.recent_unaccustomed_exertion": True}, "RF-RHABDO",
     "emergency", "now"),
    ("severe_weakness", {"history.medications": []}, "RF-WEAKNESS", "urgent", "within_days"),
    # Fever alone: same day, not an emergency (point 7); with very bad pain, an emergency.
    ("fever_or_chills", {}, "RF-INFECTION", "urgent", "same_day"),
    ("fever_or_chills", {"red_flags.pain_out_of_proportion_or_tense_swelling": True},
     "RF-INFECTION-SEVERE", "emergency", "now"),
    ("unexplained_weight_loss", {}, "RF-MALIGNANCY", "urgent", "within_days"),
    ("night_pain", {}, "RF-MALIGNANCY", "urgent", "within_days"),
    ("history_of_cancer", {}, "RF-MALIGNANCY", "urgent", "within_days"),
    ("new_headache_jaw_pain_or_vision_change", {}, "RF-GCA", "emergency", "same_day"),
    ("new_headache_jaw_pain_or_vision_change", {"patient.date_of_birth": "1990-01-01"},
     "RF-HEADACHE-VISION", "urgent", "same_day"),
    ("one_sided_calf_swelling", {}, "RF-DVT", "emergency", "same_day"),
    ("saddle_numbness_or_bladder_bowel_change", {}, "RF-CAUDA", "emergency", "now"),
    ("limb_numbness_or_tingling", {}, "RF-LIMB-NUMBNESS", "urgent", "within_days"),
    ("proximal_weakness_rising_or_climbing", {}, "RF-MYOSITIS", "urgent", "within_days"),
    ("rash", {}, "RF-MYOSITIS", "urgent", "within_days"),
    ("pain_out_of_proportion_or_tense_swelling", {}, "RF-COMPARTMENT", "emergency", "now"),
    ("chest_pain_or_breathlessness", {}, "RF-CARDIAC", "emergency", "now"),
    ("thoughts_of_self_harm", {}, "RF-SELF-HARM", "emergency", "same_day"),
]


@pytest.mark.parametrize(
    ("flag", "extra", "alert_id", "severity", "timeframe"),
    RED_FLAG_URGENCY,
    ids=[f"{row[0]}->{row[2]}" for row in RED_FLAG_URGENCY],
)
def test_each_red_flag_raises_its_alert_at_the_documented_urgency(
    flag: str, extra: dict[str, Any], alert_id: str, severity: str, timeframe: str
) -> None:
    plan = plan_for({f"red_flags.{flag}": True, **extra})
    alert = next(a for a in plan.alerts if a.id == alert_id)
    assert (alert.severity, alert.timeframe) == (severity, timeframe)
    assert CATALOGUE[f"red_flags.{flag}"].label in alert.because
    assert plan.alerts[0].severity in ("emergency", severity)
    if severity == "emergency" and flag != "thoughts_of_self_harm":
        rec_ids = [r.id for r in plan.recommendations]
        assert "PT-HOLD-EXERCISE" in rec_ids
        assert "PT-EXERCISE" not in rec_ids
        assert "PT-EXERCISE" in {w.id for w in plan.withheld}


def test_every_red_flag_answer_is_covered() -> None:
    from careplan.intake.model import RED_FLAGS

    assert {row[0] for row in RED_FLAG_URGENCY} == set(RED_FLAGS)


def test_pmr_in_an_older_adult_with_long_morning_stiffness() -> None:
    plan = plan_for({"patient.date_of_birth": "1955-01-01",
                     "history.morning_stiffness_minutes": 60})
    alert = next(a for a in plan.alerts if a.id == "RF-PMR")
    assert alert.severity == "urgent"
    assert "morning stiffness 60 minutes" in alert.because
    assert "CK" in plan.follow_up.labs_to_consider
    assert plan.follow_up.review_in_weeks == 1


def test_rushed_visit_lists_the_screens_not_done() -> None:
    plan = plan_for(unset=("risk_factors", "symptom_severity", "affected_areas", "red_flags",
                           "history.medications"))
    assert "PHQ-4 (anxiety and mood)" in plan.screens_not_done
    assert "body map (Widespread Pain Index)" in plan.screens_not_done
    assert "medication list" in plan.screens_not_done
    assert any(s.startswith("red-flag checklist") for s in plan.screens_not_done)
    assert {"MED-LIST-MISSING", "STRESS-SAFETY-QUESTION", "FU-SCREENS-NOT-DONE"} <= ids(plan)
    assert plan.scores["phq4"] is None
    assert not plan.alerts


def test_self_harm_escalates_but_keeps_activity_advice() -> None:
    plan = plan_for({"red_flags.thoughts_of_self_harm": True})
    assert plan.alerts[0].id == "RF-SELF-HARM"
    rec_ids = {r.id for r in plan.recommendations}
    assert "PT-EXERCISE" in rec_ids
    assert "PT-HOLD-EXERCISE" not in rec_ids


def test_calf_swelling_holds_stretching_heat_and_pacing() -> None:
    plan = plan_for({"red_flags.one_sided_calf_swelling": True,
                     "history.character": ["cramping"], "history.duration_weeks": 13})
    withheld = {w.id for w in plan.withheld}
    assert {"REST-HEAT", "REST-PACING", "REST-DESK-BREAKS", "NUT-MAGNESIUM", "FU-FLARE-PLAN",
            "PT-EXERCISE"} <= withheld
    assert not withheld & {r.id for r in plan.recommendations}
    assert all("RF-DVT" in w.reason for w in plan.withheld)


@pytest.mark.parametrize(("given", "units", "drinks"), [
    ({"risk_factors.alcohol_units_per_week": 21}, 21, 12.0),
    ({"risk_factors.alcohol_drinks_per_week": 12}, 21.0, 12),
    ({"risk_factors.alcohol_units_per_week": 21, "risk_factors.alcohol_drinks_per_week": 12},
     21, 12),
    ({}, None, None),
])
def test_alcohol_facts_in_units_and_drinks(given: dict[str, Any], units: float | None,
                                          drinks: float | None) -> None:
    from careplan.clinical.facts import derive_facts
    from careplan.clinical.medications import review
    from careplan.clinical.scoring import compute_scores

    changes = {"risk_factors.alcohol_units_per_week": None, **given}  # None: not asked
    intake = make_intake(changes)
    meds = review(())
    facts = derive_facts(intake=intake, scores=compute_scores(intake=intake, medications=meds),
                         medications=meds, screens=())
    assert facts.get("alcohol_units_per_week") == units
    assert facts.get("alcohol_drinks_per_week") == drinks
    if units is not None:
        assert facts.describe("alcohol_units_per_week") == f"{units:g} units of alcohol a week"
        assert facts.describe("alcohol_drinks_per_week") == f"{drinks:g} drinks of alcohol a week"


def test_drinks_alone_reach_the_alcohol_rules_in_us_drinks() -> None:
    plan = plan_for({"risk_factors.alcohol_drinks_per_week": 10,
                     "risk_factors.alcohol_units_per_week": None})
    alcohol = next(r for r in plan.recommendations if r.id == "NUT-ALCOHOL")
    assert alcohol.because == ("10 drinks of alcohol a week",)
    assert "units" not in alcohol.patient_text


def test_grapefruit_with_simvastatin_names_both() -> None:
    plan = plan_for({"history.grapefruit": True, "history.medications": [
        {"name": "Zocor", "dose": "20 mg nightly"}]})
    rec = next(r for r in plan.recommendations if r.id == "MED-GRAPEFRUIT")
    assert rec.domain == "medication_review"
    assert rec.priority == 1
    assert rec.because == ("taking Zocor 20 mg nightly",
                           "drinks grapefruit juice or eats grapefruit")
