"""Golden text of the Spanish handout of the example intake (``pytest --update-golden``).

The example intake with ``patient.preferred_language = "es"``, printed by the library and by
the command (the dashboard's Export page calls the same ``patient_pdf``): the same words, as
extracted from the PDF. Review the diff of ``golden/patient.example.es.txt`` on any change.
"""

from __future__ import annotations

import json
from pathlib import Path

from careplan.clinical.engine import build_plan
from careplan.documents.language import preferred_handout_language
from careplan.documents.pdf import patient_pdf
from factories import TODAY, apply, example_data, make_intake, run_command
from pdf_helpers import text_of

GOLDEN = Path(__file__).parent / "golden" / "patient.example.es.txt"
SPANISH = {"patient.preferred_language": "es"}


def test_golden_spanish_handout(update_golden: bool) -> None:
    plan = build_plan(intake=make_intake(SPANISH), today=TODAY)
    language = preferred_handout_language(plan.patient.preferred_language)
    assert language == "es"
    text = text_of(patient_pdf(plan, language=language))
    if update_golden:
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_command_prints_the_same_spanish_handout(tmp_path: Path) -> None:
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(apply(example_data(), SPANISH)), encoding="utf-8")
    out = tmp_path / "plan.pdf"
    result = run_command("plan", intake, "--pdf", out, "--json", tmp_path / "plan.json",
                         "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert text_of(out.read_bytes()) == GOLDEN.read_text(encoding="utf-8")
