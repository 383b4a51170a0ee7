"""Sign-in on every page, lockout that survives a refresh, idle logoff, roles, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps import app, banner, create_patient, no_trouble
from careplan import storage
from factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def fresh(page: str = "1_Patients") -> AppTest:
    """A new browser session (as after a refresh): nobody is signed in."""
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    test.switch_page(f"pages/{page}.py")
    return test.run()


def sign_in(test: AppTest, username: str, password: str) -> AppTest:
    test.text_input(key="signin-user").input(username)
    test.text_input(key="signin-password").input(password)
    test.button(key="FormSubmitter:sign-in-Sign in").click()
    return test.run()


def test_an_empty_database_asks_for_the_first_administrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    test = fresh()
    assert test.title[0].value == "Create the first administrator"
    test.text_input(key="admin-user").input("ada")
    test.text_input(key="admin-name").input("Ada Admin")
    test.text_input(key="admin-password").input("too short")
    test.text_input(key="admin-again").input("too short")
    test.button(key="FormSubmitter:first-admin-Create administrator").click().run()
    assert "The password needs at least 12 characters." in [e.value for e in test.error]
    test.text_input(key="admin-password").input(PASSWORD)
    test.text_input(key="admin-again").input(PASSWORD)
    test.button(key="FormSubmitter:first-admin-Create administrator").click().run()
    assert test.title[0].value == "Patients"


def test_no_page_shows_anything_without_sign_in(database: str) -> None:
    create_patient("Secret Patient")
    for page in ("1_Patients", "2_Intake", "3_Care_plan", "4_Export", "5_History", "6_Admin"):
        test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        test.query_params["patient"], test.query_params["visit"] = "1", "1"
        test.switch_page(f"pages/{page}.py")
        test.run()
        assert not test.exception
        assert test.title[0].value == "Sign in"
        shown = " ".join(m.value for m in test.markdown) + " ".join(
            c.value for c in test.caption)
        assert "Secret" not in shown


def test_wrong_passwords_lock_and_a_refresh_does_not_unlock(database: str) -> None:
    test = fresh()
    for _ in range(5):
        test = sign_in(test, "rivera", "not the password")
        assert "did not work, or the account is locked" in " ".join(e.value for e in test.error)
    refreshed = sign_in(fresh(), "rivera", PASSWORD)  # right password, new session
    assert refreshed.title[0].value == "Sign in"
    assert "did not work" in " ".join(e.value for e in refreshed.error)
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        assert "lockout" in [r.action for r in storage.audit_records(session=session)]
    engine.dispose()


def test_wrong_passwords_typed_at_another_computer_do_not_lock_the_admin_out(
        database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sign-in form counts failures per computer (its address): an attacker's five
    wrong passwords for the only administrator stop the attacker, not the administrator."""
    import ui.auth

    monkeypatch.setattr(ui.auth, "client_key", lambda: "203.0.113.66")
    attacker = fresh()
    for _ in range(6):
        attacker = sign_in(attacker, "ada", "not the password")
    assert sign_in(fresh(), "ada", PASSWORD).title[0].value == "Sign in"  # still stopped there
    monkeypatch.setattr(ui.auth, "client_key", lambda: "10.0.0.5")
    admin = sign_in(fresh(), "ada", PASSWORD)
    no_trouble(admin)
    assert admin.title[0].value != "Sign in"


