"""Patients: create, find by any part of the name, date of birth or MRN, show, change
demographics.

Names are searched by a folded key (accents and case folded, words split at anything not a
letter or digit) over a trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL), so 'Zoe\u0301'
finds 'ZOË', 'nguyen' finds Zoë Nguyễn, and '%' or '_' are ordinary characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    column,
    func,
    select,
    table,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from careplan.errors import StorageError
from careplan.storage.access import opened_by, opens, people_of
from careplan.storage.models import Patient, PatientAccess, Visit, utcnow
from careplan.storage.records import _check_version, _claim, _fetch, _lock, _remember, _text

_Ts = TypeVarTuple("_Ts")


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
    preferred_language: str = "en"


def create_patient(
    *, session: Session, name: str, date_of_birth: date, mrn: str | None = None, by: str,
    request_id: str | None = None, preferred_language: str = "en",
) -> int:
    """A new patient; the same ``request_id`` twice creates one patient."""
    earlier = _claim(session, request_id=request_id, kind="create_patient")
    if earlier is not None:
        return earlier
    clean = _name(name)
    now = utcnow()
    mrn = _text(mrn, field="MRN").strip() or None if mrn else None
    patient = Patient(name=clean, name_key=name_key(clean), search_key=search_key(clean),
                      date_of_birth=date_of_birth, mrn=mrn,
                      mrn_key=None if mrn is None else mrn_key(mrn),
                      preferred_language=_language(preferred_language),
                      created_at=now, updated_at=now, updated_by=by)
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
_LANGUAGE: Final = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")  # BCP 47, as stored


def _language(tag: str) -> str:
    """A language tag as stored (the use case checks it against the intake model)."""
    if not _LANGUAGE.fullmatch(tag):
        raise StorageError(f"preferred language {tag!r} is not a BCP 47 tag")
    return tag


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
    statement = (select(Patient, _last_visit())
                 .where(Patient.search_key == key, Patient.date_of_birth == date_of_birth)
                 .order_by(Patient.id))
    return [_patient_row(p, v) for p, v in session.execute(statement)]


def mrn_key(mrn: str) -> str:
    """An MRN as compared: ASCII letters in upper case (as SQL's upper() on both backends;
    an MRN holds ASCII letters, digits and . / _ - only)."""
    return "".join(c.upper() if c.isascii() else c for c in mrn.strip())


def patient_with_mrn(*, session: Session, mrn: str) -> PatientRow | None:
    """The patient whose MRN is ``mrn`` in any case (MRNs differing only in case would be
    mistaken for each other)."""
    found = session.execute(select(Patient, _last_visit())
                            .where(Patient.mrn_key == mrn_key(mrn))
                            .order_by(Patient.id)).first()
    return None if found is None else _patient_row(found[0], found[1])


_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_FTS_MIN: Final = 3  # characters of a trigram: ' zo' (a word's first two letters) and longer


@dataclass(frozen=True, slots=True)
class Search:
    """A search as typed, read: the words of a name (each folded as ``search_key`` folds, so
    ' nguyen', or ' o b' for "O'B"), a date of birth typed as 1968-03-14, and the whole
    query as an MRN."""

    words: tuple[str, ...]
    born: date | None
    mrn: str

    @property
    def empty(self) -> bool:
        return not self.words and self.born is None and not self.mrn


def read_search(query: str) -> Search:
    """Each word a clinician types is a date of birth (1968-03-14) or the start of a word of
    the name, in any order ("nguyen zoe" and "zoe ng" find Zoë Nguyễn); the whole of it may
    be an MRN. A second, different date is read as a word, which no name has."""
    if "\x00" in query:  # no name holds NUL (PostgreSQL refuses it): nothing matches
        return Search((), None, "")
    words: list[str] = []
    born: date | None = None
    for term in query.split():
        if _DATE.fullmatch(term):
            try:
                when = date.fromisoformat(term)
            except ValueError:
                pass
            else:
                if born in (None, when):
                    born = when
                    continue
        key = search_key(term)
        if key.strip() and key not in words:
            words.append(key)
    return Search(tuple(words), born, mrn_key(query))


def _matching(search: Search) -> list[ColumnElement[bool]]:
    """The conditions of a search on ``patients``. Each word is ``search_key LIKE '% word%'``
    (the folded word holds letters, digits and spaces only, so LIKE's '%', '_' and '\\'
    never reach the pattern); PostgreSQL's planner serves it from the pg_trgm index."""
    conditions: list[ColumnElement[bool]] = [Patient.search_key.like(f"%{w}%")
                                             for w in search.words]
    if search.born is not None:
        conditions.append(Patient.date_of_birth == search.born)
    return conditions


