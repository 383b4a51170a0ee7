"""Patients read at grade 6 or below (Flesch-Kincaid, textstat 0.7.8, no downloads)."""

from __future__ import annotations

from typing import Any

import pytest
import textstat

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.documents.pdf import patient_pdf
from careplan.documents.report import patient_handout, patient_words
from careplan.intake.model import RED_FLAGS
from factories import TODAY, make_intake
from pdf_helpers import flat, text_of

SCENARIOS: dict[str, dict[str, Any]] = {
    "desk worker (example)": {},
    "statin with an interacting antibiotic": {"history.medications": [
        {"name": "Zocor 40mg", "dose": "40 mg nightly", "started": "2026-09-01"},
        {"name": "clarithromycin", "dose": "500 mg twice daily", "started": "2026-11-15"}]},
    "older adult on an anticoagulant with CKD": {
        "patient.date_of_birth": "1946-05-02",
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "Eliquis", "dose": "5 mg"}, {"name": "Advil"}]},
    "pregnancy": {"risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 24},
    "widespread pain": {
        "affected_areas": ["neck", "upper_back", "lower_back", "shoulder_left", "shoulder_right",
                           "hip_left", "hip_right", "upper_leg_left", "lower_leg_right"],
        "symptom_severity.fatigue": 3, "history.duration_weeks": 30},
    "every red flag": {f"red_flags.{flag}": True for flag in RED_FLAGS},
}


@pytest.mark.parametrize("changes", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_handout_reads_at_grade_6_or_below(changes: dict[str, Any]) -> None:
    plan = build_plan(intake=make_intake(changes), today=TODAY)
    words = patient_words(patient_handout(plan))
    assert textstat.lexicon_count(words) > 400, "the measured text must be the whole handout"
    assert textstat.flesch_kincaid_grade(words) <= 6
    printed = flat(text_of(patient_pdf(plan)))
    for sentence in words.splitlines():
        assert flat(sentence.rstrip("."))[:60] in printed, sentence


@pytest.mark.parametrize("rule", default_rule_base().rules, ids=lambda r: r.id)
def test_each_patient_text_reads_at_grade_8_or_below(rule: Any) -> None:
    assert textstat.flesch_kincaid_grade(rule.patient_text) <= 8
    assert all(len(s.split()) <= 25 for s in rule.patient_text.split(". ")), "short sentences"


def test_the_measure_is_real() -> None:
    hard = ("Concomitant administration of hydroxymethylglutaryl-coenzyme A reductase inhibitors "
            "with cytochrome P450 3A4 inhibitors substantially increases myopathy susceptibility.")
    assert textstat.flesch_kincaid_grade(hard) > 12
