"""Every patient-facing word exists in both languages, and no English leaks into a Spanish
handout.

- Coverage: every rule, fixed line, layout word, purpose and body-map area has its English
  and its Spanish; every layout word the handout asks for exists.
- No English: the PDF text of each scenario's Spanish handout (and the words of generated
  intakes' handouts) holds no word that only the English texts use. What was typed prints
  as typed and is left out of the check: the patient's and clinician's names, the medicines
  and doses as entered, the clinic as configured. Brand names (Tylenol, Advil) stay as sold
  in the US in both languages (glossary.toml), so they are no leak.
- One message per topic holds in Spanish too, checked with each topic's Spanish words.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.clinical.plan import CarePlan
from careplan.clinical.review import AddedRecommendation, Decision, Review
from careplan.documents.clinic import Clinic
from careplan.documents.language import handout_language, long_date, number
from careplan.documents.locales import get_locale
from careplan.documents.pdf import patient_pdf
from careplan.documents.report import (
    MEDICINES_TABLE_COLUMNS,
    BodyMap,
    Bullets,
    Checklist,
    Document,
    Heading,
    HelpBox,
    KeyMessages,
    Paragraph,
    Table,
    patient_handout,
)
from careplan.intake.model import RED_FLAGS
from careplan.intake.validation import validate_intake
from careplan.intake.vocabulary import AREA_LABELS, AREAS
from factories import TODAY, make_intake
from pdf_helpers import flat, printed_statements, text_of
from strategies import intakes

REPORT = Path(__file__).resolve().parent.parent / "careplan" / "documents" / "report.py"
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

SCENARIOS: dict[str, dict[str, Any]] = {
    "example": {},
    "pregnant": {"risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 24,
                 "history.medications": [{"name": "Tylenol", "dose": "500 mg"},
                                         {"name": "Advil", "dose": "200 mg"}]},
    "8 years old": {"patient.date_of_birth": "2018-05-01", "history.conditions": [],
                    "history.medications": [{"name": "Tylenol", "dose": "160 mg"},
                                            {"name": "codeine", "dose": "15 mg"}]},
    "84 and on warfarin": {"patient.date_of_birth": "1942-03-02",
                           "history.conditions": ["chronic_kidney_disease", "hypertension"],
                           "history.medications": [{"name": "warfarin", "dose": "5 mg daily"},
                                                   {"name": "Advil", "dose": "200 mg"},
                                                   {"name": "Tylenol PM", "dose": "2 at night"}]},
    "statin with dark urine": {"red_flags.dark_urine": True},
    "every red flag": {f"red_flags.{flag}": True for flag in RED_FLAGS},
    "statin and an interacting antibiotic": {"history.medications": [
        {"name": "Zocor 40mg", "dose": "40 mg nightly"}, {"name": "clarithromycin"}]},
    "heavy drinker who smokes, on acetaminophen": {
        "risk_factors.alcohol_units_per_week": 30, "risk_factors.smoker": True,
        "history.medications": [{"name": "Tylenol", "dose": "500 mg"}]},
    "widespread pain": {"affected_areas": list(AREAS), "symptom_severity.fatigue": 3,
                        "history.duration_weeks": 30},
    "rushed visit": {"red_flags": None, "risk_factors": None, "symptom_severity": None},
}


def words(text: str) -> set[str]:
    """The words of a text, lower case; placeholders ("{page}") are no words."""
    return {w.lower() for w in WORD.findall(re.sub(r"\{\w*\}", " ", text))}


def english_only() -> set[str]:
    """Words the English texts use and no Spanish text does (brands and kept names aside)."""
    base = default_rule_base()
    pairs = [(r.patient_text, r.patient_text_es) for r in base.rules]
    pairs += [(t.text, t.text_es) for t in base.texts]
    pairs += [*base.layout.words.values(), *base.layout.purposes.values(),
              *base.layout.areas.values()]
    english = set().union(*(words(en) for en, _ in pairs))
    spanish = set().union(*(words(es) for _, es in pairs))
    kept = {w.lower() for w in (*base.glossary.brands, *base.glossary.names)}
    return english - spanish - kept


ENGLISH_ONLY = english_only()


def typed_words(plan: CarePlan, clinic: Clinic, review: Review | None = None) -> set[str]:
    """What was typed and prints as typed: never counted as the handout's own English."""
    typed = [plan.patient.name, plan.visit.clinician or "", clinic.name, clinic.phone,
             clinic.hours_in("es")]
    for med in plan.medications:
        typed += [med.entered, med.dose or ""]
    if review is not None:
        typed += [review.signed_by or ""]
        typed += [d.patient_text or "" for d in review.decisions]
        typed += [a.patient_text for a in review.added]
    return set().union(*(words(t) for t in typed))