_FTS: Final = table("patients_search", column("rowid", Integer))


def _fts_phrase(search: Search) -> str | None:
    """On SQLite, the FTS5 query for the words of 3 characters or more (' zo' and longer:
    a trigram needs 3), or ``None`` when no word has one or a date of birth is the better
    index (a few dozen patients a day)."""
    long = [f'"{w}"' for w in search.words if len(w) >= _FTS_MIN]  # no '"' in a folded word
    return " AND ".join(long) if long and search.born is None else None


def _last_visit() -> ScalarSelect[date]:
    return (select(func.max(Visit.visit_date)).where(Visit.patient_id == Patient.id)
            .scalar_subquery())


def find_patients(*, session: Session, query: str, limit: int = 20) -> list[PatientRow]:
    """Patients matching ``query`` (``read_search``), in name order, the one whose MRN is the
    query (in any case) first, whoever may open them (``search_patients`` is the search of
    one clinician)."""
    search = read_search(query)
    if search.empty:
        return []
    _planned_for_the_words(session)
    rows: list[PatientRow] = []
    if search.mrn:
        by_mrn = session.execute(select(Patient, _last_visit())
                                 .where(Patient.mrn_key == search.mrn)).first()
        if by_mrn is not None:
            rows.append(_patient_row(by_mrn[0], by_mrn[1]))
    if search.words or search.born is not None:
        statement = _by_index(session, select(Patient, _last_visit()), search)
        for patient, last in session.execute(
                statement.order_by(None).order_by(Patient.name_key, Patient.id).limit(limit)):
            if all(r.id != patient.id for r in rows):
                rows.append(_patient_row(patient, last))
    return rows[:limit]


@dataclass(frozen=True, slots=True)
class Matches:
    """One clinician's search: the matches they may open (in name order), the ids of the
    others (lowest first while the search is narrow), and whether there may be more others
    than listed (a wide search lists some of them)."""

    mine: list[PatientRow]
    others: list[int]
    more: bool


WIDE: Final = 1000  # matches beyond which a search is wide (see search_patients)


