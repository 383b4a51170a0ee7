"""Patients' use cases: find, open (audited as viewed), create with a first visit, history.

Why here and not in the pages: creating a patient and its first visit is one transaction
with its audit record, refused for a session that has ended (``actions.write``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from careplan import storage
from careplan.actions import Record, write

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.database import Database


def find(db: Database, *, query: str) -> list[storage.PatientRow]:
    """Patients whose name starts with ``query`` or whose MRN equals it."""
    if not query.strip():
        return []
    with db.transaction(readonly=True) as session:
        return storage.find_patients(session=session, query=query)


def count(db: Database) -> int:
    with db.transaction(readonly=True) as session:
        return storage.count_patients(session=session)


def get(db: Database, *, patient_id: int) -> storage.PatientRow:
    """One patient (``NotFoundError`` if there is none)."""
    with db.transaction(readonly=True) as session:
        return storage.get_patient(session=session, patient_id=patient_id)


def history(db: Database, *, patient_id: int) -> pd.DataFrame:
    """One row per visit, oldest first: scores to chart and plan status."""
    with db.transaction(readonly=True) as session:
        return storage.patient_history(session=session, patient_id=patient_id)


def viewed(db: Database, actor: SignedIn, *, patient_id: int, now: datetime) -> None:
    """Audit that ``actor`` opened the patient's record."""

    def work(session: Session) -> tuple[None, Record]:
        storage.get_patient(session=session, patient_id=patient_id)  # NotFoundError if gone
        return None, Record("view_patient", patient_id)

    write(db, actor, "view_patient", work, now=now)


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
        return (patient, visit), Record("create_patient", patient, f"visit {visit}")

    return write(db, actor, "create_patient", work, now=now)