def leaks(text: str, typed: set[str]) -> list[str]:
    found = sorted((words(text) - typed) & ENGLISH_ONLY)
    return [f"{w!r} in ...{m.group(0)}..." for w in found
            for m in [re.search(rf"(?i).{{0,40}}\b{re.escape(w)}\b.{{0,40}}", text)] if m]


def plan_for(changes: dict[str, Any]) -> CarePlan:
    unset = tuple(k for k, v in changes.items() if v is None)
    return build_plan(intake=make_intake({k: v for k, v in changes.items() if v is not None},
                                         unset=unset), today=TODAY)


# ---------------------------------------------------------------- coverage


def test_the_english_only_vocabulary_is_meaningful() -> None:
    """The leak check knows the English words a handout prints, and no Spanish ones."""
    assert {"the", "your", "you", "draft", "page", "call", "with", "emergency"} <= ENGLISH_ONLY
    assert not {"tylenol", "advil", "mg", "el", "dolor"} & ENGLISH_ONLY
    assert leaks("Llámenos. Take no more than 2 pills. Tylenol.", set()) == [
        "'more' in ...Llámenos. Take no more than 2 pills. Tylenol....",
        "'pills' in ...Llámenos. Take no more than 2 pills. Tylenol....",
        "'take' in ...Llámenos. Take no more than 2 pills. Tylenol....",
        "'than' in ...Llámenos. Take no more than 2 pills. Tylenol....",
    ]
    assert leaks("Your medicine Unknownol daily.", {"unknownol", "daily"}) == [
        "'medicine' in ...Your medicine Unknownol daily....",
        "'your' in ...Your medicine Unknownol daily....",
    ]


def test_every_rule_and_fixed_line_has_both_languages() -> None:
    base = default_rule_base()
    for rule in base.rules:
        assert rule.patient_text.strip(), rule.id
        assert rule.patient_text_es.strip(), rule.id
        assert rule.patient_text_es != rule.patient_text, rule.id
    for text in base.texts:
        assert text.text.strip(), text.id
        assert text.text_es.strip(), text.id


def test_every_layout_word_the_handout_asks_for_exists_in_both() -> None:
    """Every ``words("key")`` in report.py, the domain headings, the table's columns."""
    layout = default_rule_base().layout
    source = REPORT.read_text(encoding="utf-8")
    asked = set(re.findall(r'words\("(\w+)"', source)) | set(MEDICINES_TABLE_COLUMNS)
    asked |= {f"heading_{domain}" for domain in (
        "rest", "physical_therapy", "medication_review", "sleep", "nutrition", "stress",
        "follow_up")}
    asked |= {"week", "weeks", "bodymap_front", "bodymap_back", "bodymap_left", "bodymap_right"}
    assert len(asked) > 40
    missing = sorted(asked - set(layout.words))
    assert not missing, f"layout.toml lacks {missing}"
    for key in asked:
        en, es = layout.words[key]
        assert en.strip(), key
        assert es.strip(), key


def test_every_body_map_area_has_both_names() -> None:
    layout = default_rule_base().layout
    assert set(layout.areas) == set(AREAS)
    for area in AREAS:
        en, es = layout.areas[area]
        assert en == AREA_LABELS[area].lower(), area  # the intake's label, as a caption says it
        assert es.split()[0] in ("el", "la"), area  # "tiene dolor en el cuello"