def search_patients(
    *, session: Session, query: str, username: str, shown: int = 20, others: int = 200,
) -> Matches:
    """The patients matching ``query`` (``read_search``) that ``username`` may open, in name
    order (``shown`` at most; the one whose MRN is the query first), and the ids of the other
    matches (``others`` at most), to open with a reason.

    How it stays fast at a million patients: the search index (FTS5 trigram on SQLite,
    pg_trgm on PostgreSQL; a B-tree for a date of birth or an MRN) reads the first
    ``WIDE + 1`` matches, each with whether the user may open it. Up to ``WIDE`` matches,
    that is the whole answer. Beyond ("garcia" at a million), the user's own matches are
    found from the other side, the patients the user and their care team may open (the
    index on ``patient_access``), so the cost follows the team's panel, not the clinic; and
    the others listed are some of those first matches (``more``).
    """
    search = read_search(query)
    if search.empty:
        return Matches([], [], more=False)
    _planned_for_the_words(session)
    people = people_of(session=session, username=username)
    may_open = select(PatientAccess.id).where(
        PatientAccess.patient_id == Patient.id, opens(username, people)).exists().label(
        "may_open")
    lean = select(Patient.id, Patient.name_key, may_open)  # no row is built for the others
    found: dict[int, tuple[str, bool]] = {}  # id -> name key ("" for the MRN's), may open
    if search.mrn:
        for patient_id, _key, ok in session.execute(lean.where(Patient.mrn_key == search.mrn)):
            found[patient_id] = ("", bool(ok))
    wide = False
    if search.words or search.born is not None:
        first = session.execute(_by_index(session, lean, search).limit(WIDE + 1)).all()
        for patient_id, key, ok in first:
            found.setdefault(patient_id, (key, bool(ok)))
        wide = len(first) > WIDE
    mine = sorted((key, i) for i, (key, ok) in found.items() if ok)
    if wide:  # the user's own matches from their panel; the MRN's stays first
        if not _sqlite(session):
            # PostgreSQL guesses a hundred matches for any word (it does not count trigrams),
            # and would read every match through the trigram index again; here more than
            # WIDE are known to match, so the panel's few thousand ids drive instead, looked
            # up in the covering index on patients.id.
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
        panel = (select(Patient.id, Patient.name_key)
                 .where(*_matching(search), Patient.id.in_(opened_by(username, people)))
                 .order_by(Patient.name_key, Patient.id).limit(shown))
        mine = [m for m in mine if m[0] == ""] + [
            (key, i) for i, key in session.execute(panel) if found.get(i, ("-",))[0] != ""]
    shown_ids = [i for _key, i in mine[:shown]]
    rows = {p.id: _patient_row(p, last) for p, last in session.execute(
        select(Patient, _last_visit()).where(Patient.id.in_(shown_ids)))} if shown_ids else {}
    others_ids = [i for i, (_key, ok) in found.items() if not ok]
    return Matches([rows[i] for i in shown_ids], (others_ids if wide else sorted(others_ids))
                   [:others], more=wide)


def _by_index(session: Session, statement: Select[*_Ts], search: Search) -> Select[*_Ts]:
    """``statement`` (from ``patients``) restricted to the matches of ``search``, read through
    the index that serves them: on SQLite the FTS5 table drives, in id order, so a LIMIT
    stops early (the LIKE alone would not use it); PostgreSQL's planner takes the pg_trgm
    index (or the date of birth's) for the conditions themselves."""
    statement = statement.where(*_matching(search))
    if not _sqlite(session):
        return statement
    phrase = _fts_phrase(search)
    if phrase is None:  # a date of birth (its index) or words of one letter (a scan)
        return statement.order_by(Patient.id)
    return (statement.select_from(_FTS).join(Patient, Patient.id == _FTS.c.rowid)
            .where(text("patients_search MATCH :phrase").bindparams(phrase=phrase))
            .order_by(_FTS.c.rowid))


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _planned_for_the_words(session: Session) -> None:
    """On PostgreSQL, plan a search for the words it has, in this transaction. Why: psycopg
    prepares a statement run five times, and the server may then keep one generic plan for
    every pattern; the best plan for 'kagisa' (the trigram index) is not the best for 'q'
    (the ids in order), and a generic plan ran ten times slower at 100,000 patients."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _patient_row(patient: Patient, last: date | None) -> PatientRow:
    return PatientRow(patient.id, patient.name, patient.date_of_birth, patient.mrn,
                      patient.version, last, patient.preferred_language)


def existing_patient(*, session: Session, patient_id: int) -> int:
    """``patient_id`` if there is such a patient (``NotFoundError`` if not), without
    loading their visits: the check before an access check."""
    patient: Patient = _fetch(session, Patient, patient_id)
    return patient.id


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
        patient.mrn_key = None if patient.mrn is None else mrn_key(patient.mrn)
    patient.updated_at, patient.updated_by = utcnow(), by
    session.flush()
    return patient.version


def count_patients(*, session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Patient)).scalar_one())
