"""The headless command, run as a real process exactly as the contract says."""

from __future__ import annotations

import io
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from careplan.clinical.plan import DOMAINS
from factories import EXAMPLE_PATH, apply, example_data
from factories import run_command as run

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "plan.example.json"




def write(tmp_path: Path, data: Any, name: str = "intake.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_example_prints_a_plan_covering_all_seven_domains() -> None:
    result = run("plan", EXAMPLE_PATH, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert {r["domain"] for r in plan["recommendations"]} == set(DOMAINS)
    for item in plan["recommendations"] + plan["alerts"]:
        assert item["because"], item["id"]
        assert item["source"], item["id"]
    assert plan["follow_up"]["review_in_weeks"] == 4
    assert plan["rule_base"]["version"]


def test_example_plan_matches_the_golden_file(update_golden: bool) -> None:
    result = run("plan", EXAMPLE_PATH, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    if update_golden:
        GOLDEN.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


def test_without_today_the_plan_is_dated_by_the_real_clock() -> None:
    before = date.today()
    result = run("plan", EXAMPLE_PATH)
    after = date.today()  # the run may cross midnight
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["generated_on"] in {before.isoformat(), after.isoformat()}


def test_today_flag_dates_the_plan_and_is_the_day_dates_are_judged_by(tmp_path: Path) -> None:
    result = run("plan", EXAMPLE_PATH, "--today", "2031-02-03")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["generated_on"] == "2031-02-03"
    visit = example_data()["visit"]["date"]
    day_before = (date.fromisoformat(visit) - timedelta(days=1)).isoformat()
    result = run("plan", EXAMPLE_PATH, "--today", day_before)
    assert result.returncode == 2
    assert "visit.date: must not be in the future" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "invalid JSON at line 1"),
        (apply(example_data(), {"patient.sex": "robot"}), "patient.sex: must be one of"),
        (apply(example_data(), {"history.pain_now": 11}),
         "history.pain_now: must be between 0 and 10"),
        (apply(example_data(), {"patient.date_of_birth": "2026-11-21"}),
         "patient.date_of_birth: must not be after the visit date"),
        (apply(example_data(), {"patient.date_of_birth": "2099-01-01"}),
         "patient.date_of_birth: must not be in the future"),
        (apply(example_data(), {"patient.date_of_birth": "1826-05-01"}),
         "patient.date_of_birth: must not be before 1900-01-01"),
        (apply(example_data(), {"history.pain_now": 10**20}),
         "history.pain_now: must be between 0 and 10"),
        (json.dumps(apply(example_data(), {"risk_factors.sleep_hours": 123.25})).replace(
            "123.25", "1e309"),
         "risk_factors.sleep_hours: must be a finite number (not NaN or infinity)"),
        (json.dumps(example_data()).replace('"pain_now": 6', '"pain_now": ' + "9" * 5000),
         "invalid JSON: Exceeds the limit"),
        (apply(example_data(), {"history.notes": "line\u202e reversed"}),
         "history.notes: contains an invisible or control character (U+202E)"),
        (apply(example_data(), {"history.medications": [{"name": "ibu\u0000profen"}]}),
         "history.medications[0].name: contains an invisible or control character (U+0000)"),
    ],
    ids=["invalid-json", "unknown-enum", "pain-11", "age-below-0", "dob-future", "age-200",
         "pain-10**20", "sleep-1e309", "5000-digits", "bidi-note", "nul-medicine"],
)
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(
    tmp_path: Path, content: Any, expected: str
) -> None:
    intake = write(tmp_path, content)
    out = tmp_path / "plan.json"
    out.write_text("previous plan", encoding="utf-8")
    result = run("plan", intake, "--json", out, "--today", "2026-11-25")
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == "previous plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["intake.json", "plan.json"]


