"""Inputs that fit the data (issue 13): one-tap scales in the instrument's own words, the
red-flag checklist's "None of these", a refused answer marked at its field with the saved
one, and a returning visit that starts from the last one, confirmed section by section."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from apps import app, create_patient, fill, no_trouble, show
from careplan import storage, visits
from careplan.database import open_database
from careplan.intake import form
from factories import example_data, signed_in


def saved(database: str, visit: int = 1) -> storage.Draft:
    engine = storage.make_engine(database)
    try:
        with storage.transaction(engine, readonly=True) as session:
            return storage.get_draft(session=session, visit_id=visit)
    finally:
        engine.dispose()


def test_scales_are_one_tap_in_the_instruments_own_words(database: str) -> None:
    create_patient()
    test = show(app("intake", patient=1, visit=1), "risk_factors.phq4.anxious")
    phq = test.segmented_control(key="f:risk_factors.phq4.anxious")
    assert phq.options == ["Not at all", "Several days", "More than half the days",
                           "Nearly every day"]
    phq.set_value(2).run()
    no_trouble(test)
    assert saved(database).data["risk_factors"]["phq4"]["anxious"] == 2
    show(test, "history.pain_now")
    pain = test.segmented_control(key="f:history.pain_now")
    assert pain.options == [str(n) for n in range(11)]
    show(test, "symptom_severity.fatigue")
    assert test.segmented_control(key="f:symptom_severity.fatigue").options[0] == "No problem"
    scales = {e.path for e in form.ENTRIES if e.scale}
    assert {"history.peg.pain", "risk_factors.stress_level"} <= scales


def test_none_of_these_answers_every_open_red_flag_no_in_one_click_and_keeps_a_yes(
        database: str) -> None:
    create_patient()
    test = show(app("intake", patient=1, visit=1), "red_flags.night_pain")
    test.segmented_control(key="f:red_flags.night_pain").set_value("Yes").run()
    before = saved(database).version
    test.button(key="red-flags-none").click().run()
    no_trouble(test)
    draft = saved(database)
    flags = draft.data["red_flags"]
    assert len(flags) == len(form.in_group("red_flags"))
    assert flags["night_pain"] is True
    assert [k for k, v in flags.items() if v is not False] == ["night_pain"]
    assert draft.version == before + 1  # one save
    assert test.segmented_control(key="f:red_flags.fever_or_chills").value == "No"
    assert not [b for b in test.button if b.key == "red-flags-none"]  # nothing left open


def test_a_refused_answer_is_marked_not_saved_at_its_field_with_the_saved_one(
        database: str) -> None:
    """6.5 minutes of stiffness is not cut to 6: it is refused, said so under the field,
    with the answer the database holds; nothing is written."""
    create_patient()
    test = app("intake", patient=1, visit=1)
    box = test.number_input(key="f:history.morning_stiffness_minutes")
    box.set_value(20).run()
    version = saved(database).version
    test.number_input(key="f:history.morning_stiffness_minutes").set_value(6.5).run()
    no_trouble(test)
    draft = saved(database)
    assert (draft.data["history"]["morning_stiffness_minutes"], draft.version) == (20, version)
    messages = [e.value for e in test.error]
    assert any("**Not saved:** Morning stiffness \\(minutes\\) must be a whole number. The "
               "saved answer is 20." in m for m in messages), messages


def returning_visit(database: str) -> tuple[Any, int]:
    """The example intake at a first visit, then a second visit started for the patient."""
    create_patient()
    fill(app("intake", patient=1, visit=1), example_data())
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    second = visits.start(db, who, patient_id=1, visit_date=date.today(),
                          request_id="second-visit", now=datetime.now(UTC))
    return app("intake", patient=1, visit=second), second


def test_a_returning_visit_starts_from_what_stays_true_and_asks_today_again(
        database: str) -> None:
    test, second = returning_visit(database)
    no_trouble(test)
    draft = saved(database, second)
    example = example_data()
    for path in ("history.onset", "history.character", "risk_factors.sleep_quality",
                 "history.medications", "history.prior_treatments"):
        assert path in draft.carried_over, path
    assert draft.data["history"]["character"] == example["history"]["character"]
    for today_only in ("pain_now", "pain_worst_week", "peg", "notes"):
        assert today_only not in draft.data["history"], today_only
    assert "red_flags" not in draft.data
    assert "pregnant" not in draft.data.get("risk_factors", {})
    notices = [i.value for i in test.info if "from the visit of" in i.value]
    assert len(notices) == 1  # the open section (Visit and history) says so, once
    assert [c for c in test.caption if "Carried over from the visit of" in c.value]


def test_same_as_last_visit_confirms_a_section_in_one_click_and_a_change_unmarks_one(
        database: str) -> None:
    test, second = returning_visit(database)
    show(test, "risk_factors.sleep_quality")
    before = saved(database, second)
    test.button(key="confirm-Risk factors and screens").click().run()
    no_trouble(test)
    after = saved(database, second)
    assert not [p for p in after.carried_over
                if form.section_of(p) == "Risk factors and screens"]
    assert after.data == before.data  # nothing but the marks changed
    assert "history.onset" in after.carried_over  # other sections still to confirm
    assert not [b for b in test.button if b.key == "confirm-Risk factors and screens"]
    show(test, "history.onset")
    test.selectbox(key="f:history.onset").set_value("sudden").run()
    assert "history.onset" not in saved(database, second).carried_over


def test_a_returning_visit_after_an_empty_one_carries_only_the_patients_language(
        database: str) -> None:
    create_patient()
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    second = visits.start(db, who, patient_id=1, visit_date=date.today(),
                          request_id="empty-second", now=datetime.now(UTC))
    # only what the patient's record itself holds: the handout language (to confirm)
    assert set(saved(database, second).carried_over) == {"patient.preferred_language"}
    test = app("intake", patient=1, visit=second)
    (notice,) = [i.value for i in test.info if "from the visit of" in i.value]
    assert notice.startswith("1 answer in this section is from the visit of ")
    assert notice.endswith("Check it with the patient, change what changed.")


def test_dates_are_typed_saved_when_complete_and_picked_on_the_calendar_behind_its_icon(
        database: str) -> None:
    create_patient()
    test = app("intake", patient=1, visit=1)
    version = saved(database).version
    test.text_input(key="f:visit.date").input("2026-11").run()  # not complete: not saved
    assert saved(database).version == version
    assert any("**Not saved:** Visit date is not a complete date" in e.value
               for e in test.error)
    test.text_input(key="f:visit.date").input("20261119").run()
    assert saved(database).data["visit"]["date"] == "2026-11-19"
    assert test.text_input(key="f:visit.date").value == "20261119"
    test.date_input(key="cal:visit.date").set_value(date(2026, 11, 18)).run()
    no_trouble(test)
    assert saved(database).data["visit"]["date"] == "2026-11-18"
    assert test.text_input(key="f:visit.date").value == "2026-11-18"
    test.text_input(key="f:visit.date").input("2026-02-30").run()
    assert any("is not a real date" in e.value for e in test.error)
    assert saved(database).data["visit"]["date"] == "2026-11-18"


def test_the_handout_language_is_asked_beside_the_name_and_kept_with_the_patient(
        database: str) -> None:
    """Issue 14 point 1: on the Intake page beside the name, with the registry's label and
    options; the patient keeps it, so the next visit starts in it."""
    create_patient()
    test = app("intake", patient=1, visit=1)
    language = test.selectbox(key="f:patient.preferred_language")
    assert language.label == form.entry("patient.preferred_language").label
    assert language.options == ["English", "Spanish (español)"]
    language.set_value("es").run()
    no_trouble(test)
    assert saved(database).data["patient"]["preferred_language"] == "es"
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    second = visits.start(db, who, patient_id=1, visit_date=date.today(),
                          request_id="language-second", now=datetime.now(UTC))
    assert saved(database, second).data["patient"]["preferred_language"] == "es"
