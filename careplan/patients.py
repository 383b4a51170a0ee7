"""Patients' use cases: find, open (audited as viewed), the banner every page of a patient
shows, create with a first visit, history.

Why here and not in the pages: creating a patient and its first visit is one transaction
with its audit record, refused for a session that has ended (``actions.write``); and every
read of a patient is refused (audited ``access_denied``) to an actor who may not open the
record (``careplan.access``). A search shows only the patients the actor may open and
counts the others, so an unknown patient can still be opened with a reason.

What is typed is checked here, whatever the page let through: names and searches are
composed (NFC) and refused with a hidden or control character (``careplan.text``); the
date of birth lies between 1900 and the visit; an MRN in use is refused naming the patient
who has it. A new patient with the name (composed, case- and accent-folded) and date of
birth of an existing one is a likely duplicate: refused with ``DuplicatePatientError``
until the clinician confirms it is someone else (``create_anyway``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

from careplan import access, storage
from careplan.actions import Record, write
from careplan.errors import DuplicatePatientError, InputError
from careplan.text import hidden_character, nfc, refusal

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.database import Database


SHOWN: Final = 20  # patients a search lists
SCANNED: Final = 200  # other matches a search counts (by record number only)
SEARCH_MAX: Final = 200  # characters of a search
NAME_MAX: Final = 200  # characters of a name, composed (as the intake model counts them)
MRN_MAX: Final = 64
# The intake model's EARLIEST_DATE, not imported (sign-in loads no model): tested equal.
EARLIEST_BIRTH: Final = date(1900, 1, 1)
DEFAULT_LANGUAGE: Final = "en"  # the intake model's default (tests/test_patients.py checks)
_MRN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./_-]*")  # as the intake model has it


@dataclass(frozen=True, slots=True)
class Found:
    """A search: the matches the actor may open (``SHOWN`` at most, in name order), and the
    ids of other matches (``SCANNED`` at most; no names); ``more``: there may be more
    others than listed."""

    shown: list[storage.PatientRow]
    others: list[int]
    more: bool = False


def find(db: Database, actor: SignedIn, *, query: str) -> Found:
    """Patients matching ``query``, that ``actor`` may open; the other matches by id only, to
    open with a reason.

    Each word of the query is the start of any word of the name, in any order, accents and
    case ignored ("nguyen", "zoe ng", "Nguyễn Zoë"), or a date of birth typed 1968-03-14;
    the whole query may be an MRN in any case ("a-100234"). Indexed: a few milliseconds at
    a million patients (README, "Search").
    """
    query = nfc(query)
    if not query.strip():
        return Found([], [])
    _checked("The search", query)
    if len(query) > SEARCH_MAX:
        raise InputError(f"The search may have at most {SEARCH_MAX} characters.")
    with db.transaction(readonly=True) as session:
        found = storage.search_patients(session=session, query=query, username=actor.username,
                                        shown=SHOWN, others=SCANNED)
    return Found(found.mine, found.others, found.more)


def count(db: Database) -> int:
    with db.transaction(readonly=True) as session:
        return storage.count_patients(session=session)


def get(db: Database, actor: SignedIn, *, patient_id: int) -> storage.PatientRow:
    """One patient (``NotFoundError`` if there is none, ``AccessDeniedError``)."""
    return access.checked_read(
        db, actor, patient=lambda session: storage.existing_patient(session=session,
                                                                    patient_id=patient_id),
        read=lambda session, _: storage.get_patient(session=session, patient_id=patient_id),
        detail="patient record")


@dataclass(frozen=True, slots=True)
class Banner:
    """Who the patient in hand is, for the banner on every page of theirs: name, age, date
    of birth, MRN and allergies (as the visit in hand records them, or the latest visit)."""

    patient_id: int
    name: str
    date_of_birth: date
    age: int
    mrn: str | None
    allergies: tuple[str, ...] | None  # None: not asked; (): asked, none known
    preferred_language: str

    @property
    def allergy_text(self) -> str:
        if self.allergies is None:
            return "Allergies not asked"
        if not self.allergies:
            return "No known allergies"
        return "Allergies: " + ", ".join(self.allergies)


def banner(
    db: Database, actor: SignedIn, *, patient_id: int, visit_id: int | None, today: date,
) -> Banner:
    """The banner of the patient in hand (``NotFoundError``, ``AccessDeniedError``)."""
    def read(session: Session, _: int) -> tuple[storage.PatientRow, list[str] | None]:
        row = storage.get_patient(session=session, patient_id=patient_id)
        allergies, _visit = storage.allergies_of(session=session, patient_id=patient_id,
                                                 visit_id=visit_id)
        return row, allergies

    row, allergies = access.checked_read(
        db, actor, patient=lambda session: storage.existing_patient(session=session,
                                                                    patient_id=patient_id),
        read=read, detail="patient banner")
    return Banner(row.id, row.name, row.date_of_birth, age_on(row.date_of_birth, today),
                  row.mrn, None if allergies is None else tuple(allergies),
                  row.preferred_language)


def age_on(born: date, today: date) -> int:
    """Whole years from ``born`` to ``today`` (a birthday on 29 February counts on 1 March
    in other years)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def history(db: Database, actor: SignedIn, *, patient_id: int) -> pd.DataFrame:
    """One row per visit, oldest first: scores to chart and plan status."""
    return access.checked_read(
        db, actor, patient=lambda _session: patient_id,
        read=lambda session, _: storage.patient_history(session=session, patient_id=patient_id),
        detail="history")


