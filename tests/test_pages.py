"""Every page through Streamlit's AppTest: it renders, its main path works, bad input shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from apps import TOKENS, app, banner, create_patient, each_section, fill, no_trouble, show
from careplan import patients, storage, visits
from careplan.database import open_database
from careplan.intake import form
from factories import apply, example_data, signed_in


def test_home_page_renders(database: str) -> None:
    test = app()
    no_trouble(test)
    assert test.title[0].value == "Inomyalgia Care"


def test_patients_page_renders_empty_and_creates_a_patient(database: str) -> None:
    test = app("patients")
    no_trouble(test)
    assert test.title[0].value == "Patients"
    assert any("no patients yet" in c.value for c in test.caption)
    test = create_patient()
    no_trouble(test)
    assert test.title[0].value == "Intake"
    assert test.query_params["patient"] == ["1"] or test.query_params["patient"] == "1"


def test_new_patient_needs_name_and_birth_date(database: str) -> None:
    test = app("patients")
    test.text_input(key="new-name").input("   ")
    test.button(key="FormSubmitter:new-patient-Create patient and start a visit").click().run()
    assert "Full name and date of birth are required." in [e.value for e in test.error]


def test_search_finds_and_opens_a_patient(database: str) -> None:
    create_patient("O'Brien <b>Ann</b>")
    test = app("patients")
    test.text_input(key="patient-search").input("o'b").run()
    no_trouble(test)
    assert any("O'Brien \\<b\\>Ann\\</b\\>" in m.value for m in test.markdown)
    test.button(key="open-1").click().run()
    no_trouble(test)
    assert test.header[0].value == "O'Brien \\<b\\>Ann\\</b\\>"  # shown as typed
    resume = test.button(key="continue-visit")
    assert resume.label == f"Continue the visit of {date.today().isoformat()}"
    resume.click().run()
    no_trouble(test)
    assert test.title[0].value == "Intake"
    assert test.session_state["patient"] == 1
    assert test.session_state["visit"] == 1


def test_intake_saves_each_answer_and_shows_scores_and_alerts(database: str) -> None:
    create_patient()
    test = app("intake", patient=1, visit=1)
    no_trouble(test)
    test.segmented_control(key="f:history.pain_now").set_value(6).run()
    show(test, "red_flags.dark_urine").segmented_control(key="f:red_flags.dark_urine").set_value(
        "Yes").run()
    assert any("Possible rhabdomyolysis" in e.value for e in test.error)
    assert next(m.value for m in test.metric) == "6"
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        draft = storage.get_draft(session=session, visit_id=1).data
    engine.dispose()
    assert draft["history"]["pain_now"] == 6
    assert draft["red_flags"]["dark_urine"] is True
    fresh = app("intake", patient=1, visit=1)  # a refresh is a new session
    assert fresh.segmented_control(key="f:history.pain_now").value == 6


def test_intake_bad_value_shows_at_the_field_and_keeps_the_rest(database: str) -> None:
    create_patient()
    test = app("intake", patient=1, visit=1)
    test.segmented_control(key="f:history.pain_now").set_value(4).run()
    test.text_input(key="f:patient.date_of_birth").input("2099-01-01").run()
    no_trouble(test)
    assert any("must not be in the future" in e.value for e in test.error)
    assert test.segmented_control(key="f:history.pain_now").value == 4


def test_full_path_to_a_signed_plan_and_exports(database: str) -> None:
    create_patient()
    test = fill(app("intake", patient=1, visit=1), example_data())
    assert not [e.value for e in test.error], [e.value for e in test.error]
    test.button(key="to-plan").click().run()
    no_trouble(test)
    assert test.title[0].value == "Care plan"
    test.switch_page("pages/3_Care_plan.py")  # AppTest stays on a page switched to by the script
    test.button(key="build-plan").click().run()
    no_trouble(test)
    reject = test.segmented_control(key="dec:1:REST-HEAT")
    reject.set_value("Reject").run()
    assert any(w.value.startswith("**Not saved yet.** Give a reason to reject this item; it is "
                                  "not saved until then.") for w in test.warning)
    test.text_input(key="why:1:REST-HEAT").input("Numb skin over the shoulder").run()
    no_trouble(test)
    assert test.button(key="sign").disabled  # 19 items nobody decided yet
    test.button(key="accept-remaining").click().run()
    test.button(key="sign").click().run()
    no_trouble(test)
    assert any("signed by Dr\\. A\\. Rivera" in s.value for s in test.success)
    test.button(key="to-export").click().run()
    no_trouble(test)
    assert test.title[0].value == "Export"
    test.switch_page("pages/4_Export.py").run()
    assert len(test.get("download_button")) == 5


def test_export_refuses_a_handout_without_a_configured_clinic(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_patient()
    test = fill(app("intake", patient=1, visit=1), example_data())
    test.button(key="to-plan").click().run()
    test.switch_page("pages/3_Care_plan.py")
    test.button(key="build-plan").click().run()
    monkeypatch.setenv("CAREPLAN_DEMO", "0")
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", "a key for the audit trail of this test only")
    test.switch_page("pages/4_Export.py").run()
    assert any("cannot be printed: no clinic is configured" in e.value for e in test.error)
    assert len(test.get("download_button")) == 3  # summary, JSON and FHIR; no handout


def _spanish_speaker_with_a_plan(database: str) -> AppTest:
    """A patient whose preferred language is Spanish (saved through the use case, as the
    form's field will), with a plan built from the example intake."""
    create_patient()
    test = fill(app("intake", patient=1, visit=1), example_data())
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    visits.answer(db, who, visit_id=1, path="patient.preferred_language", value="es",
                  expected_version=test.session_state["draft_version"], today=date.today(),
                  now=datetime.now(UTC))
    test.button(key="to-plan").click().run()
    test.switch_page("pages/3_Care_plan.py")
    test.button(key="build-plan").click().run()
    no_trouble(test)
    test.switch_page("pages/4_Export.py").run()
    no_trouble(test)
    return test


def test_export_offers_the_handout_in_the_patients_language_first(database: str) -> None:
    test = _spanish_speaker_with_a_plan(database)
    choice = test.radio(key="handout-language-1")
    assert choice.options == ["Spanish (the patient's language)", "English"]
    assert choice.value == "es"
    labels = [b.proto.label for b in test.get("download_button")]
    assert labels[:3] == ["Patient handout in Spanish (PDF)",
                          "Large-print handout in Spanish (PDF)", "Clinician summary (PDF)"]
    assert any("has not been reviewed by a qualified medical translator" in w.value
               for w in test.warning)
    choice.set_value("en").run()  # the other language on request
    no_trouble(test)
    labels = [b.proto.label for b in test.get("download_button")]
    assert labels[:2] == ["Patient handout (PDF)", "Large-print handout (PDF)"]
    assert not any("translator" in w.value for w in test.warning)


def test_history_page_shows_visits(database: str) -> None:
    engine = storage.make_engine(database)
    storage.upgrade(database)
    from careplan import demo

    demo.seed(engine, today=date.today(), seen_by=("rivera",))
    engine.dispose()
    test = app("history", patient=1)
    no_trouble(test)
    assert test.title[0].value == "History"
    open_plan = test.button(key="open-plan-1")
    assert open_plan.label == "Open plan"
    open_plan.click().run()
    no_trouble(test)
    assert test.title[0].value == "Care plan"
    assert test.session_state["patient"] == 1
    assert test.session_state["visit"] == 1


def test_pages_without_a_selection_point_to_patients(database: str) -> None:
    for page in ("intake", "care_plan", "export", "history"):
        test = app(page)
        no_trouble(test)
        assert any("Choose a patient" in i.value for i in test.info)


def test_two_tabs_on_one_answer_get_a_conflict_not_a_silent_overwrite(database: str) -> None:
    create_patient()
    first = app("intake", patient=1, visit=1)
    second = app("intake", patient=1, visit=1)
    first.segmented_control(key="f:history.pain_now").set_value(3).run()
    second.segmented_control(key="f:history.pain_now").set_value(8).run()
    no_trouble(second)
    warning = " ".join(w.value for w in second.warning)
    assert "Your answer for **Pain now" in warning
    assert "was not saved" in warning
    assert "you changed it in another tab or window" in warning
    assert second.segmented_control(key="f:history.pain_now").value == 8  # what was typed stays
    second.button(key="conflict-mine").click().run()
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        assert storage.get_draft(session=session, visit_id=1).data["history"]["pain_now"] == 8
    engine.dispose()


def test_another_clinician_on_the_same_answer_is_named(database: str) -> None:
    from datetime import UTC, datetime

    from careplan import access
    from careplan.accounts import SignedIn
    from careplan.database import Database

    create_patient()
    rivera = app("intake", patient=1, visit=1)
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        ada_account = storage.find_user(session=session, username="ada")
    assert ada_account is not None
    ada_in = SignedIn(ada_account.id, "ada", "Ada Admin", "admin", TOKENS["ada"])
    access.break_the_glass(Database(engine), ada_in, patient_id=1,
                           reason="covering the clinic this morning", now=datetime.now(UTC))
    engine.dispose()
    ada = app("intake", user="ada", patient=1, visit=1)
    ada.segmented_control(key="f:history.pain_now").set_value(2).run()
    rivera.segmented_control(key="f:history.pain_now").set_value(6).run()
    assert "Ada Admin changed it" in " ".join(w.value for w in rivera.warning)


def test_answers_to_other_questions_elsewhere_are_no_conflict_and_show_at_once(
    database: str,
) -> None:
    """Two tabs on one intake, each answering its own questions: nothing is refused, and
    each tab shows the other's saved answers (never an older copy)."""
    create_patient()
    first = app("intake", patient=1, visit=1)
    second = app("intake", patient=1, visit=1)
    first.segmented_control(key="f:history.pain_now").set_value(5).run()
    second.text_area(key="f:history.notes").input("Typed in the second tab").run()
    no_trouble(second)
    assert not second.warning
    assert second.segmented_control(key="f:history.pain_now").value == 5  # the first tab's answer
    first.run()  # the first tab's next run shows the second tab's note
    assert first.text_area(key="f:history.notes").value == "Typed in the second tab"
    first.segmented_control(key="f:history.pain_worst_week").set_value(7).run()
    assert not first.warning
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        saved = storage.get_draft(session=session, visit_id=1).data["history"]
    engine.dispose()
    assert (saved["pain_now"], saved["notes"], saved["pain_worst_week"]) == (
        5, "Typed in the second tab", 7)


def test_intake_asks_alcohol_in_drinks_and_grapefruit_near_the_medicines(database: str) -> None:
    create_patient()
    test = app("intake", patient=1, visit=1)
    show(test, "risk_factors.alcohol_drinks_per_week")
    assert test.number_input(key="f:risk_factors.alcohol_drinks_per_week").label == (
        "Alcohol: standard drinks a week")
    test.number_input(key="f:risk_factors.alcohol_drinks_per_week").set_value(10.0).run()
    show(test, "history.grapefruit")
    test.segmented_control(key="f:history.grapefruit").set_value("Yes").run()
    show(test, "red_flags.limb_numbness_or_tingling")
    test.segmented_control(key="f:red_flags.limb_numbness_or_tingling").set_value("Yes").run()
    no_trouble(test)
    assert any("Numbness or tingling in an arm or leg" in w.value for w in test.warning)
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        draft = storage.get_draft(session=session, visit_id=1).data
    engine.dispose()
    assert draft["risk_factors"]["alcohol_drinks_per_week"] == 10.0
    assert draft["history"]["grapefruit"] is True
    assert draft["red_flags"]["limb_numbness_or_tingling"] is True


def test_a_plan_cannot_be_signed_with_red_flags_not_asked(database: str) -> None:
    create_patient()
    data = example_data()
    del data["red_flags"]["fever_or_chills"]
    test = fill(app("intake", patient=1, visit=1), data)
    test.button(key="to-plan").click().run()
    test.switch_page("pages/3_Care_plan.py")
    test.button(key="build-plan").click().run()
    no_trouble(test)
    assert any("1 of 15 red-flag questions were not asked" in e.value for e in test.error)
    assert test.button(key="sign").disabled


def test_no_known_allergies_is_one_click_and_said_so(database: str) -> None:
    create_patient()
    test = show(app("intake", patient=1, visit=1), "history.allergies")
    test.button(key="no-allergies").click().run()
    no_trouble(test)
    assert any("No known allergies (asked)" in c.value for c in test.caption)
    assert not [b for b in test.button if b.key == "no-allergies"]
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        assert storage.get_draft(session=session, visit_id=1).data["history"]["allergies"] == []
    engine.dispose()


def _first_draw(widget: Any) -> Any:
    """What a browser drawing ``widget`` for the first time shows: the value the run set, or
    else the widget's default (in the widget's own terms: options, not indices)."""
    proto = widget.proto
    if proto.set_value:
        return widget.value
    kind = type(proto).__name__
    options = form.entry(str(widget.key)[2:]).options
    if kind == "Selectbox":
        return options[proto.default] if proto.HasField("default") else None
    if kind == "MultiSelect":
        return [options[i] for i in proto.default]
    if kind == "ButtonGroup":  # a one-tap scale's values, or Yes / No
        scale = form.entry(str(widget.key)[2:]).scale_values
        if not proto.default:
            return None
        return scale[proto.default[0]] if scale else proto.options[proto.default[0]].content
    if kind == "DateInput":
        return date.fromisoformat(proto.default[0]) if proto.default else None
    if kind == "NumberInput":
        return None if not proto.HasField("default") else (
            int(proto.default) if proto.data_type == proto.INT else proto.default)
    return proto.default if proto.HasField("default") else None


def test_a_widget_drawn_first_in_a_run_that_did_not_set_it_shows_the_saved_answer(
        database: str) -> None:
    """After a reload whose first run is cut short, the browser first draws the intake in a
    run that does not set the widgets through session state: it then shows each widget's
    default. That default is the saved answer (a saved 7 was once shown as 0, and the next
    change anywhere would have sent the 0 back)."""
    create_patient()
    test = fill(app("intake", patient=1, visit=1), example_data())
    checked = 0
    for section, page in zip(form.SECTIONS, each_section(test), strict=True):
        page.run()  # a run that sets nothing (the one before set the section's widgets)
        keyed = [w for kind in ("number_input", "text_input", "text_area", "selectbox",
                                "multiselect", "date_input", "segmented_control")
                 for w in getattr(page, kind) if str(w.key).startswith("f:")]
        wrong = {w.key: (w.value, _first_draw(w)) for w in keyed if _first_draw(w) != w.value}
        assert not wrong, section
        checked += len(keyed)
    assert checked > 50


def test_whole_numbers_saved_for_decimal_questions_and_doubles_for_whole_ones_draw_the_page(
        database: str) -> None:
    """A draft holds 7 (JSON) for sleep hours, a decimal question, and browsers send 20.0 for
    morning stiffness: neither may break the page (each box's default is given in its own
    type; Streamlit refuses an int default beside float bounds)."""
    create_patient()
    test = app("intake", patient=1, visit=1)
    test.number_input(key="f:history.morning_stiffness_minutes").set_value(20.0).run()
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    visits.answer(db, who, visit_id=1, path="risk_factors.sleep_hours", value=7,
                  expected_version=test.session_state["draft_version"], today=date.today(),
                  now=datetime.now(UTC))
    fresh = app("intake", patient=1, visit=1)  # a new session reads 7 and 20 from the draft
    no_trouble(fresh)
    show(fresh, "risk_factors.sleep_hours").run()
    no_trouble(fresh)
    assert fresh.number_input(key="f:risk_factors.sleep_hours").value == 7
    show(fresh, "history.morning_stiffness_minutes")
    assert fresh.number_input(key="f:history.morning_stiffness_minutes").value == 20


def test_every_page_of_a_patient_names_them_in_a_banner_pinned_in_the_main_area(
    database: str,
) -> None:
    """Issue 13 point 6: name, age, date of birth, MRN and allergies on every page of the
    patient, in the main area (at 768 px the sidebar, then the only place the name was, is
    hidden), pinned at its foot (Streamlit's bottom container stays in view while the page
    scrolls); the name shown as typed, never as Markdown."""
    create_patient("O'Brien <b>Ann</b>")
    years = patients.age_on(date(1968, 3, 14), date.today())
    for page in (None, "patients", "intake", "care_plan", "export", "history"):
        test = app(page, patient=1, visit=1) if page else app(patient=1, visit=1)
        no_trouble(test)
        text = banner(test)
        assert "O'Brien \\<b\\>Ann\\</b\\>" in text, page
        assert f"{years} years · born 1968-03-14 · MRN none" in text, page
        assert "Allergies not asked" in text, page
        assert not any("O'Brien" in m.value for m in test.sidebar.markdown), page
    intake = show(app("intake", patient=1, visit=1), "history.allergies")
    intake.button(key="no-allergies").click().run()
    assert "No known allergies" in banner(intake)
    intake.text_area(key="f:history.allergies").input("penicillin\ncodeine [severe]").run()
    assert "Allergies: penicillin, codeine \\[severe\\]" in banner(app("history", patient=1))
    assert banner(app("admin", user="ada")) == ""  # the Admin page shows no patient


def test_home_is_a_worklist_of_the_visits_waiting_each_a_link_to_its_patient_and_visit(
    database: str,
) -> None:
    """Issue 13 point 7: intakes in progress, plans waiting for a signature, today's and
    recent patients, each opening its patient and visit on the page it waits on; only the
    patients the clinician (or their team) may open."""
    engine = storage.make_engine(database)
    db = open_database(database)
    rivera = signed_in(db, "rivera", datetime.now(UTC))
    today = date.today()
    draft_only, _ = patients.create_with_visit(
        db, rivera, name="Ada Draft", date_of_birth=date(1980, 1, 2), mrn="D-1",
        visit_date=today, request_id=None, now=datetime.now(UTC))
    to_sign, visit = patients.create_with_visit(
        db, rivera, name="Ben Unsigned", date_of_birth=date(1981, 2, 3), mrn=None,
        visit_date=today - timedelta(days=3), request_id=None, now=datetime.now(UTC))
    view = visits.open_draft(db, rivera, visit_id=visit, today=today)
    data = apply(example_data(), {"visit.date": (today - timedelta(days=3)).isoformat()})
    for section, value in data.items():
        view = visits.answer(db, rivera, visit_id=visit, path=section, value=value,
                             expected_version=view.draft.version, today=today,
                             now=datetime.now(UTC))
    visits.build_plan_version(db, rivera, visit_id=visit, today=today, request_id=None,
                              now=datetime.now(UTC))
    with storage.transaction(engine) as session:  # a patient nobody here has seen
        stranger = storage.create_patient(session=session, name="Cy Stranger",
                                          date_of_birth=date(1970, 1, 1), by="elsewhere")
        storage.start_visit(session=session, patient_id=stranger, visit_date=today,
                            clinician=None, by="elsewhere")
    engine.dispose()
    test = app()
    no_trouble(test)
    links = {(link.value, link.proto.page, link.proto.query_string) for link in test.page_link
             if "born" in link.value}
    assert links == {
        ("**Ada Draft** · born 1980-01-02", "Intake",
         f"patient={draft_only}&visit=1"),
        ("**Ben Unsigned** · born 1981-02-03", "Care_plan",
         f"patient={to_sign}&visit=2"),
    }
    titles = [h.value for h in test.header]
    assert titles == ["Intakes in progress", "Plans to sign", "Today's patients",
                      "Recent patients"]
    per_section = [link.value for link in test.page_link if "born" in link.value]
    assert per_section == ["**Ada Draft** · born 1980-01-02", "**Ben Unsigned** · born 1981-02-03",
                           "**Ada Draft** · born 1980-01-02", "**Ben Unsigned** · born 1981-02-03"]
    assert "Cy Stranger" not in " ".join(c.value for c in [*test.caption, *test.markdown])
    assert any("plan to sign" in c.value and "MRN" not in c.value for c in test.caption)
    assert any(c.value.startswith("MRN D\\-1 · intake in progress") for c in test.caption)
