"""The clinic's locale: one handout speaks one country's language of care, never both."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careplan.clinical.engine import build_plan
from careplan.documents.clinic import Clinic
from careplan.documents.locales import get_locale, locales
from careplan.documents.report import patient_handout, patient_words
from careplan.errors import SettingError
from careplan.settings import clinic_from_env
from factories import TODAY, make_intake, run_command

# Hard patients whose handouts use every kind of locale word: emergencies, medicines,
# alcohol, smoking, the crisis line.
SCENARIOS: dict[str, dict[str, Any]] = {
    "example": {},
    "dark urine on a statin": {"red_flags.dark_urine": True},
    "self-harm thoughts": {"red_flags.thoughts_of_self_harm": True},
    "heavy drinker on acetaminophen who smokes": {
        "risk_factors.alcohol_units_per_week": 30, "risk_factors.smoker": True,
        "history.medications": [{"name": "Tylenol", "dose": "500 mg"},
                                {"name": "Advil", "dose": "200 mg"}],
    },
    "calf swelling and fever": {"red_flags.one_sided_calf_swelling": True,
                                "red_flags.fever_or_chills": True},
    "older adult on warfarin": {"patient.date_of_birth": "1942-01-05",
                                "history.medications": [{"name": "Coumadin", "dose": "5 mg"}]},
}


def handout(changes: dict[str, Any], locale: str, *, typed: bool = True) -> str:
    """The handout's words; ``typed=False`` leaves out the medicine names as typed."""
    plan = build_plan(intake=make_intake(changes), today=TODAY)
    text = patient_words(patient_handout(plan, clinic=Clinic(locale=locale)))
    if not typed:
        for med in sorted(plan.medications, key=lambda m: len(m.entered), reverse=True):
            text = text.replace(med.entered, "")
    return text


@pytest.mark.parametrize("locale", sorted(locales()))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_handout_mixes_two_locales(scenario: str, locale: str) -> None:
    """The handout's own words never mix locales; what was typed stays as typed."""
    text = handout(SCENARIOS[scenario], locale, typed=False)
    assert get_locale(locale).mixed(text) == []


def test_a_uk_handout_uses_uk_numbers_names_and_units() -> None:
    text = handout(SCENARIOS["heavy drinker on acetaminophen who smokes"], "en-GB")
    assert "call 999" in text
    assert "Call 999 or go to A&E (the emergency department) now if you have:" in text
    assert "NHS 111" in text
    assert "paracetamol" in text
    assert "14 units a week" in text
    us = handout(SCENARIOS["heavy drinker on acetaminophen who smokes"], "en-US")
    assert "call 911" in us
    assert "988" in us
    assert "units" not in us


def test_typed_names_inside_rule_text_stay_as_typed() -> None:
    older = {"history.medications": [{"name": "Tylenol PM", "dose": "2 at night"}],
             "patient.date_of_birth": "1942-03-02"}
    text = handout(older, "en-GB")
    assert "Your medicine Tylenol PM can cause confusion" in text
    assert "paracetamol PM" not in text
    assert "allergy pills like Piriton" in text  # the rule's own words are British


def test_what_was_typed_is_printed_as_typed_in_any_locale() -> None:
    plan = build_plan(intake=make_intake(SCENARIOS["heavy drinker on acetaminophen who smokes"]),
                      today=TODAY)
    document = patient_handout(plan, clinic=Clinic(locale="en-GB"))
    cells = [row for block in document.blocks if hasattr(block, "rows") for row in block.rows]
    # 30 units a week: the liver ceiling, not the usual one; the name as typed, not paracetamol
    assert ("Tylenol", "Pain or fever", "500 mg", "2,000 mg") in cells


def test_dates_follow_the_locale() -> None:
    day = date(2026, 11, 20)
    assert get_locale("en-US").date(day) == "November 20, 2026"
    assert get_locale("en-GB").date(day) == "20 November 2026"


def test_locale_overrides_name_real_rules() -> None:
    from careplan.clinical.engine import default_rule_base

    ids = {rule.id for rule in default_rule_base().rules}
    for locale in locales().values():
        assert set(locale.rules) <= ids, locale.id


def test_the_locale_setting_is_read_once_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREPLAN_LOCALE", "en-GB")
    monkeypatch.setenv("CAREPLAN_CLINIC_NAME", "Riverside Practice")
    monkeypatch.setenv("CAREPLAN_CLINIC_PHONE", "020 7946 0000")
    clinic = clinic_from_env()
    assert (clinic.locale, clinic.name) == ("en-GB", "Riverside Practice")
    monkeypatch.setenv("CAREPLAN_LOCALE", "fr-FR")
    with pytest.raises(SettingError, match="unknown locale 'fr-FR'; choose one of en-GB, en-US"):
        clinic_from_env()


def test_the_command_refuses_an_unknown_locale_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "plan.pdf"
    result = run_command("plan", "careplan/example_intake.json", "--pdf", str(out),
                         env={"CAREPLAN_LOCALE": "xx"})
    assert result.returncode == 2
    assert "unknown locale 'xx'" in result.stderr
    assert not out.exists()
