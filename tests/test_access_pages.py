"""Per-patient access on the pages: a clinician who has not seen a patient finds no name in
a search, gets a refusal for a crafted URL, opens the record only with a reason, and the
administrators review those reasons on the Admin page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps import TOKENS, app, create_patient, no_trouble
from careplan import accounts, storage
from factories import PASSWORD

REASON = "covering the pain clinic for Dr Rivera today"
ROOT = Path(__file__).resolve().parent.parent


def add_clinician(url: str, username: str = "okafor", *, team: str | None = None) -> None:
    """Another signed-in clinician (token in TOKENS), in ``team`` if given."""
    from careplan import access

    engine = storage.make_engine(url)
    now = datetime.now(UTC)
    with storage.transaction(engine) as session:
        accounts.add_user(session=session, username=username, display_name="Dr. B. Okafor",
                          role="clinician", password=PASSWORD, by="ada", now=now)
        if team:
            for name in ("rivera", username):
                access.set_team(session=session, username=name, team=team, by="ada", now=now)
        signed = accounts.sign_in(session=session, username=username, password=PASSWORD,
                                  now=now)
        assert signed is not None
        TOKENS[username] = signed.token
    engine.dispose()


def shown(test: AppTest) -> str:
    return " ".join(m.value for m in [*test.markdown, *test.sidebar.markdown, *test.caption])


def audit(url: str, action: str) -> list[tuple[str, int | None, str]]:
    engine = storage.make_engine(url)
    with storage.transaction(engine, readonly=True) as session:
        found = [(r.user, r.patient_id, r.detail)
                 for r in storage.audit_records(session=session, action=action)]
    engine.dispose()
    return found


def test_a_search_hides_another_clinicians_patient_but_says_one_matches(database: str) -> None:
    create_patient("Only For Rivera")
    add_clinician(database)
    test = app("patients", user="okafor")
    test.text_input(key="patient-search").input("Only").run()
    no_trouble(test)
    assert "Only For Rivera" not in shown(test)
    assert "No patient matches" not in " ".join(i.value for i in test.info)
    assert any("1 more patient matches" in i.value for i in test.info)
    assert [b.label for b in test.button if b.key == "glass-1"] == ["Open record #1 with a reason"]
    rivera = app("patients")
    rivera.text_input(key="patient-search").input("Only").run()
    assert "Only For Rivera" in shown(rivera)


def test_a_crafted_url_shows_a_refusal_and_nothing_of_the_patient(database: str) -> None:
    create_patient("Only For Rivera")
    add_clinician(database)
    for page in ("patients", "intake", "care_plan", "export", "history"):
        test = app(page, user="okafor", patient=1, visit=1)
        no_trouble(test)
        assert test.title[0].value == "No access to this patient", page
        assert "Only For Rivera" not in shown(test), page
        assert not [w for w in test.number_input if w.key == "f:history.pain_now"]
    assert [(user, patient) for user, patient, _ in audit(database, "access_denied")] == [
        ("okafor", 1)] * 5  # once a page session (each test here is a new browser session)
    assert not [r for r in audit(database, "view_patient") if r[0] == "okafor"]


def test_breaking_the_glass_needs_a_reason_then_opens_the_record(database: str) -> None:
    create_patient("Only For Rivera")
    add_clinician(database)
    test = app("intake", user="okafor", patient=1, visit=1)
    test.button(key="break-glass").click().run()
    assert any("at least 3" in e.value for e in test.error)
    assert test.title[0].value == "No access to this patient"
    test.text_area(key="glass-reason").input("emergency").run()
    test.button(key="break-glass").click().run()
    assert test.title[0].value == "No access to this patient"
    assert audit(database, "break_the_glass") == []
    test.text_area(key="glass-reason").input(REASON).run()
    test.button(key="break-glass").click().run()
    no_trouble(test)
    assert test.title[0].value == "Intake"
    assert "Only For Rivera" in shown(test)
    assert audit(database, "break_the_glass") == [("okafor", 1, REASON)]
    test.segmented_control(key="f:history.pain_now").set_value(6).run()
    no_trouble(test)
    assert not test.error


def test_the_search_offers_to_open_a_hidden_match_with_a_reason(database: str) -> None:
    create_patient("Only For Rivera")
    add_clinician(database)
    test = app("patients", user="okafor")
    test.text_input(key="patient-search").input("only for").run()
    test.button(key="glass-1").click().run()
    assert test.title[0].value == "No access to this patient"
    test.text_area(key="glass-reason").input(REASON).run()
    test.button(key="break-glass").click().run()
    no_trouble(test)
    assert test.title[0].value == "Patients"
    assert "Only For Rivera" in shown(test)


def test_members_of_one_team_open_each_others_patients(database: str) -> None:
    create_patient("Shared In The Team")
    add_clinician(database, team="Pain clinic")
    test = app("intake", user="okafor", patient=1, visit=1)
    no_trouble(test)
    assert test.title[0].value == "Intake"
    assert "Shared In The Team" in shown(test)
    assert audit(database, "access_denied") == []


def test_the_admin_page_sets_teams_and_lists_break_the_glass_records(database: str) -> None:
    create_patient("Only For Rivera")
    add_clinician(database)
    opened = app("history", user="okafor", patient=1)
    opened.text_area(key="glass-reason").input(REASON).run()
    opened.button(key="break-glass").click().run()
    assert opened.title[0].value == "History"
    page = app("admin", user="ada")
    no_trouble(page)
    assert "Break the glass" in [h.value for h in page.header]
    glass = page.dataframe[2].value
    assert glass[["User", "Patient", "Reason"]].values.tolist() == [["okafor", 1, REASON]]
    page.selectbox(key="team-user").set_value("okafor")
    page.text_input(key="team-name").input("Pain clinic")
    page.button(key="FormSubmitter:set-team-Set the team").click().run()
    no_trouble(page)
    assert any("okafor is in team Pain clinic" in s.value for s in page.success)
    teams = page.dataframe[0].value.set_index("User name")["Team"].to_dict()
    assert teams["okafor"] == "Pain clinic"


def test_a_visit_alone_in_the_url_opens_nothing_of_another_clinicians_patient(
    database: str,
) -> None:
    """?visit=1 without the patient: the visit decides the patient, and that patient is
    refused and audited as any other (16: another user's patient id in the request)."""
    create_patient("Only For Rivera")
    add_clinician(database)
    test = app("intake", user="okafor", visit=1)
    no_trouble(test)
    assert test.title[0].value == "No access to this patient"
    assert "Only For Rivera" not in shown(test)
    assert [(user, patient) for user, patient, _ in audit(database, "access_denied")] == [
        ("okafor", 1)]


@pytest.mark.parametrize("crafted", ["100000000000000000000", "9223372036854775808", "²",
                                     "-1", "0", "1e3", " 1"])
def test_an_id_in_the_url_that_no_record_can_have_shows_no_error_page(
    database: str, crafted: str,
) -> None:
    """A patient or visit id beyond any integer column (or '²', which isdigit() accepts and
    int() refuses) crashed the page with Streamlit's exception screen."""
    create_patient("Only For Rivera")
    for key in ("patient", "visit"):
        test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        test.session_state["auth_token"] = TOKENS["rivera"]
        test.query_params[key] = crafted
        test.switch_page("pages/2_Intake.py")
        test.run()
        no_trouble(test)
        assert "Choose a patient and a visit first." in [i.value for i in test.info], key
        assert "Only For Rivera" not in shown(test)