# ---------------------------------------------------------------- no English in Spanish


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_english_leaks_into_a_spanish_handout(scenario: str) -> None:
    plan = plan_for(SCENARIOS[scenario])
    clinic = Clinic()
    for large in (False, True):
        text = flat(text_of(patient_pdf(plan, language="es", clinic=clinic, large_print=large)))
        assert leaks(text, typed_words(plan, clinic)) == [], scenario
        assert "Página 1 de" in text
        assert "BORRADOR" in text
        assert long_date(plan.visit.date, "es", get_locale("en-US")) in text


def test_a_signed_spanish_handout_has_no_english_but_what_the_clinician_typed() -> None:
    plan = plan_for({})
    decisions = tuple(Decision(item_id=r.id, action="accept") for r in plan.recommendations
                      if r.id != "REST-HEAT")
    review = Review(
        decisions=(*decisions, Decision(item_id="REST-HEAT", action="edit",
                                        reason="Numb skin", patient_text="Use heat gently.")),
        added=(AddedRecommendation(domain="rest", title="Desk", patient_text="Suba su pantalla.",
                                   reason="Neck flexion"),),
        signed_by="Dra. A. Rivera", signed_on=date(2026, 11, 20))
    clinic = Clinic()
    document = patient_handout(plan, review=review, clinic=clinic, language="es")
    assert set(document.untranslated) == {"REST-HEAT", "ADDED-1"}  # printed as typed
    text = flat(text_of(patient_pdf(plan, review=review, clinic=clinic, language="es")))
    assert "Use heat gently." in text
    assert "Suba su pantalla." in text
    assert "Revisado por Dra. A. Rivera" in text
    assert "BORRADOR" not in text
    assert leaks(text, typed_words(plan, clinic, review)) == []


def test_a_plan_made_before_spanish_prints_the_rules_spanish_where_it_can() -> None:
    """A stored plan without patient_text_es: the rule's Spanish where it has no
    placeholder; otherwise the plan's English, listed for a check."""
    plan = plan_for({})
    old = plan.model_copy(update={"recommendations": tuple(
        r.model_copy(update={"patient_text_es": None}) for r in plan.recommendations)})
    document = patient_handout(old, language="es")
    # "{medicines}" and "{review_in_weeks}" cannot be filled again from the English
    assert set(document.untranslated) == {"MED-STATIN-SAMS", "FU-REVIEW"}
    assert patient_handout(plan, language="es").untranslated == ()


def test_typed_text_prints_as_typed_in_spanish() -> None:
    plan = plan_for({"history.medications": [{"name": "Tylenol PM", "dose": "2 at night"}],
                     "patient.date_of_birth": "1942-03-02"})
    document = patient_handout(plan, language="es")
    rows = [row for block in document.blocks if isinstance(block, Table) and block.typed
            for row in block.rows]
    assert rows[0][0] == "Tylenol PM"
    assert rows[0][2] == "2 at night"  # the dose as the clinician typed it
    items = [i for block in document.blocks if isinstance(block, Checklist) for i in block.items]
    assert any(i.startswith("Su medicina Tylenol PM puede") for i in items)


def test_brand_names_stay_as_sold_in_the_us() -> None:
    plan = plan_for({"history.medications": [{"name": "Tylenol", "dose": "500 mg"}]})
    text = flat(text_of(patient_pdf(plan, language="es")))
    assert "acetaminofén (Tylenol)" in text
    assert "paracetamol" not in text


# ---------------------------------------------------------------- dates, numbers, phones


