"""The intake model refuses what a clinician would not mean, and says where."""

from __future__ import annotations

import json
from typing import Any

import pytest

from careplan.errors import IntakeError
from careplan.intake import NOTE_MAX_CHARS
from careplan.validation import parse_json, validate_intake
from factories import TODAY, apply, example_data, make_intake


def problems(changes: dict[str, Any], unset: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(IntakeError) as caught:
        validate_intake(apply(example_data(), changes, unset), today=TODAY)
    return [str(p) for p in caught.value.problems]


def test_example_is_valid_and_ages_from_the_visit_date() -> None:
    intake = make_intake()
    assert intake.patient.name == "Zoë Nguyễn"
    assert intake.age == 58


def test_only_three_fields_are_required_and_missing_means_not_asked() -> None:
    intake = validate_intake(
        {"patient": {"name": "Walk In", "date_of_birth": "1990-05-01"},
         "visit": {"date": "2026-11-20"}},
        today=TODAY,
    )
    assert intake.history.pain_now is None
    assert intake.red_flags.dark_urine is None
    assert intake.affected_areas is None
    assert intake.history.medications is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"history.pain_now": 11}, "history.pain_now: must be between 0 and 10"),
        ({"history.pain_now": -1}, "history.pain_now: must be between 0 and 10"),
        ({"history.pain_now": "6"}, "history.pain_now: must be a whole number"),
        ({"history.pain_now": 6.5}, "history.pain_now: must be a whole number"),
        ({"history.pain_now": True}, "history.pain_now: must be a whole number"),
        ({"history.peg.activity": 12}, "history.peg.activity: must be between 0 and 10"),
        ({"patient.sex": "f"}, "patient.sex: must be one of"),
        ({"history.onset": "slow"}, "history.onset: must be one of"),
        ({"affected_areas": ["knee"]}, "affected_areas[0]: must be one of"),
        ({"patient.date_of_birth": "2030-01-01"},
         "patient.date_of_birth: must not be in the future"),
        ({"patient.date_of_birth": "1899-12-31"}, "patient.date_of_birth: must not be before 1900"),
        ({"patient.date_of_birth": "2026-11-21"},
         "patient.date_of_birth: must not be after the visit date (2026-11-20)"),
        ({"patient.date_of_birth": "2023-02-29"},
         "patient.date_of_birth: is not a real calendar date (2023-02-29)"),
        ({"patient.date_of_birth": 0}, "patient.date_of_birth: must be a date written YYYY-MM-DD"),
        ({"patient.date_of_birth": "14/03/1968"},
         "patient.date_of_birth: must be a date written YYYY-MM-DD"),
        ({"visit.date": "2026-12-01"}, "visit.date: must not be in the future"),
        ({"risk_factors.sleep_hours": 25}, "risk_factors.sleep_hours: must be between 0 and 24"),
        ({"risk_factors.sleep_hours": 1e309},
         "risk_factors.sleep_hours: must be a finite number (not NaN or infinity)"),
        ({"risk_factors.smoker": "yes"}, "risk_factors.smoker: must be true or false"),
        ({"risk_factors.pregnancy_weeks": 22},
         "risk_factors.pregnancy_weeks: is only recorded when 'pregnant' is true"),
        ({"patient.name": "   "}, "patient.name: is required and must not be blank"),
        ({"patient.name": "Ann\x00"}, "patient.name: contains an invisible or control character"),
        ({"patient.name": "Ann\u202eevil"}, "(U+202E)"),
        ({"patient.name": "Ann\u200bB"}, "(U+200B)"),
        ({"patient.name": "Ann\nB"}, "patient.name: must be a single line"),
        ({"history.notes": "x" * (NOTE_MAX_CHARS + 1)},
         f"history.notes: must be at most {NOTE_MAX_CHARS} characters"),
        ({"history.character": ["aching", "aching"]},
         "history.character: lists aching more than once"),
        ({"history.triggers": ["stress", "none_identified"]}, "cannot be combined"),
        ({"history.medications": [{"name": "atorvastatin", "started": "2026-12-01"}]},
         "history.medications[0].started: must not be after the visit date"),
        ({"history.medications": [{"dose": "10 mg"}]}, "history.medications[0].name: is required"),
        ({"surprise": 1}, "surprise: is not a field of the intake"),
        ({"red_flags.dark_urin": True}, "red_flags.dark_urin: is not a field of the intake"),
        ({"history": []}, "history: must be an object"),
    ],
)
def test_bad_values_name_the_field(changes: dict[str, Any], expected: str) -> None:
    found = problems(changes)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"history.pain_now": 11, "patient.sex": "x", "risk_factors.stress_level": 99})
    assert len(found) == 3


def test_required_fields_missing() -> None:
    found = problems({}, unset=("patient.name", "visit"))
    assert "patient.name: is required" in found
    assert "visit: is required" in found


def test_text_is_nfc_normalised_and_length_counted_after() -> None:
    intake = make_intake({"patient.name": "Zoe\u0308 " + "e\u0301" * 190})
    assert intake.patient.name.startswith("Zoë ")
    assert len(intake.patient.name) == 4 + 190


def test_hostile_text_is_kept_verbatim() -> None:
    names = ["<b>Ann</b> & Co", "O'Brien", "x'); DROP TABLE patients;--", "😀 Ana"]
    for name in names:
        assert make_intake({"patient.name": name}).patient.name == name


def test_notes_keep_line_breaks_and_accept_the_cap() -> None:
    note = "line one\r\nline two\n" + "y" * (NOTE_MAX_CHARS - 30)
    intake = make_intake({"history.notes": note})
    assert intake.history.notes is not None
    assert "line one\nline two" in intake.history.notes


def test_strict_json_refuses_nan_and_duplicate_keys() -> None:
    for text in ('{"a": NaN}', '{"a": Infinity}', '{"a": 1, "a": 2}', "{", "\xff"):
        with pytest.raises(IntakeError):
            parse_json(text.encode("latin-1") if text == "\xff" else text)


def test_json_text_with_bom_is_read() -> None:
    raw = ("\ufeff" + json.dumps(example_data())).encode("utf-8")
    assert validate_intake(raw, today=TODAY).patient.mrn == "A-100234"


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(IntakeError, match="must be a JSON object"):
        validate_intake("[1, 2]", today=TODAY)


def test_leap_day_birthday_ages_on_first_of_march() -> None:
    intake = make_intake({"patient.date_of_birth": "2000-02-29", "visit.date": "2026-02-28"},
                         unset=("history.medications",))
    assert intake.age == 25
    intake = make_intake({"patient.date_of_birth": "2000-02-29", "visit.date": "2026-03-01"},
                         unset=("history.medications",))
    assert intake.age == 26


def test_intake_is_immutable() -> None:
    intake = make_intake()
    with pytest.raises(ValueError, match="frozen"):
        intake.patient.name = "Other"  # type: ignore[misc]