def test_idle_session_asks_again_and_keeps_the_draft(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_patient()
    test = app("intake", patient=1, visit=1)
    test.segmented_control(key="f:history.pain_now").set_value(5).run()
    monkeypatch.setenv("CAREPLAN_IDLE_MINUTES", "0")
    test.run()
    assert test.title[0].value == "Sign in"
    assert "without activity" in " ".join(i.value for i in test.info)
    monkeypatch.setenv("CAREPLAN_IDLE_MINUTES", "15")
    test = sign_in(test, "rivera", PASSWORD)
    assert test.title[0].value == "Intake"
    assert test.segmented_control(key="f:history.pain_now").value == 5


def test_signing_out_in_one_tab_ends_the_other(database: str) -> None:
    first = app("patients")
    second = app("patients")
    first.sidebar.button(key="sign-out").click().run()
    assert first.title[0].value == "Sign in"
    second.run()
    assert second.title[0].value == "Sign in"


def test_two_users_never_see_each_others_selection(database: str) -> None:
    create_patient("Only For Rivera")
    rivera = app("intake", patient=1, visit=1)
    assert "Only For Rivera" in banner(rivera)
    ada = app("patients", user="ada")
    assert "Only For Rivera" not in banner(ada)
    assert not any("Continue the visit" in b.label for b in ada.button)


def test_admin_page_is_for_admins_and_shows_an_intact_trail(database: str) -> None:
    clinician = app("admin")
    assert "This page is for administrators." in [e.value for e in clinician.error]
    admin = app("admin", user="ada")
    assert not admin.exception
    assert any("intact" in s.value for s in admin.success)
    actions = admin.dataframe[1].value["Action"].tolist()
    assert "access_denied" in actions
    assert "sign_in" in actions


def test_hostile_names_are_shown_as_text(database: str) -> None:
    create_patient('<img src=x onerror=alert(1)> <b>Ann</b> & "Co"')
    test = app("patients")
    test.text_input(key="patient-search").input("<img").run()
    shown = " ".join(m.value for m in test.markdown)
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in shown
    assert not test.exception
    assert "New patient" in [h.value for h in test.header]  # the page ran to the end


def test_an_answer_typed_after_sign_out_elsewhere_is_not_saved(database: str) -> None:
    """The widget's callback runs before the page checks the session: the use case refuses
    it, audits the attempt, and the tab forgets the user and every answer on screen."""
    create_patient()
    intake = app("intake", patient=1, visit=1)
    intake.segmented_control(key="f:history.pain_now").set_value(4).run()
    other = app("patients")
    other.sidebar.button(key="sign-out").click().run()
    intake.segmented_control(key="f:history.pain_now").set_value(9).run()
    assert intake.title[0].value == "Sign in"
    assert "session has ended, so this was not saved" in " ".join(w.value for w in intake.warning)
    assert "f:history.pain_now" not in intake.session_state
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        assert storage.get_draft(session=session, visit_id=1).data["history"]["pain_now"] == 4
        trail = [(r.action, r.outcome) for r in storage.audit_records(session=session)]
    engine.dispose()
    assert trail[-1] == ("change_intake", "denied")


def test_a_visit_paired_with_another_patient_in_the_url_is_refused_and_audited(
    database: str,
) -> None:
    """The visit decides the patient: ?patient=2&visit=1 (visit 1 is patient 1's) opens no
    intake, names no patient of the wrong visit, and is audited against visit 1's patient."""
    create_patient("First Patient")
    create_patient("Second Patient")
    crafted = app("intake", patient=2, visit=1)
    assert "belongs to another patient" in " ".join(e.value for e in crafted.error)
    assert "Choose a patient and a visit first." in [i.value for i in crafted.info]
    assert not [w for w in crafted.number_input if w.key == "f:history.pain_now"]
    assert "Second Patient" in banner(crafted)
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        denied = [(r.patient_id, r.detail) for r in storage.audit_records(session=session)
                  if r.action == "access_denied"]
    engine.dispose()
    assert denied == [(1, "visit 1 asked for with patient 2")]
    own = app("intake", visit=2)  # a visit alone: its own patient is shown with it
    assert "Second Patient" in banner(own)
    assert own.title[0].value == "Intake"


def test_a_page_run_takes_no_write_lock(database: str) -> None:
    """While another writer holds SQLite's write lock, a signed-in page still draws: the
    session check and the page's reads are read-only (before, every rerun waited for the
    lock and then crashed with 'database is busy')."""
    import sqlite3

    app("patients")  # the first run of a session may move last_seen on
    holder = sqlite3.connect(database.split("///", 1)[1], timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        test = app("patients")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    no_trouble(test)
    assert test.title[0].value == "Patients"


def test_a_database_problem_on_any_page_shows_its_message_not_the_exception_page(
    database: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from careplan import patients
    from careplan.errors import DatabaseBusyError

    def busy(*_: object, **__: object) -> int:
        raise DatabaseBusyError("The database is busy with another save. Nothing was lost; "
                                "try again.")

    monkeypatch.setattr(patients, "count", busy)
    for page in ("Home", "Patients"):
        test = app() if page == "Home" else app("patients")
        no_trouble(test)
        assert any("database is busy" in e.value for e in test.error), page


def test_a_busy_database_at_sign_in_or_in_the_sidebar_is_a_message_and_keeps_the_patient(
    database: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the load harness: at 60 simultaneous sign-ins the sign-in check crashed the
    page, and a busy lookup of the patient in hand (then in the sidebar, now the banner)
    silently dropped the patient."""
    from careplan import accounts, patients
    from careplan.errors import DatabaseBusyError

    def busy(*_: object, **__: object) -> object:
        raise DatabaseBusyError("The database is busy with another save. Nothing was lost; "
                                "try again.")

    create_patient()
    with monkeypatch.context() as patched:
        patched.setattr(accounts, "any_accounts", busy)
        test = app("patients")
        no_trouble(test)
        assert any("database is busy" in e.value for e in test.error)
    monkeypatch.setattr(patients, "banner", busy)
    test = app("intake", patient=1, visit=1)
    no_trouble(test)
    assert any("database is busy" in e.value for e in test.error)
    assert test.session_state["patient"] == 1  # kept for the next run


def test_an_answer_typed_after_the_idle_limit_asks_for_sign_in_and_keeps_the_saved_draft(
    database: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """24 through the page: the next action after the idle limit is a change in a field (its
    callback runs before the page checks the session): nothing is saved, the attempt is
    audited, the sign-in form shows, and signing in again brings back the saved answers."""
    create_patient()
    intake = app("intake", patient=1, visit=1)
    intake.segmented_control(key="f:history.pain_now").set_value(5).run()
    monkeypatch.setenv("CAREPLAN_IDLE_MINUTES", "0")
    intake.segmented_control(key="f:history.pain_now").set_value(9).run()
    assert intake.title[0].value == "Sign in"
    assert "f:history.pain_now" not in intake.session_state
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        assert storage.get_draft(session=session, visit_id=1).data["history"]["pain_now"] == 5
        trail = [(r.action, r.outcome) for r in storage.audit_records(session=session)]
    engine.dispose()
    assert trail[-2:] == [("idle_logoff", "success"), ("change_intake", "denied")]
    monkeypatch.setenv("CAREPLAN_IDLE_MINUTES", "15")
    again = sign_in(intake, "rivera", PASSWORD)
    assert again.title[0].value == "Intake"
    assert again.segmented_control(key="f:history.pain_now").value == 5


def test_a_button_pressed_in_a_tab_signed_out_elsewhere_does_nothing(database: str) -> None:
    """25: a button is not a callback: the page run checks the session first, so 'Start a
    visit' in the other tab shows the sign-in form and starts nothing."""
    create_patient()
    other = app("patients", patient=1)
    assert other.button(key="start-visit")
    app("patients").sidebar.button(key="sign-out").click().run()
    other.button(key="start-visit").click().run()
    assert other.title[0].value == "Sign in"
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        starts = storage.audit_records(session=session, action="create_intake")
        history = storage.patient_history(session=session, patient_id=1)
    engine.dispose()
    assert starts == []
    assert len(history) == 1  # the first visit only
