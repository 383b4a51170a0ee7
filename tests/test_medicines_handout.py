"""The handout's medicines: a table a patient can act on, and items that name the medicine."""

from __future__ import annotations

from typing import Any

import pytest

from careplan.clinical.engine import build_plan
from careplan.clinical.plan import CarePlan
from careplan.clinical.rules import load_rule_base
from careplan.documents.language import Language
from careplan.documents.report import Table, patient_handout, patient_words
from careplan.errors import RuleBaseError
from factories import TODAY, make_intake
from pdf_helpers import printed_statements


def plan_for(changes: dict[str, Any]) -> CarePlan:
    return build_plan(intake=make_intake(changes), today=TODAY)


def medicines_table(plan: CarePlan) -> dict[str, tuple[str, ...]]:
    table = next(b for b in patient_handout(plan).blocks
                 if isinstance(b, Table) and b.header[:1] == ("Medicine",))
    return {row[0]: row[1:] for row in table.rows}


def test_each_medicine_says_what_it_is_for_how_much_and_the_most_a_day() -> None:
    rows = medicines_table(plan_for({"history.medications": [
        {"name": "Lipitor", "dose": "40 mg at night"},
        {"name": "Tylenol", "dose": "500 mg"},
        {"name": "Advil", "dose": "200 mg"},
        {"name": "mystery pill"},
    ]}))
    assert rows["Lipitor"] == ("Lowers cholesterol", "40 mg at night", "As prescribed")
    assert rows["Tylenol"] == ("Pain or fever", "500 mg", "3,000 mg")
    # Hypertension in the example: NSAIDs with caution, so the ceiling says "a few days".
    assert rows["Advil"] == ("Pain and swelling", "200 mg", "1,200 mg, for a few days only")
    assert rows["mystery pill"] == ("Ask us or your pharmacist", "As on the label",
                                    "As prescribed")


def test_an_eight_year_old_never_gets_an_adult_ceiling() -> None:
    plan = plan_for({
        "patient.date_of_birth": "2018-06-01",
        "history.medications": [{"name": "Children's Tylenol", "dose": "5 mL"},
                                {"name": "Children's Motrin", "dose": "5 mL"}],
        "history.conditions": [], "risk_factors.alcohol_units_per_week": 0,
    })
    rows = medicines_table(plan)
    assert rows["Children's Tylenol"][-1] == "By weight: follow the label or ask us"
    assert rows["Children's Motrin"][-1] == "By weight: follow the label or ask us"
    text = patient_handout(plan)
    assert "3,000 mg" not in patient_words(text)
    assert "1,200 mg" not in patient_words(text)


def test_liver_disease_gets_the_lower_acetaminophen_ceiling_everywhere() -> None:
    plan = plan_for({"history.conditions": ["liver_disease"],
                     "history.medications": [{"name": "Tylenol", "dose": "500 mg"}]})
    assert medicines_table(plan)["Tylenol"][-1] == "2,000 mg"
    assert "3,000 mg" not in patient_words(patient_handout(plan))


def test_no_dose_ceiling_beside_avoid_and_no_otc_ceiling_for_a_prescribed_dose() -> None:
    rows = medicines_table(plan_for({"history.medications": [
        {"name": "warfarin", "dose": "5 mg"}, {"name": "Advil", "dose": "200 mg"},
        {"name": "naproxen", "dose": "500 mg twice daily"},
    ]}))
    assert rows["Advil"][-1] == "Ask us before you take it"
    assert rows["naproxen"][-1] == "As prescribed"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_prescribed_nsaid_dose_is_never_cut_by_the_handout(language: Language) -> None:
    """Motrin 800 mg three times a day with high blood pressure: the advice to take the lowest
    dose for a few days is for pills bought at a store; the prescribed dose is the
    clinician's to review (the handout never changes a prescribed medicine)."""
    plan = plan_for({"history.medications": [
        {"name": "Motrin", "dose": "800 mg three times a day"}]})
    assert "MED-NSAID-CV" in {r.id for r in plan.recommendations}
    lowest, bought = {"en": ("lowest dose", "buy"), "es": ("dosis más baja", "compra")}[language]
    sentences = [s for text in printed_statements(patient_handout(plan, language=language))
                 for s in text.split(". ") if lowest in s]
    assert sentences
    assert all(bought in s for s in sentences), sentences
    assert medicines_table(plan)["Motrin"][-1] == "As prescribed"


def test_items_name_the_medicines_they_are_about() -> None:
    plan = plan_for({"history.medications": [
        {"name": "Zocor 40mg", "dose": "40 mg nightly"},
        {"name": "clarithromycin", "dose": "500 mg twice daily"},
    ]})
    alert = next(a for a in plan.alerts if a.id == "MED-STATIN-CONTRA")
    assert alert.patient_text.startswith("Your medicines Zocor 40mg and clarithromycin can harm")
    plan = plan_for({"history.medications": [{"name": "Plaquenil", "dose": "200 mg"}]})
    item = next(r for r in plan.recommendations if r.id == "MED-TOXIC-MYOPATHY")
    assert item.patient_text.startswith("Your medicine Plaquenil can sometimes")


def test_the_medicines_placeholder_needs_a_medicine_to_name() -> None:
    rule = '''
[[rule]]
id = "TEST-ONE"
domain = "medication_review"
title = "A test rule"
when = ["ge", "pain_now", 5]
because = ["pain_now"]
clinician_note = "Note for the clinician."
patient_text = "Your medicine {medicines} needs a check."
patient_text_es = "Su medicina {medicines} necesita una revisión."
source = "NICE NG59 (2016)"
'''
    with pytest.raises(RuleBaseError, match="needs a medicine in 'because'"):
        load_rule_base({"test.toml": rule})
    ok = rule.replace('because = ["pain_now"]', 'because = ["medication_classes:statin"]')
    assert load_rule_base({"test.toml": ok}).rules[0].id == "TEST-ONE"


def test_a_misspelt_name_is_never_read_silently() -> None:
    plan = plan_for({"history.medications": [{"name": "Lipiter", "dose": "40 mg daily"}]})
    reasons = [b for r in plan.recommendations for b in r.because]
    assert "taking Lipiter (read as Lipitor — check) 40 mg daily" in reasons
    assert "MED-READ-AS" in {r.id for r in plan.recommendations}


def test_a_childs_cell_never_overrides_avoid() -> None:
    plan = plan_for({"patient.date_of_birth": "2018-05-01",
                     "history.conditions": ["chronic_kidney_disease"],
                     "history.medications": [{"name": "Advil", "dose": "100 mg"}]})
    assert medicines_table(plan)["Advil"][-1] == "Ask us before you take it"


def test_no_key_message_says_keep_taking_beside_a_harmful_medicine() -> None:
    plan = plan_for({"history.conditions": ["chronic_kidney_disease"],
                     "history.medications": [{"name": "ibuprofen", "dose": "800 mg"}]})
    text = patient_words(patient_handout(plan))
    assert "We will review it with the doctor who prescribed it" in text
    assert "Keep taking" not in text
    assert "Ask us before you stop or change a prescribed medicine." in text
