"""Creating and finding patients through the use cases, on SQLite and PostgreSQL: names
composed (NFC) and checked the same way on both, a likely duplicate confirmed before it is
created, an MRN in use refused naming the patient who has it, dates of birth in range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from apps import app, create_patient, no_trouble
from careplan import accounts, patients, storage
from careplan.database import Database
from careplan.errors import DuplicatePatientError, InputError
from careplan.intake import form
from careplan.intake.model import Patient
from factories import TODAY, add_staff, signed_in

BORN = date(1968, 3, 14)


@dataclass
class Desk:
    db: Database
    rivera: accounts.SignedIn
    okafor: accounts.SignedIn
    zoe: int
    now: datetime


@pytest.fixture
def desk(engine: Engine) -> Desk:
    """Rivera's patient Zoë Nguyễn (MRN A-100234); Okafor, a clinician who has not seen her."""
    now = datetime.now(UTC)
    database = Database(engine)
    add_staff(database, now, ("rivera", "Dr. A. Rivera"), ("okafor", "Dr. B. Okafor"))
    rivera = signed_in(database, "rivera", now)
    zoe, _ = patients.create_with_visit(database, rivera, name="Zoë Nguyễn", date_of_birth=BORN,
                                        mrn="A-100234", visit_date=TODAY, request_id=None,
                                        now=now)
    return Desk(database, rivera, signed_in(database, "okafor", now), zoe, now)


def create(desk: Desk, name: str, *, who: accounts.SignedIn | None = None, born: date = BORN,
           mrn: str | None = None, anyway: bool = False) -> int:
    patient, _ = patients.create_with_visit(
        desk.db, who or desk.rivera, name=name, date_of_birth=born, mrn=mrn, visit_date=TODAY,
        request_id=None, now=desk.now, create_anyway=anyway)
    return patient


def test_the_same_name_decomposed_or_in_capitals_is_a_likely_duplicate_to_confirm(
    desk: Desk,
) -> None:
    """'ZOE\u0308 NGUYEN' born the same day is Zoë Nguyễn as far as anyone can tell: the
    clinician is asked first, and creates the patient only when sure it is someone else."""
    with pytest.raises(DuplicatePatientError) as asked:
        create(desk, "ZOE\u0308  NGUYEN")
    assert asked.value.matches == (desk.zoe,)
    assert (f"patient record #{desk.zoe} (Zoë Nguyễn, born 1968-03-14, MRN A-100234)"
            in str(asked.value))
    assert patients.count(desk.db) == 1  # nothing written
    with pytest.raises(DuplicatePatientError):  # the case as written: e + acute, accents folded
        create(desk, "Zoe\u0301 Nguyen")
    other = create(desk, "ZOE\u0308 NGUYEN", anyway=True)
    assert patients.get(desk.db, desk.rivera, patient_id=other).name == "ZOË NGUYEN"  # composed
    assert create(desk, "Zoë Nguyễn", born=BORN + timedelta(days=1)) > other  # another birthday


def test_a_duplicate_the_clinician_may_not_open_is_named_by_record_number_only(
    desk: Desk,
) -> None:
    with pytest.raises(DuplicatePatientError) as asked:
        create(desk, "zoe nguyen", who=desk.okafor)
    message = str(asked.value)
    assert f"patient record #{desk.zoe}, whom neither you nor your care team has seen" in message
    assert "Nguyễn" not in message
    assert "A-100234" not in message


@pytest.mark.parametrize("mrn", ["A-100234", "a-100234 "])
def test_an_mrn_in_use_is_refused_in_a_sentence_naming_the_field_and_the_patient(
    desk: Desk, mrn: str,
) -> None:
    """Before: 'a patient with MRN A-100234 already exists', shown after the form's error
    marker, for the exact spelling only; 'a-100234' made a second record."""
    with pytest.raises(InputError) as refused:
        create(desk, "Ann Other", mrn=mrn)
    assert str(refused.value) == (
        f"MRN {mrn.strip()} is already the MRN of patient record #{desk.zoe} (Zoë Nguyễn, born "
        "1968-03-14, MRN A-100234), so the patient was not created. Check the MRN, or find "
        "that patient by it.")
    assert patients.count(desk.db) == 1


HIDDEN = {"NUL": ("\x00", "0000"), "zero-width space": ("\u200b", "200B"),
          "bidi override": ("\u202e", "202E"), "right-to-left mark": ("\u200f", "200F"),
          "tab": ("\t", "0009"), "soft hyphen": ("\u00ad", "00AD")}


