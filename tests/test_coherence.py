"""One message per topic: no handout says two things about one topic.

The property runs over thousands of generated intakes (COHERENCE_EXAMPLES, 2,000
by default) and checks the printed handout itself, not the engine's bookkeeping:
every printed statement that speaks of a topic (by the topic's own words) must
declare it, all printed statements hold one stance per topic, and no reassurance
prints beside an urgent or emergency stance on the same topic; and no instruction that
is one whoever gives it ("do not take ibuprofen", a ``said_once`` stance) is printed twice.
The named scenarios are the contradictions and repeats a clinical review found in real
output.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.clinical.plan import Alert, CarePlan, Recommendation
from careplan.clinical.rules.topics import Speaks, Topic, Voice, load_topics, resolve
from careplan.documents.clinic import Clinic
from careplan.documents.locales import get_locale
from careplan.documents.report import (
    Document,
    patient_handout,
    patient_words,
)
from careplan.intake.validation import validate_intake
from factories import READABILITY_SCENARIOS, TODAY, make_intake
from pdf_helpers import printed_statements
from strategies import intakes

EXAMPLES = int(os.environ.get("COHERENCE_EXAMPLES", "2000"))




def stances_by_topic(spoken: tuple[tuple[str, Speaks], ...]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for _, speaks in spoken:
        for topic, stance in speaks:
            found.setdefault(topic, set()).add(stance)
    return found


def assert_coherent(document: Document, typed: tuple[str, ...] = ()) -> None:
    """``typed``: medicine names as typed, which a rule may print ({medicines}) but not say."""
    topics = default_rule_base().topics
    declared = {text: dict(speaks) for text, speaks in document.spoken}
    for line in printed_statements(document):
        assert line in declared or "{" in line, f"printed but not accounted for: {line!r}"
        said = line
        for name in sorted(typed, key=len, reverse=True):  # whole words only: "t" is no word
            said = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", said)
        for topic in topics.values():
            if topic.mentioned_in(said):
                assert topic.id in declared.get(line, {}), f"{line!r} speaks of {topic.id}"
    for topic_id, stances in stances_by_topic(document.spoken).items():
        assert len(stances) == 1, f"two stances on {topic_id}: {sorted(stances)}"


def repeated_instructions(items: tuple[Alert | Recommendation, ...]) -> dict[str, list[str]]:
    """Printed items that give the same ``said_once`` instruction and nothing else of their own.

    Two items may share a stance when either also says something only it says (a stance that
    is neither said once nor the topic's mildest): an alert is "serious" about its own
    symptom, "no aspirin for children" is not "no ibuprofen with your kidneys".
    """
    topics = default_rule_base().topics
    givers: dict[str, list[str]] = {}
    for item in items:
        once = [f"{t}={s}" for t, s in item.speaks.items() if s in topics[t].said_once]
        if once and all(s in topics[t].said_once or s == topics[t].mildest
                        for t, s in item.speaks.items()):
            for said in once:
                givers.setdefault(said, []).append(item.id)
    return {said: ids for said, ids in givers.items() if len(ids) > 1}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(intakes())
def test_no_handout_holds_two_stances_on_one_topic(data: dict[str, Any]) -> None:
    plan = build_plan(intake=validate_intake(data, today=TODAY), today=TODAY)
    document = patient_handout(plan)
    assert_coherent(document, tuple(m.entered for m in plan.medications))
    # No reassurance on any topic beside an urgent or emergency alert.
    if any(alert.severity in ("urgent", "emergency") for alert in plan.alerts):
        topics = default_rule_base().topics
        reassuring = [(text, topic) for text, speaks in document.spoken for topic, stance in speaks
                      if stance in topics[topic].reassure]
        assert not reassuring, f"reassurance beside an alert: {reassuring}"
    # The engine's own view agrees: what it shows holds one stance per topic too.
    items: tuple[Alert | Recommendation, ...] = (*plan.alerts, *plan.recommendations)
    shown = tuple((item.patient_text, tuple(sorted(item.speaks.items()))) for item in items)
    assert all(len(s) == 1 for s in stances_by_topic(shown).values())
    assert repeated_instructions(items) == {}


@settings(max_examples=max(EXAMPLES // 5, 50), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(intakes())
def test_no_uk_handout_uses_us_words(data: dict[str, Any]) -> None:
    plan = build_plan(intake=validate_intake(data, today=TODAY), today=TODAY)
    text = patient_words(patient_handout(plan, clinic=Clinic(locale="en-GB")))
    for med in sorted(plan.medications, key=lambda m: len(m.entered), reverse=True):
        # what was typed is printed as typed (whole words only)
        text = re.sub(rf"(?<!\w){re.escape(med.entered)}(?!\w)", " ", text)
    assert get_locale("en-GB").mixed(text) == []


# ---------------------------------------------------------------- the review's examples


def plan_for(changes: dict[str, Any]) -> CarePlan:
    return build_plan(intake=make_intake(changes), today=TODAY)


def shown(plan: CarePlan) -> set[str]:
    return {a.id for a in plan.alerts} | {r.id for r in plan.recommendations}


def held_by(plan: CarePlan, rule_id: str) -> tuple[str, ...]:
    return next(w.by for w in plan.withheld if w.id == rule_id)


def handout_text(plan: CarePlan) -> str:
    return patient_words(patient_handout(plan))


def test_warfarin_with_kidney_disease_is_told_one_thing_about_ibuprofen() -> None:
    plan = plan_for({
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "warfarin", "dose": "5 mg daily"}],
    })
    assert "MED-NSAID-BLEEDING" in shown(plan)
    assert held_by(plan, "MED-NSAID-KIDNEY") == ("MED-NSAID-BLEEDING",)  # says the same
    assert "MED-NSAID-CV" not in shown(plan)
    assert set(held_by(plan, "MED-NSAID-CV")) >= {"MED-NSAID-BLEEDING", "MED-NSAID-KIDNEY"}
    # The clinician is told which was overruled and which only repeated a printed item.
    reasons = {w.id: w.reason for w in plan.withheld}
    assert reasons["MED-NSAID-CV"].endswith("MED-NSAID-KIDNEY says avoid")
    assert reasons["MED-NSAID-KIDNEY"].endswith(", MED-NSAID-BLEEDING says the same")
    text = handout_text(plan)
    assert "lowest dose" not in text
    assert_coherent(patient_handout(plan))


def test_84_on_warfarin_and_advil_with_kidney_disease_and_a_past_bleed() -> None:
    """Three right reasons not to take ibuprofen, one paragraph: the blood thinner's."""
    plan = plan_for({
        "patient.date_of_birth": "1942-03-01",
        "history.conditions": ["chronic_kidney_disease", "peptic_ulcer_or_gi_bleed"],
        "history.medications": [{"name": "warfarin"}, {"name": "Advil"}, {"name": "furosemide"}],
    })
    items: tuple[Alert | Recommendation, ...] = (*plan.alerts, *plan.recommendations)
    assert [item.id for item in items if "nsaid" in item.speaks] == ["MED-NSAID-BLEEDING"]
    reasons = {w.id: w.reason for w in plan.withheld}
    for repeat in ("MED-NSAID-KIDNEY", "MED-NSAID-GI"):
        assert reasons[repeat].endswith(", MED-NSAID-BLEEDING says the same"), reasons[repeat]
    base, nsaid = default_rule_base(), default_rule_base().topics["nsaid"]
    for language in ("en", "es"):
        document = patient_handout(plan, language=language)
        said = [line for line in printed_statements(document)
                if nsaid.mentioned_in(line, language)]
        assert said == [base.get("MED-NSAID-BLEEDING").text_in(language)], language
    # "A pain gel is safer" went with the stomach item; the gel's own item still says it.
    assert "MED-TOPICAL-NSAID" in shown(plan)
    assert_coherent(patient_handout(plan), ("warfarin", "Advil", "furosemide"))


HARD_PATIENTS: dict[str, dict[str, Any]] = {
    **READABILITY_SCENARIOS,
    "84, warfarin, Advil and furosemide, CKD and a past bleed": {
        "patient.date_of_birth": "1942-03-01",
        "history.conditions": ["chronic_kidney_disease", "peptic_ulcer_or_gi_bleed"],
        "history.medications": [{"name": "warfarin"}, {"name": "Advil"}, {"name": "furosemide"}]},
    "80, heart failure and CKD on warfarin": {
        "patient.date_of_birth": "1946-01-01",
        "history.conditions": ["heart_failure", "chronic_kidney_disease"],
        "history.medications": [{"name": "warfarin", "dose": "5 mg daily"}]},
    "CKD on an ACE inhibitor and a diuretic, Advil bought": {
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "lisinopril", "dose": "20 mg"},
                                {"name": "hydrochlorothiazide", "dose": "25 mg"},
                                {"name": "Advil"}]},
    "pregnant 24 weeks on Eliquis": {
        "risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 24,
        "history.medications": [{"name": "Eliquis", "dose": "5 mg twice daily"}]},
    "pregnant 32 weeks on prescribed naproxen": {
        "risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 32,
        "history.medications": [{"name": "naproxen", "dose": "500 mg twice daily"}]},
    "8 years old on acetaminophen and codeine": {
        "patient.date_of_birth": "2018-05-01", "history.conditions": [],
        "history.medications": [{"name": "Tylenol", "dose": "160 mg"},
                                {"name": "codeine", "dose": "15 mg"}]},
    "8 years old on aspirin, with CKD": {
        "patient.date_of_birth": "2018-05-01", "history.conditions": ["chronic_kidney_disease"],
        "history.medications": [{"name": "aspirin", "dose": "81 mg"}]},
    "statin with dark urine": {"red_flags.dark_urine": True},
}


