"""Patients: create, find by name or MRN, show, change demographics.

Names are searched by a normalised key (NFC, case-folded, single spaces) over an index,
so 'Zoe\u0301' finds 'ZOË' and '%' or '_' are ordinary characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from careplan.errors import StorageError
from careplan.storage.models import Patient, Visit, utcnow
from careplan.storage.records import _check_version, _claim, _fetch, _lock, _remember, _text


def name_key(name: str) -> str:
    """Sort key: NFC, case-folded, single spaces ('Zoe\\u0308' and 'ZOË' match)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def search_key(name: str) -> str:
    """Search key: accents folded, case-folded, words split at anything not a letter or
    digit, with a leading space so every word start reads ' word' ("Zoë Nguyễn" ->
    " zoe nguyen"). Why: a clinician types "Nguyen" for Nguyễn, or a surname first."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " " + " ".join(re.sub(r"[\W_]+", " ", bare).split())


@dataclass(frozen=True, slots=True)
class PatientRow:
    id: int
    name: str
    date_of_birth: date
    mrn: str | None
    version: int
    last_visit: date | None


def create_patient(
    *, session: Session, name: str, date_of_birth: date, mrn: str | None = None, by: str,
    request_id: str | None = None,
) -> int:
    """A new patient; the same ``request_id`` twice creates one patient."""
    earlier = _claim(session, request_id=request_id, kind="create_patient")
    if earlier is not None:
        return earlier
    clean = _name(name)
    now = utcnow()
    mrn = _text(mrn, field="MRN").strip() or None if mrn else None
    patient = Patient(name=clean, name_key=name_key(clean), search_key=search_key(clean),
                      date_of_birth=date_of_birth,
                      mrn=mrn, created_at=now, updated_at=now, updated_by=by)
    session.add(patient)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise StorageError(f"The MRN {mrn} is already the MRN of another patient, so this "
                           "patient was not created. Check the number.") from None
    _remember(session, request_id=request_id, kind="create_patient", result_id=patient.id)
    return patient.id


_NAME_MAX: Final = 200  # characters once composed (NFC), as the intake model counts them


def _name(name: str) -> str:
    """The name as stored: composed (NFC), trimmed, checked, at most ``_NAME_MAX`` long."""
    clean = unicodedata.normalize("NFC", _text(name, field="name")).strip()
    if not clean:
        raise StorageError("name is required")
    if len(clean) > _NAME_MAX:
        raise StorageError(f"name has {len(clean)} characters; at most {_NAME_MAX} fit")
    return clean


def same_person(*, session: Session, name: str, date_of_birth: date) -> list[PatientRow]:
    """Patients who may be the same person: the same date of birth and the same name once
    composed, case- and accent-folded ('Zoe\\u0301 NGUYEN' is taken for 'Zoë Nguyễn')."""
    key = search_key(name)
    if not key.strip():
        return []
    last = select(func.max(Visit.visit_date)).where(Visit.patient_id == Patient.id)
    statement = (select(Patient, last.scalar_subquery())
                 .where(Patient.search_key == key, Patient.date_of_birth == date_of_birth)
                 .order_by(Patient.id))
    return [_patient_row(p, v) for p, v in session.execute(statement)]


def patient_with_mrn(*, session: Session, mrn: str) -> PatientRow | None:
    """The patient whose MRN is ``mrn`` in any case (MRNs differing only in case would be
    mistaken for each other)."""
    found = session.execute(select(Patient).where(func.upper(Patient.mrn) == mrn.strip().upper())
                            .order_by(Patient.id)).scalars().first()
    return None if found is None else get_patient(session=session, patient_id=found.id)


def find_patients(*, session: Session, query: str, limit: int = 20) -> list[PatientRow]:
    """Patients with a word of the name starting with ``query`` (accents and case folded:
    "nguyen" finds Zoë Nguyễn, "zoe ng" too), or whose MRN is ``query`` in any case.

    The folded query holds only letters, digits and spaces, so LIKE's '%', '_' and '\\'
    can never reach the pattern: what is typed is matched literally.
    """
    key = search_key(query)
    if not key.strip() or "\x00" in query:  # no name holds NUL (PostgreSQL refuses it)
        return []
    last = select(func.max(Visit.visit_date)).where(Visit.patient_id == Patient.id)
    statement = (
        select(Patient, last.scalar_subquery())
        .where(Patient.search_key.like(f"%{key}%"))
        .order_by(Patient.name_key, Patient.id)
        .limit(limit)
    )
    rows = [_patient_row(p, v) for p, v in session.execute(statement)]
    if len(rows) < limit and query.strip():
        by_mrn = session.execute(
            select(Patient, last.scalar_subquery())
            .where(func.upper(Patient.mrn) == query.strip().upper())
        ).first()
        if by_mrn and all(r.id != by_mrn[0].id for r in rows):
            rows.insert(0, _patient_row(by_mrn[0], by_mrn[1]))
    return rows


def _patient_row(patient: Patient, last: date | None) -> PatientRow:
    return PatientRow(patient.id, patient.name, patient.date_of_birth, patient.mrn,
                      patient.version, last)


def get_patient(*, session: Session, patient_id: int) -> PatientRow:
    patient: Patient = _fetch(session, Patient, patient_id)
    last = max((v.visit_date for v in patient.visits), default=None)
    return _patient_row(patient, last)


def update_patient(
    *, session: Session, patient_id: int, expected_version: int, by: str,
    name: str | None = None, date_of_birth: date | None = None, mrn: str | None = None,
) -> int:
    """Change demographics; a stale ``expected_version`` raises ConflictError."""
    patient: Patient = _lock(session, Patient, patient_id)
    current = {"name": patient.name, "date_of_birth": patient.date_of_birth.isoformat(),
               "mrn": patient.mrn}
    _check_version(patient, expected_version, f"Patient {patient.name}", current)
    if name is not None:
        patient.name = _name(name)
        patient.name_key = name_key(patient.name)
        patient.search_key = search_key(patient.name)
    if date_of_birth is not None:
        patient.date_of_birth = date_of_birth
    if mrn is not None:
        patient.mrn = _text(mrn, field="MRN").strip() or None
    patient.updated_at, patient.updated_by = utcnow(), by
    session.flush()
    return patient.version


def count_patients(*, session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Patient)).scalar_one())