@pytest.mark.parametrize(("hidden", "code"), HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_characters_in_a_name_an_mrn_or_a_search_get_one_message_on_both_backends(
    desk: Desk, hidden: str, code: str,
) -> None:
    said = f"contains an invisible or control character (U+{code}); remove it."
    with pytest.raises(InputError, match=rf"^Full name {re.escape(said)}$"):
        create(desk, f"Ann{hidden}eoD")
    with pytest.raises(InputError, match=rf"^MRN {re.escape(said)}$"):
        create(desk, "Ann Other", mrn=f"B-{hidden}1")
    with pytest.raises(InputError, match=rf"^The search {re.escape(said)}$"):
        patients.find(desk.db, desk.rivera, query=f"Zo{hidden}")
    assert patients.count(desk.db) == 1


@pytest.mark.parametrize(("letters", "fits"), [(patients.NAME_MAX, True),
                                               (patients.NAME_MAX + 1, False)])
def test_a_name_is_counted_once_composed(desk: Desk, letters: int, fits: bool) -> None:
    """'e\u0301' is one letter: 200 of them typed as 400 code points fit; 201 do not."""
    name = "e\u0301" * letters
    if fits:
        patient = create(desk, name)
        assert patients.get(desk.db, desk.rivera, patient_id=patient).name == "é" * letters
    else:
        with pytest.raises(InputError, match=f"Full name has {letters} characters; at most 200"):
            create(desk, name)


@pytest.mark.parametrize("born", [date(1826, 5, 1), date(1899, 12, 31), TODAY + timedelta(days=1),
                                  date(9999, 12, 31)], ids=["age 200", "1899", "age -1", "9999"])
def test_a_date_of_birth_out_of_range_is_refused_not_stored(desk: Desk, born: date) -> None:
    """The page's date box has bounds; a crafted request had none (age -1 or 200 stored)."""
    with pytest.raises(InputError, match="Date of birth must be between 1900-01-01 and the "
                                         f"visit date \\({TODAY.isoformat()}\\)"):
        create(desk, "Ann Other", born=born)
    assert patients.count(desk.db) == 1


def test_a_search_is_composed_so_a_decomposed_name_finds_the_patient(desk: Desk) -> None:
    for query in ("Zoe\u0308", "NGUYE\u0302\u0303N", "a-100234"):
        assert [r.id for r in patients.find(desk.db, desk.rivera, query=query).shown] == [
            desk.zoe], query


# --- the Patients page (AppTest, SQLite) -------------------------------------------------

CREATE = "FormSubmitter:new-patient-Create patient and start a visit"


def new_patient_form(name: str, mrn: str = "") -> AppTest:
    test = app("patients")
    test.text_input(key="new-name").input(name)
    test.date_input(key="new-born").set_value(BORN)
    test.text_input(key="new-mrn").input(mrn)
    test.button(key=CREATE).click()
    return test.run()


def stored_patients(url: str) -> list[str]:
    engine = storage.make_engine(url)
    with storage.transaction(engine, readonly=True) as session:
        names = [storage.get_patient(session=session, patient_id=i).name
                 for i in range(1, storage.count_patients(session=session) + 1)]
    engine.dispose()
    return names


def test_the_patients_page_asks_before_creating_a_likely_duplicate(database: str) -> None:
    create_patient()  # Zoë Nguyễn, born 1968-03-14
    test = new_patient_form("ZOE\u0308 NGUYEN")
    no_trouble(test)
    assert test.title[0].value == "Patients"
    [warning] = test.warning
    assert "A patient with this name and date of birth exists already" in warning.value
    assert "Zoë Nguyễn" in warning.value
    assert stored_patients(database) == ["Zoë Nguyễn"]
    assert test.text_input(key="new-name").value == "ZOE\u0308 NGUYEN"  # the form is kept
    test.button(key="create-anyway").click().run()
    no_trouble(test)
    assert test.title[0].value == "Intake"
    assert stored_patients(database) == ["Zoë Nguyễn", "ZOË NGUYEN"]


def test_the_form_submitted_again_is_asked_about_as_it_is_now(database: str) -> None:
    create_patient()
    test = new_patient_form("Zoe Nguyen")
    assert test.button(key="create-anyway").label == "Create anyway: Zoe Nguyen, born 1968-03-14"
    test.text_input(key="new-name").input("Zoe Nguyen-Smith")
    test.button(key=CREATE).click().run()
    no_trouble(test)
    assert test.title[0].value == "Intake"  # no longer a likely duplicate: created at once
    assert stored_patients(database) == ["Zoë Nguyễn", "Zoe Nguyen-Smith"]


def test_the_patients_page_refuses_an_mrn_in_use_naming_the_field_and_the_patient(
    database: str,
) -> None:
    first = new_patient_form("Zoë Nguyễn", mrn="A-100234")
    assert first.title[0].value == "Intake"
    test = new_patient_form("Ann Other", mrn="a-100234")
    no_trouble(test)
    [error] = test.error
    assert error.value.startswith("MRN a\\-100234 is already the MRN of patient record \\#1 "
                                  "\\(Zoë Nguyễn, born 1968\\-03\\-14, MRN A\\-100234\\)")
    assert stored_patients(database) == ["Zoë Nguyễn"]


@pytest.mark.parametrize("query", ["Zo\x00", "Zo\u202e", "Zo\u200b"])
def test_a_search_with_a_hidden_character_says_so_instead_of_failing(
    database: str, query: str,
) -> None:
    """NUL in a search crashed the page on PostgreSQL; now every backend says the same."""
    create_patient()
    test = app("patients")
    test.text_input(key="patient-search").input(query).run()
    no_trouble(test)
    assert [e.value for e in test.error] == [
        f"The search contains an invisible or control character (U+{ord(query[-1]):04X}); "
        "remove it."]
    assert test.header[-1].value == "New patient"  # the page ran to the end


def test_a_likely_duplicate_offers_to_open_the_patient_it_may_be_in_one_click(
    database: str,
) -> None:
    """Issue 13 point 6: besides 'Create anyway', the warning opens the existing patient; one
    the clinician has not seen opens through the access rule (the refusal, and the record
    with a reason), and nothing is created either way."""
    create_patient()  # Zoë Nguyễn, born 1968-03-14, Rivera's
    engine = storage.make_engine(database)
    with storage.transaction(engine) as session:  # the same again, made elsewhere
        other = storage.create_patient(session=session, name="Zoe Nguyen", date_of_birth=BORN,
                                       mrn="Z-9", by="elsewhere")
    engine.dispose()
    test = new_patient_form("Zoë  NGUYỄN")
    no_trouble(test)
    mine = test.button(key="open-existing-1")
    assert mine.label == "Open Zoë Nguyễn, born 1968-03-14"
    assert test.button(key=f"open-existing-{other}").label == (
        f"Open patient record #{other} (with a reason)")
    mine.click().run()
    no_trouble(test)
    assert test.session_state["patient"] == 1
    assert not test.warning  # the question is answered
    assert test.button(key="continue-visit").label.startswith("Continue the visit of")
    assert stored_patients(database) == ["Zoë Nguyễn", "Zoe Nguyen"]
    again = new_patient_form("Zoë Nguyễn")
    again.button(key=f"open-existing-{other}").click().run()
    no_trouble(again)
    assert again.title[0].value == "No access to this patient"
    assert again.session_state["patient"] == other
    assert stored_patients(database) == ["Zoë Nguyễn", "Zoe Nguyen"]


def test_the_preferred_language_is_asked_beside_the_name_and_kept_for_each_visit(
    database: str,
) -> None:
    """Issue 14 point 1: asked on the Patients page when the patient is created, with the
    intake form's own label and options; the first visit and a returning patient's next one
    start with it."""
    test = app("patients")
    language = test.selectbox(key="new-language")
    assert language.label == form.entry("patient.preferred_language").label
    assert language.options == ["English", "Spanish (español)"]
    assert language.value == "en"
    test.text_input(key="new-name").input("Lucía Pérez")
    test.date_input(key="new-born").set_value(BORN)
    language.set_value("es")
    test.button(key=CREATE).click().run()
    no_trouble(test)
    assert test.title[0].value == "Intake"
    returning = app("patients", patient=1)
    returning.button(key="start-visit").click().run()
    no_trouble(returning)
    engine = storage.make_engine(database)
    with storage.transaction(engine, readonly=True) as session:
        assert storage.get_patient(session=session, patient_id=1).preferred_language == "es"
        assert [storage.get_draft(session=session, visit_id=v).data["patient"][
            "preferred_language"] for v in (1, 2)] == ["es", "es"]
    engine.dispose()


def test_a_language_the_handout_lacks_is_refused_naming_the_field(desk: Desk) -> None:
    with pytest.raises(InputError, match=r"Preferred language must be one of English \(en\), "
                                         r"Spanish \(español\) \(es\); 'fr' is not\."):
        patients.create_with_visit(desk.db, desk.rivera, name="Ann Fr", date_of_birth=BORN,
                                   mrn=None, visit_date=TODAY, request_id=None, now=desk.now,
                                   preferred_language="fr")
    assert Patient.model_fields["preferred_language"].default == patients.DEFAULT_LANGUAGE


def test_the_patients_page_finds_a_surname_in_the_middle_a_birth_date_and_counts_the_rest(
    database: str,
) -> None:
    create_patient("María José García López")  # born 1968-03-14
    engine = storage.make_engine(database)
    with storage.transaction(engine) as session:
        for n in range(3):  # three namesakes nobody here has seen
            storage.create_patient(session=session, name=f"Luis García {n}",
                                   date_of_birth=date(1990, 1, 1), by="elsewhere")
    engine.dispose()
    test = app("patients")
    for query in ("garcia", "lopez maria", "1968-03-14"):
        test.text_input(key="patient-search").input(query).run()
        no_trouble(test)
        assert test.button(key="open-1"), query
    test.text_input(key="patient-search").input("garcia").run()
    assert any(i.value.startswith("3 more patients match") for i in test.info)
    test.text_input(key="patient-search").input("1990-01-01").run()
    assert not [b for b in test.button if b.key == "open-1"]


def test_the_earliest_birth_date_is_the_intake_models() -> None:
    """Defined twice only so the sign-in page loads no pydantic model; kept equal here."""
    from careplan.intake.form import FIRST_DATE
    from careplan.intake.model import EARLIEST_DATE
    from careplan.patients import EARLIEST_BIRTH

    assert EARLIEST_BIRTH == EARLIEST_DATE == FIRST_DATE