@pytest.mark.parametrize("changes", HARD_PATIENTS.values(), ids=HARD_PATIENTS.keys())
def test_hard_patients_hear_each_instruction_once(changes: dict[str, Any]) -> None:
    plan = plan_for(changes)
    assert repeated_instructions((*plan.alerts, *plan.recommendations)) == {}
    assert_coherent(patient_handout(plan), tuple(m.entered for m in plan.medications))


def test_hypertension_on_an_ace_inhibitor_and_a_diuretic() -> None:
    plan = plan_for({"history.medications": [
        {"name": "lisinopril", "dose": "20 mg daily"},
        {"name": "hydrochlorothiazide", "dose": "25 mg daily"},
    ]})
    assert "MED-NSAID-KIDNEY" in shown(plan)
    assert held_by(plan, "MED-NSAID-CV") == ("MED-NSAID-KIDNEY",)
    assert "If you use them" not in handout_text(plan)


def test_pregnant_at_32_weeks_is_not_told_nsaids_are_fine() -> None:
    plan = plan_for({"risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 32})
    assert "MED-NSAID-PREGNANCY" in shown(plan)
    assert "MED-NSAID-CV" not in shown(plan)
    assert "lowest dose" not in handout_text(plan)


def test_statin_with_dark_urine_gets_one_message() -> None:
    plan = plan_for({"red_flags.dark_urine": True})
    assert plan.alerts[0].id == "RF-RHABDO"
    assert "MED-STATIN-SAMS" not in shown(plan)
    assert "RF-RHABDO" in held_by(plan, "MED-STATIN-SAMS")
    text = handout_text(plan)
    for reassurance in ("not the cause", "not damage to your muscles", "it passes",
                        "Most muscle pain gets better", "Moving is safe", "Call us if your urine",
                        "Keep taking your medicines", "lowest dose"):
        assert reassurance not in text, reassurance
    assert "Rest for now" in text
    assert_coherent(patient_handout(plan))


def test_fibromyalgia_reassurance_is_held_beside_an_emergency() -> None:
    changes = {"affected_areas": ["neck", "upper_back", "lower_back", "shoulder_left",
                                  "shoulder_right", "hip_left", "hip_right", "upper_leg_left"],
               "symptom_severity.fatigue": 3, "symptom_severity.waking_unrefreshed": 3}
    calm = plan_for(changes)
    assert "FU-FIBROMYALGIA" in shown(calm)
    urgent = plan_for({**changes, "red_flags.chest_pain_or_breathlessness": True})
    assert "FU-FIBROMYALGIA" not in shown(urgent)
    assert "RF-CARDIAC" in held_by(urgent, "FU-FIBROMYALGIA")


def test_alcohol_limit_is_not_printed_beside_do_not_drink() -> None:
    plan = plan_for({
        "risk_factors.alcohol_units_per_week": 20,
        "history.medications": [{"name": "oxycodone", "dose": "5 mg"},
                                {"name": "diazepam", "dose": "5 mg"}],
    })
    assert "MED-OPIOID-SEDATIVE" in shown(plan)
    assert held_by(plan, "NUT-ALCOHOL") == ("MED-OPIOID-SEDATIVE",)


def test_the_more_urgent_of_two_alerts_on_one_presentation_wins() -> None:
    plan = plan_for({"red_flags.severe_weakness": True})  # on atorvastatin
    assert "RF-RHABDO" in shown(plan)
    assert "RF-WEAKNESS" not in shown(plan)
    assert held_by(plan, "RF-WEAKNESS") == ("RF-RHABDO",)


def test_dark_urine_is_an_emergency_room_instruction_everywhere() -> None:
    base = default_rule_base()
    for rule in base.rules:
        if "urine" in rule.patient_text.lower():
            assert dict(rule.speaks).get("urine") == "emergency", rule.id
            assert "emergency room" in rule.patient_text or "911" in rule.patient_text, rule.id


def test_on_hold_note_only_when_activity_is_held() -> None:
    calm = plan_for({"history.conditions": ["chronic_kidney_disease", "hypertension"]})
    assert calm.withheld  # MED-NSAID-CV is held by the kidney item, not activity
    assert "on hold until a doctor checks you" not in handout_text(calm)
    held = plan_for({"red_flags.dark_urine": True})
    assert "on hold until a doctor checks you" in handout_text(held)


def test_holding_a_message_never_hides_a_test_from_the_clinician() -> None:
    plan = plan_for({"red_flags.dark_urine": True,
                     "red_flags.proximal_weakness_rising_or_climbing": True,
                     "red_flags.rash": True})
    assert "RF-MYOSITIS" in {w.id for w in plan.withheld}
    assert {"myositis antibodies", "aldolase", "ANA"} <= set(plan.follow_up.labs_to_consider)


def test_a_standing_line_gives_way_only_to_a_stricter_line_that_prints() -> None:
    rules = default_rule_base()
    # X would overrule the fever line but is itself held on NSAIDs by Y: the box keeps it.
    verdict = resolve([Voice("X", (("fever", "emergency"), ("nsaid", "caution"))),
                       Voice("Y", (("nsaid", "avoid"),))], rules.texts, rules.topics)
    assert "X" in verdict.held
    assert "HELP-FEVER" in verdict.lines
    # Printed, the stricter item replaces the box's line.
    verdict = resolve([Voice("X", (("fever", "emergency"),))], rules.texts, rules.topics)
    assert "HELP-FEVER" not in verdict.lines


# ---------------------------------------------------------------- the same message, held


TOY_TOPICS = load_topics("""
[[topic]]
id = "pill"
label = "pain pills"
stances = ["avoid", "caution", "permit"]
said_once = ["avoid"]
words = ['pill']
words_es = ['pastilla']

[[topic]]
id = "gel"
label = "pain gel"
stances = ["avoid", "permit"]
words = ['gel']
words_es = ['gel']

[[topic]]
id = "move"
label = "exercise"
stances = ["hold", "gentle", "progress"]
words = ['move']
words_es = ['mover']
""")


def held_in(*voices: tuple[str, dict[str, str]], topics: dict[str, Topic] = TOY_TOPICS,
            ) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """What ``resolve`` holds of these voices, given in precedence order (no fixed lines)."""
    given = [Voice(name, tuple(sorted(speaks.items()))) for name, speaks in voices]
    return dict(resolve(given, (), topics).held)


def test_a_repeated_instruction_is_held_and_its_mild_sentence_may_go_with_it() -> None:
    assert held_in(("A", {"pill": "avoid"}), ("B", {"pill": "avoid", "gel": "permit"})) == {
        "B": ("pill", "avoid", ("A",))}
    assert held_in(("A", {"pill": "avoid"}), ("B", {"pill": "avoid"}),
                   ("C", {"pill": "avoid"})) == {"B": ("pill", "avoid", ("A",)),
                                                 "C": ("pill", "avoid", ("A",))}


def test_the_first_printed_voice_keeps_the_message() -> None:
    assert held_in(("B", {"pill": "avoid", "gel": "permit"}), ("A", {"pill": "avoid"})) == {
        "A": ("pill", "avoid", ("B",))}
    # E is held for a stricter stance on exercise, so it prints nothing: G says it.
    assert held_in(("F", {"move": "hold"}), ("E", {"pill": "avoid", "move": "gentle"}),
                   ("G", {"pill": "avoid"})) == {"E": ("move", "hold", ("F",))}


def test_a_voice_with_a_strict_stance_of_its_own_is_not_a_repeat() -> None:
    # Exercise on hold, or no pain gel, is not said by the first voice: losing it is not safe.
    assert held_in(("A", {"pill": "avoid"}), ("H", {"pill": "avoid", "move": "hold"})) == {}
    assert held_in(("A", {"pill": "avoid"}), ("N", {"pill": "avoid", "gel": "avoid"})) == {}
    # Nor does a voice with a message of its own silence one that only gives the instruction.
    assert held_in(("H", {"pill": "avoid", "move": "hold"}), ("A", {"pill": "avoid"})) == {}


def test_ties_on_stances_not_said_once_all_print() -> None:
    assert held_in(("X", {"move": "hold"}), ("Y", {"move": "hold"})) == {}
    assert held_in(("P", {"move": "progress"}), ("Q", {"move": "progress"})) == {}
    assert held_in(("P", {"gel": "permit"}), ("Q", {"gel": "permit", "pill": "caution"})) == {}


def test_a_stricter_voice_still_wins_over_a_repeat() -> None:
    # B repeats A, and C is held for a weaker stance by both: the record names them all.
    assert held_in(("A", {"pill": "avoid"}), ("B", {"pill": "avoid"}),
                   ("C", {"pill": "caution", "gel": "permit"})) == {
        "C": ("pill", "avoid", ("A", "B")), "B": ("pill", "avoid", ("A",))}