def test_one_line_per_problem(tmp_path: Path) -> None:
    bad = apply(example_data(), {"history.pain_now": 11, "patient.sex": "x"})
    result = run("plan", write(tmp_path, bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(": " in line for line in lines)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("plan", tmp_path / "nope.json")
    assert result.returncode == 2
    assert "cannot read the file" in result.stderr


def test_json_flag_writes_the_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = run("plan", EXAMPLE_PATH, "--json", out, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_pdf_flag_writes_the_patient_handout_and_still_prints_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan.pdf"
    result = run("plan", EXAMPLE_PATH, "--pdf", out, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patient"]["name"] == "Zoë Nguyễn"
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert "Your care plan for muscle pain" in pdf_text(data)
    assert out.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def test_clinician_audience_and_large_print(tmp_path: Path) -> None:
    summary, large, normal = (tmp_path / f"{n}.pdf" for n in ("summary", "large", "normal"))
    assert run("plan", EXAMPLE_PATH, "--pdf", summary, "--audience", "clinician").returncode == 0
    assert "Clinician summary" in pdf_text(summary.read_bytes())
    assert run("plan", EXAMPLE_PATH, "--pdf", large, "--large-print").returncode == 0
    assert run("plan", EXAMPLE_PATH, "--pdf", normal).returncode == 0
    assert len(PdfReader(large).pages) > len(PdfReader(normal).pages)


def test_bad_input_creates_no_pdf(tmp_path: Path) -> None:
    bad = write(tmp_path, apply(example_data(), {"history.pain_now": 11}))
    out = tmp_path / "plan.pdf"
    result = run("plan", bad, "--pdf", out)
    assert result.returncode == 2
    assert not out.exists()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_pdf_with_right_to_left_text_is_written_and_flagged(tmp_path: Path) -> None:
    """Hebrew prints left to right (Arabic as placeholders): the command writes the PDF and
    says so on stderr, for a check; a Latin-only plan says nothing of it."""
    hebrew = write(tmp_path, apply(example_data(), {"patient.name": "\u05e9\u05e8\u05d4 Cohen"}))
    out = tmp_path / "plan.pdf"
    result = run("plan", hebrew, "--pdf", out, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert f"careplan: {out}: This plan has text in a right-to-left script" in result.stderr
    plain = run("plan", EXAMPLE_PATH, "--pdf", tmp_path / "latin.pdf", "--today", "2026-11-25")
    assert "right-to-left" not in plain.stderr


SPANISH = {"patient.preferred_language": "es"}


def test_the_handout_is_printed_in_the_intakes_language_by_default(tmp_path: Path) -> None:
    """es (or es-MX) prints the Spanish handout; --language chooses the other on request."""
    for tag in ("es", "es-MX"):
        intake = write(tmp_path, apply(example_data(), {"patient.preferred_language": tag}))
        out = tmp_path / f"{tag}.pdf"
        result = run("plan", intake, "--pdf", out, "--today", "2026-11-25")
        assert result.returncode == 0, result.stderr
        text = " ".join(pdf_text(out.read_bytes()).split())
        assert "Su plan de cuidado para el dolor muscular" in text
        assert "20 de noviembre de 2026" in text
        assert "oprima 2 para español" in text
        assert "has not been reviewed by a qualified medical translator" in result.stderr
    english = tmp_path / "en.pdf"
    result = run("plan", intake, "--pdf", english, "--language", "en", "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert "Your care plan for muscle pain" in pdf_text(english.read_bytes())
    assert "translator" not in result.stderr
    spanish = tmp_path / "asked.pdf"
    assert run("plan", EXAMPLE_PATH, "--pdf", spanish, "--language", "es").returncode == 0
    assert "Su plan de cuidado" in pdf_text(spanish.read_bytes())


def test_a_language_with_no_handout_prints_english_and_says_so(tmp_path: Path) -> None:
    intake = write(tmp_path, apply(example_data(), {"patient.preferred_language": "pt-BR"}))
    out = tmp_path / "plan.pdf"
    result = run("plan", intake, "--pdf", out, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert "Your care plan for muscle pain" in pdf_text(out.read_bytes())
    assert ("careplan: the patient prefers 'pt-BR': there is no handout in that language; "
            "the handout is printed in English") in result.stderr


def test_spanish_is_for_us_clinics(tmp_path: Path) -> None:
    """A UK clinic prints English for a Spanish speaker (said on stderr); asked for Spanish
    explicitly, it exits 2 and writes nothing."""
    intake = write(tmp_path, apply(example_data(), SPANISH))
    out = tmp_path / "plan.pdf"
    uk = {"CAREPLAN_LOCALE": "en-GB"}
    result = run("plan", intake, "--pdf", out, "--today", "2026-11-25", env=uk)
    assert result.returncode == 0, result.stderr
    assert "Your care plan for muscle pain" in pdf_text(out.read_bytes())
    assert "the Spanish handout is for US clinics, and CAREPLAN_LOCALE is en-GB" in result.stderr
    asked = tmp_path / "asked.pdf"
    result = run("plan", intake, "--pdf", asked, "--language", "es", env=uk)
    assert result.returncode == 2
    assert "the Spanish handout is written for US clinics" in result.stderr
    assert not asked.exists()


def test_the_clinician_summary_stays_english_and_names_the_handouts_language(
    tmp_path: Path,
) -> None:
    intake = write(tmp_path, apply(example_data(), SPANISH))
    out = tmp_path / "summary.pdf"
    result = run("plan", intake, "--pdf", out, "--audience", "clinician")
    assert result.returncode == 0, result.stderr
    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "Clinician summary: muscle pain care plan" in text
    assert "printed in Spanish (es), the patient's preferred language (es)" in text
    assert ("The Spanish handout text was written for this project and has not been reviewed "
            "by a qualified medical translator") in text
    run("plan", intake, "--pdf", out, "--audience", "clinician", "--language", "en")
    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "printed in English (en) on request; the patient prefers es" in text
    assert "translator" not in text


def test_a_batch_prints_each_handout_in_its_patients_language(tmp_path: Path) -> None:
    english = write(tmp_path, example_data(), "ann.json")
    spanish = write(tmp_path, apply(example_data(), SPANISH), "beto.json")
    out = tmp_path / "out"
    out.mkdir()
    result = run("plan", english, spanish, "--out-dir", out, "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert "Your care plan" in pdf_text((out / "ann.pdf").read_bytes())
    assert "Su plan de cuidado" in pdf_text((out / "beto.pdf").read_bytes())
    assert result.stderr.count("translator") == 1