def test_dates_numbers_and_phone_lines_in_spanish() -> None:
    loc = get_locale("en-US")
    assert long_date(date(2026, 11, 20), "es", loc) == "20 de noviembre de 2026"
    assert long_date(date(2027, 1, 1), "es", loc) == "1 de enero de 2027"
    assert long_date(date(2026, 11, 20), "en", loc) == "November 20, 2026"
    assert (number(3000, "es"), number(12000, "es"), number(6.25, "es")) == (
        "3000", "12\u00a0000", "6.2")
    plan = plan_for({"history.medications": [{"name": "Tylenol", "dose": "500 mg"}]})
    text = flat(text_of(patient_pdf(plan, language="es")))
    assert "En una emergencia, llame al 911." in text
    assert "llame al 988 a cualquier hora y oprima 2 para español" in text
    assert "AYUDA por texto al 988" in text
    assert "3000 mg" in text
    assert "3,000" not in text
    assert "Plan del 20 de noviembre de 2026" in text
    assert "cerca del 18 de diciembre de 2026" in text
    assert "De lunes a viernes, de 8" in text  # the demo clinic's hours in Spanish
    smoker = flat(text_of(patient_pdf(plan_for({"risk_factors.smoker": True}), language="es")))
    assert "1-855-335-3569" in smoker  # the Spanish quitline, not 1-800-QUIT-NOW
    assert "1-800" not in smoker


def test_the_clinic_hours_print_as_configured() -> None:
    plan = plan_for({})
    typed = Clinic(name="Clínica del Valle", phone="555-0142", hours="Mon-Fri 9-5",
                   hours_es=None, demo=False)
    assert "Clínica del Valle, 555-0142 (Mon-Fri 9-5)" in flat(
        text_of(patient_pdf(plan, language="es", clinic=typed)))
    spanish = Clinic(name="Clínica del Valle", phone="555-0142", hours="Mon-Fri 9-5",
                     hours_es="lunes a viernes, de 9 a 5", demo=False)
    text = flat(text_of(patient_pdf(plan, language="es", clinic=spanish)))
    assert "(lunes a viernes, de 9 a 5)" in text
    assert "DEMO" not in text


def test_a_preferred_language_tag_chooses_the_handout() -> None:
    assert [handout_language(t) for t in ("es", "es-MX", "ES-us", "en", "en-GB", "pt-BR")] == [
        "es", "es", "es", "en", "en", None]


def test_a_spanish_handout_is_refused_outside_the_us() -> None:
    from careplan.errors import SettingError

    with pytest.raises(SettingError, match="the Spanish handout is written for US clinics"):
        patient_handout(plan_for({}), clinic=Clinic(locale="en-GB"), language="es")


# ---------------------------------------------------------------- generated intakes


def all_words(document: Document) -> str:
    parts: list[str] = [document.title, document.footer, document.watermark]
    for block in document.blocks:
        if isinstance(block, Heading | Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets | Checklist | KeyMessages):
            parts += block.items
        elif isinstance(block, HelpBox):
            parts += [block.title, *block.headings, *block.own_warnings, *block.emergency,
                      *block.same_day, block.numbers]
        elif isinstance(block, BodyMap):
            parts += [block.title, block.caption, *block.labels]
        elif isinstance(block, Table):
            parts += [*block.header, *(cell for row in block.rows for cell in row)]
    return "\n".join(parts)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(intakes())
def test_generated_spanish_handouts_have_no_english_and_one_message_per_topic(
    data: dict[str, Any],
) -> None:
    plan = build_plan(intake=validate_intake(data, today=TODAY), today=TODAY)
    clinic = Clinic()
    document = patient_handout(plan, clinic=clinic, language="es")
    assert leaks(all_words(document), typed_words(plan, clinic)) == []
    assert document.untranslated == ()
    topics = default_rule_base().topics
    declared = {text: dict(speaks) for text, speaks in document.spoken}
    typed = sorted((m.entered for m in plan.medications), key=len, reverse=True)
    for line in printed_statements(document):
        assert line in declared, f"printed but not accounted for: {line!r}"
        said = line
        for name in typed:
            said = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", said)
        for topic in topics.values():
            if topic.mentioned_in(said, "es"):
                assert topic.id in declared[line], f"{line!r} speaks of {topic.id}"
    stances: dict[str, set[str]] = {}
    for _, speaks in document.spoken:
        for topic_id, stance in speaks:
            stances.setdefault(topic_id, set()).add(stance)
    assert all(len(s) == 1 for s in stances.values()), stances