def viewed(db: Database, actor: SignedIn, *, patient_id: int, now: datetime) -> None:
    """Audit that ``actor`` opened the patient's record."""

    def work(session: Session) -> tuple[None, Record]:
        storage.get_patient(session=session, patient_id=patient_id)  # NotFoundError if gone
        return None, Record("view_patient", patient_id)

    write(db, actor, "view_patient", work, now=now, patient=lambda _session: patient_id)


def create_with_visit(
    db: Database, actor: SignedIn, *, name: str, date_of_birth: date, mrn: str | None,
    visit_date: date, request_id: str | None, now: datetime, create_anyway: bool = False,
    preferred_language: str = DEFAULT_LANGUAGE,
) -> tuple[int, int]:
    """A new patient and its first visit, in one transaction: (patient id, visit id).

    Raises ``InputError`` for a name, date of birth, MRN or preferred language that cannot
    be used (the message names the field by its label), and ``DuplicatePatientError`` when a
    patient with this name and date of birth exists, unless ``create_anyway``; nothing is
    written then. The preferred language is kept with the patient: each visit's draft
    starts with it (the handout's language).
    """
    clean, number = _new_name(name), _new_mrn(mrn)
    language = _new_language(preferred_language)
    if not EARLIEST_BIRTH <= date_of_birth <= visit_date:
        raise InputError(f"Date of birth must be between {EARLIEST_BIRTH.isoformat()} and the "
                         f"visit date ({visit_date.isoformat()}); {date_of_birth.isoformat()} "
                         "is not.")

    def work(session: Session) -> tuple[tuple[int, int], Record]:
        if number is not None:
            holder = storage.patient_with_mrn(session=session, mrn=number)
            if holder is not None:
                raise InputError(f"MRN {number} is already the MRN of "
                                 f"{_described(session, actor, holder)}, so the patient was "
                                 "not created. Check the MRN, or find that patient by it.")
        if not create_anyway:
            same = storage.same_person(session=session, name=clean, date_of_birth=date_of_birth)
            if same:
                raise DuplicatePatientError(
                    "A patient with this name and date of birth exists already: "
                    + "; ".join(_described(session, actor, row) for row in same)
                    + ". Open that record, or, if this is someone else, create the new "
                    "patient anyway.", matches=tuple(row.id for row in same))
        patient = storage.create_patient(session=session, name=clean, date_of_birth=date_of_birth,
                                         mrn=number, by=actor.display_name,
                                         request_id=None if request_id is None
                                         else f"{request_id}:patient",
                                         preferred_language=language)
        visit = storage.start_visit(session=session, patient_id=patient, visit_date=visit_date,
                                    clinician=actor.display_name, by=actor.display_name,
                                    request_id=None if request_id is None
                                    else f"{request_id}:visit")
        storage.grant_access(session=session, patient_id=patient, username=actor.username,
                             how="created", now=now)
        return (patient, visit), Record("create_patient", patient, f"visit {visit}")

    return write(db, actor, "create_patient", work, now=now)


def _checked(label: str, text: str) -> None:
    hidden = hidden_character(text)
    if hidden is not None:
        raise InputError(f"{label} {refusal(hidden)}.")


def _new_name(name: str) -> str:
    clean = nfc(name).strip()
    _checked("Full name", clean)
    if not clean:
        raise InputError("Full name is required.")
    if len(clean) > NAME_MAX:
        raise InputError(f"Full name has {len(clean)} characters; at most {NAME_MAX} fit.")
    return clean


def _new_language(tag: str) -> str:
    """One of the handout's languages (the intake model's ``LANGUAGES``)."""
    from careplan.intake import form

    question = form.entry("patient.preferred_language")
    if tag not in question.options:
        choices = ", ".join(f"{question.option_label(o)} ({o})" for o in question.options)
        raise InputError(f"{question.label} must be one of {choices}; {tag!r} is not.")
    return tag


def _new_mrn(mrn: str | None) -> str | None:
    number = nfc(mrn or "").strip()
    if not number:
        return None
    _checked("MRN", number)
    if len(number) > MRN_MAX or not _MRN.fullmatch(number):
        raise InputError(f"MRN may have letters, digits, spaces and . / _ - ({MRN_MAX} at "
                         "most), starting with a letter or digit.")
    return number


def _described(session: Session, actor: SignedIn, row: storage.PatientRow) -> str:
    """A patient named for ``actor``: by name only if they may open the record."""
    if storage.has_access(session=session, username=actor.username, patient_id=row.id):
        mrn = f", MRN {row.mrn}" if row.mrn else ""
        return f"patient record #{row.id} ({row.name}, born {row.date_of_birth.isoformat()}{mrn})"
    return (f"patient record #{row.id}, whom neither you nor your care team has seen "
            "(open it with a reason to see who it is)")
