"""A half-filled or partly wrong intake still scores, and names every bad field."""

from __future__ import annotations

from careplan.clinical.drafts import field_problems, preview
from factories import TODAY, apply, example_data


def test_a_valid_draft_previews_the_real_plan() -> None:
    result = preview(example_data(), today=TODAY)
    assert result.complete
    assert result.problems == {}
    assert result.plan is not None
    assert result.plan.scores["peg"] == 6.0


def test_bad_answers_are_named_and_the_rest_still_scores() -> None:
    data = apply(example_data(), {"history.pain_now": 11, "risk_factors.phq4.worry": 9,
                                  "red_flags.dark_urine": True})
    result = preview(data, today=TODAY)
    assert not result.complete
    assert result.problems == {"history.pain_now": "must be between 0 and 10",
                               "risk_factors.phq4.worry": "must be between 0 and 3"}
    assert result.plan is not None
    assert result.plan.scores["peg"] == 6.0
    assert result.plan.scores["phq4"] is None  # the bad item counts as not asked
    assert result.plan.alerts[0].id == "RF-RHABDO"  # a ticked red flag shows at once


def test_an_empty_draft_previews_without_the_required_fields() -> None:
    result = preview({"visit": {"date": "2026-11-20"}}, today=TODAY)
    assert result.problems == {"patient.name": "is required",
                               "patient.date_of_birth": "is required"}  # each at its field
    assert result.plan is not None
    assert result.plan.alerts == ()


def test_bad_list_items_are_dropped_for_the_preview() -> None:
    data = apply(example_data(), {"history.medications": [
        {"name": "atorvastatin", "started": "2030-01-01"}, {"name": "Advil"}]})
    problems = field_problems(data, today=TODAY)
    assert problems == {"history.medications[0].started": "must not be after the visit date"}
    result = preview(data, today=TODAY)
    assert result.plan is not None
    assert [(m.entered, m.started) for m in result.plan.medications] == [
        ("atorvastatin", None), ("Advil", None)]  # only the bad date is set aside
