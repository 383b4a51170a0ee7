"""Patients' use cases: find, open (audited as viewed), create with a first visit, history.

Why here and not in the pages: creating a patient and its first visit is one transaction
with its audit record, refused for a session that has ended (``actions.write``); and every
read of a patient is refused (audited ``access_denied``) to an actor who may not open the
record (``careplan.access``). A search shows only the patients the actor may open and
counts the others, so an unknown patient can still be opened with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

from careplan import access, storage
from careplan.actions import Record, write

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.database import Database


SHOWN: Final = 20  # patients a search lists
SCANNED: Final = 200  # matches a search reads to find them among the others


@dataclass(frozen=True, slots=True)
class Found:
    """A search: the matches the actor may open, and the ids of the others (no names)."""

    shown: list[storage.PatientRow]
    others: list[int]


def find(db: Database, actor: SignedIn, *, query: str) -> Found:
    """Patients whose name starts with ``query`` or whose MRN equals it, that ``actor`` may
    open; the other matches by id only, to open with a reason."""
    if not query.strip():
        return Found([], [])
    with db.transaction(readonly=True) as session:
        rows = storage.find_patients(session=session, query=query, limit=SCANNED)
        mine = storage.accessible(session=session, username=actor.username,
                                  patient_ids=(r.id for r in rows))
    return Found([r for r in rows if r.id in mine][:SHOWN],
                 [r.id for r in rows if r.id not in mine])


def count(db: Database) -> int:
    with db.transaction(readonly=True) as session:
        return storage.count_patients(session=session)


def get(db: Database, actor: SignedIn, *, patient_id: int) -> storage.PatientRow:
    """One patient (``NotFoundError`` if there is none, ``AccessDeniedError``)."""
    with db.transaction(readonly=True) as session:
        row = storage.get_patient(session=session, patient_id=patient_id)
        allowed = storage.has_access(session=session, username=actor.username,
                                     patient_id=patient_id)
    if not allowed:
        access.refuse(db, actor, patient_id=patient_id, detail="patient record")
    return row


def history(db: Database, actor: SignedIn, *, patient_id: int) -> pd.DataFrame:
    """One row per visit, oldest first: scores to chart and plan status."""
    with db.transaction(readonly=True) as session:
        allowed = storage.has_access(session=session, username=actor.username,
                                     patient_id=patient_id)
        frame = storage.patient_history(session=session, patient_id=patient_id) if allowed \
            else None
    if frame is None:
        access.refuse(db, actor, patient_id=patient_id, detail="history")
    return frame


def viewed(db: Database, actor: SignedIn, *, patient_id: int, now: datetime) -> None:
    """Audit that ``actor`` opened the patient's record."""

    def work(session: Session) -> tuple[None, Record]:
        storage.get_patient(session=session, patient_id=patient_id)  # NotFoundError if gone
        return None, Record("view_patient", patient_id)

    write(db, actor, "view_patient", work, now=now, patient=lambda _session: patient_id)


def create_with_visit(
    db: Database, actor: SignedIn, *, name: str, date_of_birth: date, mrn: str | None,
    visit_date: date, request_id: str | None, now: datetime,
) -> tuple[int, int]:
    """A new patient and its first visit, in one transaction: (patient id, visit id)."""

    def work(session: Session) -> tuple[tuple[int, int], Record]:
        patient = storage.create_patient(session=session, name=name, date_of_birth=date_of_birth,
                                         mrn=mrn, by=actor.display_name,
                                         request_id=None if request_id is None
                                         else f"{request_id}:patient")
        visit = storage.start_visit(session=session, patient_id=patient, visit_date=visit_date,
                                    clinician=actor.display_name, by=actor.display_name,
                                    request_id=None if request_id is None
                                    else f"{request_id}:visit")
        storage.grant_access(session=session, patient_id=patient, username=actor.username,
                             how="created", now=now)
        return (patient, visit), Record("create_patient", patient, f"visit {visit}")

    return write(db, actor, "create_patient", work, now=now)
