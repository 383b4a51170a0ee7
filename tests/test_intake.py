"""The intake model refuses what a clinician would not mean, and says where."""

from __future__ import annotations

import json
from typing import Any

import pytest

from careplan.errors import IntakeError
from careplan.intake.model import NOTE_MAX_CHARS
from careplan.intake.validation import parse_json, validate_intake
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


# ---------------------------------------------------------------- changes since the first version

OLD_FLAG = "red_flags.numbness_or_bladder_bowel_change"
SADDLE = "red_flags.saddle_numbness_or_bladder_bowel_change"
LIMB = "red_flags.limb_numbness_or_tingling"
NEW_FLAGS = (SADDLE, LIMB)


def test_the_old_numbness_field_is_read_as_saddle_numbness_and_said() -> None:
    intake = make_intake({OLD_FLAG: True}, unset=NEW_FLAGS)
    assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is True
    assert intake.red_flags.limb_numbness_or_tingling is None  # a yes does not say which
    assert len(intake.legacy_notes) == 1
    assert intake.legacy_notes[0].startswith(
        "red_flags.numbness_or_bladder_bowel_change (old form) was read as saddle numbness or "
        "bladder/bowel change, the safer reading")
    dumped = intake.model_dump(mode="json")["red_flags"]
    assert "numbness_or_bladder_bowel_change" not in dumped  # only the new fields are written
    assert dumped["saddle_numbness_or_bladder_bowel_change"] is True


def test_an_old_no_answers_both_new_questions() -> None:
    intake = make_intake({OLD_FLAG: False}, unset=NEW_FLAGS)
    assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is False
    assert intake.red_flags.limb_numbness_or_tingling is False
    assert "no limb numbness" in intake.legacy_notes[0]


@pytest.mark.parametrize(("old", "saddle", "expected"), [
    (True, False, True), (False, True, True), (False, False, False), (True, True, True)])
def test_old_and_new_saddle_answers_combine_with_or(old: bool, saddle: bool, expected: bool
                                                    ) -> None:
    intake = make_intake({OLD_FLAG: old, SADDLE: saddle})
    assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is expected
    assert intake.legacy_notes  # the clinician is told either way


def test_an_old_null_is_not_asked_and_a_new_intake_has_no_notes() -> None:
    intake = make_intake({OLD_FLAG: None}, unset=NEW_FLAGS)
    assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is None
    assert intake.legacy_notes == ()
    assert make_intake().legacy_notes == ()


def test_a_bad_old_value_is_named_at_the_old_path() -> None:
    assert problems({OLD_FLAG: "yes"}) == [
        "red_flags.numbness_or_bladder_bowel_change: must be true or false"]


def test_old_form_json_round_trips_in_the_new_form() -> None:
    old = apply(example_data(), {OLD_FLAG: True}, NEW_FLAGS)
    intake = validate_intake(json.dumps(old), today=TODAY)
    again = validate_intake(intake.model_dump_json(), today=TODAY)
    assert again.model_dump() == intake.model_dump()
    assert again.legacy_notes == ()  # the note belongs to the reading, not to the answers


def test_alcohol_may_be_given_in_us_drinks() -> None:
    intake = make_intake({"risk_factors.alcohol_drinks_per_week": 8},
                         unset=["risk_factors.alcohol_units_per_week"])
    assert intake.risk_factors.alcohol_drinks_per_week == 8
    assert intake.risk_factors.alcohol_units_per_week is None


@pytest.mark.parametrize("drinks", [2, 2.3, 3])  # 4 units is 2.3 drinks; whole-number rounding
def test_units_and_drinks_that_agree_are_accepted(drinks: float) -> None:
    make_intake({"risk_factors.alcohol_units_per_week": 4,
                 "risk_factors.alcohol_drinks_per_week": drinks})


def test_units_and_drinks_that_disagree_are_refused_at_the_field() -> None:
    assert problems({"risk_factors.alcohol_units_per_week": 4,
                     "risk_factors.alcohol_drinks_per_week": 8}) == [
        "risk_factors.alcohol_drinks_per_week: 8 drinks a week is about 14 units, but "
        "alcohol_units_per_week says 4; give one of them, or two that agree"]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"risk_factors.alcohol_drinks_per_week": 301},
     "risk_factors.alcohol_drinks_per_week: must be between 0 and 300"),
    ({"risk_factors.alcohol_drinks_per_week": "4"},
     "risk_factors.alcohol_drinks_per_week: must be a number"),
    ({"history.grapefruit": "yes"}, "history.grapefruit: must be true or false"),
])
def test_new_fields_name_their_problems(changes: dict[str, Any], expected: str) -> None:
    assert expected in problems(changes)


def test_grapefruit_is_a_history_answer() -> None:
    assert make_intake({"history.grapefruit": True}).history.grapefruit is True
    assert make_intake().history.grapefruit is None  # not asked


@pytest.mark.parametrize(("text", "path", "message"), [
    ('{\n  "history": {\n    "pain_now": NaN\n  }\n}', "history.pain_now",
     "NaN at line 3 column 17 is not a number JSON allows"),
    ('{"note": "Infinity and NaN", "b": [1, -Infinity]}', "b[1]",
     "-Infinity at line 1 column 39 is not a number JSON allows"),
    ('[{"x": "say \\"NaN\\""}, Infinity]', "[1]",
     "Infinity at line 1 column 24 is not a number JSON allows"),
])
def test_a_non_number_is_refused_with_its_field_line_and_column(
    text: str, path: str, message: str,
) -> None:
    with pytest.raises(IntakeError) as caught:
        parse_json(text)
    assert [(p.path, p.message) for p in caught.value.problems] == [(path, message)]
