"""Patients read at grade 6 or below (Flesch-Kincaid, textstat 0.7.8, no downloads)."""

from __future__ import annotations

from typing import Any

import pytest
import textstat

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.documents.pdf import patient_pdf
from careplan.documents.report import patient_handout, patient_words
from factories import READABILITY_SCENARIOS, TODAY, make_intake
from pdf_helpers import flat, text_of


@pytest.mark.parametrize("changes", READABILITY_SCENARIOS.values(),
                         ids=READABILITY_SCENARIOS.keys())
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
