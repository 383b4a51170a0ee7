"""Spanish patients read the handout easily: Szigriszt-Pazos perspicuity on the INFLESZ scale.

textstat 0.7.8 with ``set_lang("es")`` (syllables from Pyphen's Spanish dictionary, no
downloads). INFLESZ (Barrio-Cantalejo et al., 2008): under 40 very hard, 40-55 somewhat
hard, 55-65 normal, 65-80 fairly easy ("bastante fácil"), over 80 very easy.

- Every Spanish patient text scores 65 or more: each rule's text, each fixed handout line,
  each of the layout's sentences and each medicine's purpose. A label of fewer than
  ``MIN_WORDS`` words ("Medicina", "Sus medicinas") is no text the formula can judge (one
  long word decides it); labels count in the whole handout.
- Every scenario handout scores 70 or more as a whole.
- The worst items are listed (``-rP`` shows them on a pass, the assertion on a failure).

The language is set back to textstat's default afterwards, so the English grade-6 gate
(tests/test_readability.py) measures English.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import textstat

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.documents.pdf import patient_pdf
from careplan.documents.report import patient_handout, patient_words
from factories import READABILITY_SCENARIOS, TODAY, make_intake
from pdf_helpers import flat, text_of

ENGLISH_SAMPLE = "The table is comfortable, and the medicine is beautiful."  # es counts differ
ENGLISH_GRADE = textstat.flesch_kincaid_grade(ENGLISH_SAMPLE)  # at import: textstat's default
EACH: float = 65.0
WHOLE: float = 70.0
MIN_WORDS = 5
TEXTSTAT_DEFAULT = "en_US"

# The English gate's scenarios (factories.READABILITY_SCENARIOS) and the hard patients.
SCENARIOS: dict[str, dict[str, Any]] = {
    **READABILITY_SCENARIOS,
    "8 years old on acetaminophen and codeine": {
        "patient.date_of_birth": "2018-05-01", "history.conditions": [],
        "history.medications": [{"name": "Tylenol", "dose": "160 mg"},
                                {"name": "codeine", "dose": "15 mg"}]},
    "84 and on warfarin": {
        "patient.date_of_birth": "1942-03-02",
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "warfarin", "dose": "5 mg daily"},
                                {"name": "Advil", "dose": "200 mg"},
                                {"name": "Tylenol PM", "dose": "2 at night"}]},
    "statin with dark urine": {"red_flags.dark_urine": True},
}


@pytest.fixture
def spanish() -> Iterator[None]:
    """textstat measures Spanish inside the test only."""
    textstat.set_lang("es")
    try:
        yield
    finally:
        textstat.set_lang(TEXTSTAT_DEFAULT)


def spanish_texts() -> dict[str, str]:
    """Every Spanish text a patient may read, by where it comes from (placeholders filled
    with what a handout prints in them)."""
    base = default_rule_base()
    texts = {
        f"rule {rule.id}": rule.patient_text_es.replace("{medicines}", "Zocor y Tylenol")
        .replace("{review_in_weeks}", "4")
        for rule in base.rules
    }
    texts |= {f"line {t.id}": t.text_es.replace("{weeks}", "4 semanas") for t in base.texts}
    texts |= {
        f"layout {key}": es.format(name="Ana Pérez", date="20 de noviembre de 2026",
                                   weeks="4 semanas", areas="el cuello y el hombro izquierdo",
                                   status="BORRADOR", page="1", total="4", value="6",
                                   count="4")
        for key, (_, es) in base.layout.words.items()
    }
    texts |= {f"purpose {key}": es for key, (_, es) in base.layout.purposes.items()}
    return texts


def worst(scores: dict[str, float], texts: dict[str, str], count: int = 8) -> str:
    ranked = sorted(scores, key=scores.__getitem__)[:count]
    return "\n".join(f"  {scores[k]:5.1f}  {k}: {texts[k]}" for k in ranked)


@pytest.mark.usefixtures("spanish")
def test_every_spanish_patient_text_reads_fairly_easy() -> None:
    texts = spanish_texts()
    scores = {where: textstat.szigriszt_pazos(text) for where, text in texts.items()
              if textstat.lexicon_count(text) >= MIN_WORDS}
    assert len(scores) > 150, "the measure must cover the rule base"
    print(f"\nworst Spanish texts (Szigriszt-Pazos, goal >= {EACH:g}):\n{worst(scores, texts)}")
    hard = {where: score for where, score in scores.items() if score < EACH}
    assert not hard, f"below {EACH:g} (INFLESZ 'bastante fácil'):\n{worst(hard, texts, 20)}"


@pytest.mark.usefixtures("spanish")
def test_each_spanish_rule_text_keeps_short_sentences() -> None:
    for rule in default_rule_base().rules:
        for sentence in rule.patient_text_es.split(". "):
            assert len(sentence.split()) <= 25, f"{rule.id}: {sentence}"


@pytest.mark.usefixtures("spanish")
@pytest.mark.parametrize("changes", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_spanish_handout_reads_fairly_easy_as_a_whole(changes: dict[str, Any]) -> None:
    plan = build_plan(intake=make_intake(changes), today=TODAY)
    words = patient_words(patient_handout(plan, language="es"))
    assert textstat.lexicon_count(words) > 400, "the measured text must be the whole handout"
    score = textstat.szigriszt_pazos(words)
    print(f"\nSzigriszt-Pazos of the whole handout: {score:.1f} (goal >= {WHOLE:g})")
    assert score >= WHOLE
    printed = flat(text_of(patient_pdf(plan, language="es")))
    for sentence in words.splitlines():
        assert flat(sentence.rstrip("."))[:60] in printed, sentence


def test_the_language_is_set_back_for_the_english_gate(spanish: None) -> None:
    assert textstat.szigriszt_pazos("Su dolor es real.") > 0  # measured as Spanish here


def test_english_is_measured_as_english_after_the_spanish_tests() -> None:
    """Runs after the fixture above (file order): English syllables are counted again."""
    assert textstat.flesch_kincaid_grade(ENGLISH_SAMPLE) == ENGLISH_GRADE


@pytest.mark.usefixtures("spanish")
def test_the_measure_is_real() -> None:
    hard = ("La administración concomitante de inhibidores de la hidroximetilglutaril-coenzima "
            "A reductasa con inhibidores del citocromo P450 3A4 incrementa sustancialmente la "
            "susceptibilidad miopática.")
    assert textstat.szigriszt_pazos(hard) < 40
    assert textstat.szigriszt_pazos("Su dolor es real. Moverse le ayuda.") > 80
