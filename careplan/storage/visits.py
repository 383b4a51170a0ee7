"""Visits and their intake drafts, stored whole as typed.

Why:
- Nothing typed may be lost: a draft is stored whole as JSON, valid or not, and can be
  saved field by field on every change.
- A new visit starts from the last one: the carried-over answers say where they came from.
- Scores are stored beside the draft only when the caller derives them from a valid
  intake, so storage stays free of the clinical engine and a trend never shows stale figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from careplan.storage.access import opened_by
from careplan.storage.models import SCORE_COLUMNS, Patient, PlanVersion, Visit, utcnow
from careplan.storage.records import (
    _check_version,
    _claim,
    _fetch,
    _json,
    _lock,
    _possible,
    _remember,
)

_LANGUAGE: Final = "patient.preferred_language"
_LANGUAGE_TAG: Final = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")


@dataclass(frozen=True, slots=True)
class Draft:
    """The intake as typed, with where carried-over answers came from."""

    visit_id: int
    patient_id: int
    data: dict[str, Any]
    version: int
    updated_by: str
    updated_at: datetime
    carried_over: dict[str, str]


def start_visit(
    *, session: Session, patient_id: int, visit_date: date, clinician: str | None, by: str,
    request_id: str | None = None, carry: Sequence[str] = (),
) -> int:
    """A new visit whose draft is pre-filled from the patient's last visit.

    ``carry``: the paths taken from the last visit (the form registry says which are
    stable); ``carried_over`` records each path and the visit it came from, until the
    answer is changed or confirmed. The language is the patient's own
    (``Patient.preferred_language``, which a draft's answer changes), marked carried over
    only where the last visit said the same.
    """
    earlier = _claim(session, request_id=request_id, kind="start_visit")
    if earlier is not None:
        return earlier
    patient: Patient = _fetch(session, Patient, patient_id)
    data: dict[str, Any] = {
        "patient": {"name": patient.name, "date_of_birth": patient.date_of_birth.isoformat()},
        "visit": {"date": visit_date.isoformat()},
    }
    if patient.mrn:
        data["patient"]["mrn"] = patient.mrn
    if clinician:
        data["visit"]["clinician"] = clinician
    carried: dict[str, str] = {}
    previous = session.execute(
        select(Visit).where(Visit.patient_id == patient_id)
        .order_by(Visit.visit_date.desc(), Visit.id.desc()).limit(1)
    ).scalar_one_or_none()
    if previous is not None:
        old = json.loads(previous.draft)
        for path in carry:
            value = _get_path(old, path)
            if value is not None:
                _set_path(data, path, value)
                carried[path] = f"visit of {previous.visit_date.isoformat()} (#{previous.id})"
    if _get_path(data, _LANGUAGE) != patient.preferred_language:
        carried.pop(_LANGUAGE, None)
    _set_path(data, _LANGUAGE, patient.preferred_language)
    now = utcnow()
    visit = Visit(patient_id=patient_id, visit_date=visit_date, clinician=clinician,
                  draft=_json(data), carried_over=_json(carried), created_at=now,
                  updated_at=now, updated_by=by)
    session.add(visit)
    session.flush()
    _remember(session, request_id=request_id, kind="start_visit", result_id=visit.id)
    return visit.id


def get_draft(*, session: Session, visit_id: int, lock: bool = False) -> Draft:
    """The visit's draft; ``lock`` holds the row until the transaction ends (to build on it)."""
    return _draft(_lock(session, Visit, visit_id) if lock else _fetch(session, Visit, visit_id))


def _draft(visit: Visit) -> Draft:
    # A draft saved before a field was renamed is shown in the current form (migration 0003
    # rewrites stored drafts; this covers a database not yet migrated).
    data = _upgraded(json.loads(visit.draft))
    return Draft(visit.id, visit.patient_id, data, visit.version,
                 visit.updated_by, visit.updated_at, json.loads(visit.carried_over))


Scores = Mapping[str, float | None]
ScoresOf = Callable[[dict[str, Any]], "Scores | None"]


def save_draft(
    *, session: Session, visit_id: int, data: Mapping[str, Any], expected_version: int, by: str,
    scores: Scores | None = None,
) -> int:
    """Store the whole draft as typed (valid or not); returns the new version.

    ``scores`` (from a valid intake) are stored beside it for the trends; without them
    the visit's stored scores are cleared, so a trend never shows stale figures.
    """
    visit: Visit = _lock(session, Visit, visit_id)
    if _already_saved(visit, _json(dict(data)), by):
        return visit.version  # a repeated request (double click, retry): nothing to do
    _check_version(visit, expected_version, f"The intake of visit {visit_id}",
                   json.loads(visit.draft))
    _apply_draft(visit, dict(data), by, scores)
    session.flush()
    return visit.version


NOT_SEEN: Final = object()  # the caller does not say what the answer was when it edited it


def save_draft_field(
    *, session: Session, visit_id: int, path: str, value: Any, expected_version: int, by: str,
    scores_of: ScoresOf | None = None, seen: object = NOT_SEEN,
) -> Draft:
    """Store one answer at a dotted ``path`` (``None`` removes it: 'not asked').

    Returns the draft as stored. ``scores_of`` is given the new draft (under the row lock)
    and returns the scores to store beside it, or ``None`` while it is not a valid intake;
    the caller derives them, so storage stays free of the clinical engine.

    ``seen`` is the answer at ``path`` in the version the caller edited: when the draft
    changed since, but not at ``path`` (another tab answered another question), the answer
    is saved on top of the newer draft instead of raising ``ConflictError``.
    """
    visit: Visit = _lock(session, Visit, visit_id)
    # The answer is edited in the current form (as get_draft shows it), so an old-form
    # field cannot outvote the correction.
    current = _upgraded(json.loads(visit.draft))
    if visit.version != expected_version and _get_path(current, path) == value and (
        visit.updated_by == by
    ):
        return _draft(visit)  # the same answer saved twice by the same person
    untouched = seen is not NOT_SEEN and _get_path(current, path) == seen
    if not untouched:
        _check_version(visit, expected_version, f"The intake of visit {visit_id}", current)
    if value is None:
        _del_path(current, path)
    else:
        _set_path(current, path, value)
    carried = json.loads(visit.carried_over)
    kept = {p: v for p, v in carried.items() if not _overlaps(p, path)}
    if _already_saved(visit, _json(current), by) and kept == carried:
        return _draft(visit)
    visit.carried_over = _json(kept)  # an answer given today is no longer carried over
    _apply_draft(visit, current, by, None if scores_of is None else scores_of(current))
    session.flush()
    return _draft(visit)


def _overlaps(one: str, other: str) -> bool:
    """Two dotted paths name the same answer, or one holds the other."""
    return one == other or one.startswith(f"{other}.") or other.startswith(f"{one}.")


def confirm_carried(
    *, session: Session, visit_id: int, paths: Sequence[str], expected_version: int, by: str,
) -> Draft:
    """The clinician checked these carried-over answers with the patient: they are today's
    now (the answers stay; only their "carried over" marks go). A new draft version."""
    visit: Visit = _lock(session, Visit, visit_id)
    carried = json.loads(visit.carried_over)
    kept = {p: v for p, v in carried.items() if p not in paths}
    if kept == carried:
        return _draft(visit)
    _check_version(visit, expected_version, f"The intake of visit {visit_id}",
                   _upgraded(json.loads(visit.draft)))
    visit.carried_over = _json(kept)  # the version moves on with the update (version_id_col)
    visit.updated_by = by
    visit.updated_at = utcnow()
    session.flush()
    return _draft(visit)


def _already_saved(visit: Visit, encoded: str, by: str) -> bool:
    """The stored draft is already exactly this, saved by the same person."""
    return visit.draft == encoded and visit.updated_by == by


def _upgraded(data: Any) -> Any:
    from careplan.intake.model import upgrade_legacy_fields

    return upgrade_legacy_fields(data) if isinstance(data, dict) else data


def _apply_draft(visit: Visit, data: dict[str, Any], by: str, scores: Scores | None) -> None:
    language = _get_path(data, _LANGUAGE)
    if language != _get_path(json.loads(visit.draft), _LANGUAGE) and isinstance(
            language, str) and _LANGUAGE_TAG.fullmatch(language):
        # The language is kept with the patient: the next visit starts with this answer.
        patient = visit.patient
        patient.preferred_language = language
        patient.updated_at, patient.updated_by = utcnow(), by
    visit.draft = _json(data)
    visit_info = data.get("visit")
    if isinstance(visit_info, dict):
        when = visit_info.get("date")
        if isinstance(when, str):
            with suppress(ValueError):  # a bad date stays in the draft; validation reports it
                visit.visit_date = date.fromisoformat(when)
        clinician = visit_info.get("clinician")
        if isinstance(clinician, str):
            visit.clinician = clinician[:200]
    for name in SCORE_COLUMNS:
        score = None if scores is None else scores.get(name)
        setattr(visit, name, None if score is None else float(score))
    visit.updated_at, visit.updated_by = utcnow(), by


def _get_path(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def _del_path(data: dict[str, Any], path: str) -> None:
    *parents, leaf = path.split(".")
    node: Any = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


def patient_of_visit(*, session: Session, visit_id: int) -> int:
    """The patient a visit belongs to: the visit decides, never the URL."""
    visit: Visit = _fetch(session, Visit, visit_id)
    return visit.patient_id


def allergies_of(
    *, session: Session, patient_id: int, visit_id: int | None = None,
) -> tuple[list[str] | None, int | None]:
    """The patient's allergies as the visit in hand records them (or, without one, their
    latest visit), and that visit's id: ``None`` where no visit asked (not asked), ``[]``
    for no known allergies. A visit of another patient is not read."""
    statement = select(Visit.id, Visit.draft).where(Visit.patient_id == patient_id)
    if visit_id is not None and _possible(visit_id):
        statement = statement.where(Visit.id == visit_id)
    found = session.execute(statement.order_by(Visit.visit_date.desc(), Visit.id.desc())
                            .limit(1)).first()
    if found is None:
        return None, None
    try:
        value = _get_path(_upgraded(json.loads(found.draft)), "history.allergies")
    except ValueError:  # a draft is stored as typed; one that is not JSON says nothing
        value = None
    if not isinstance(value, list):
        return None, found.id
    return [str(v) for v in value if isinstance(v, str) and v.strip()], found.id


WorkStatus = Literal["intake", "to_sign", "signed"]


@dataclass(frozen=True, slots=True)
class WorkRow:
    """A visit on a clinician's worklist: whose, when, and how far it has got."""

    patient_id: int
    visit_id: int
    name: str
    date_of_birth: date
    mrn: str | None
    visit_date: date
    status: WorkStatus  # no plan yet, the latest plan unsigned, signed
    updated_at: datetime
    updated_by: str


def worklist_visits(
    *, session: Session, username: str, people: Sequence[str], status: WorkStatus | None = None,
    since: date | None = None, until: date | None = None, limit: int = 10,
) -> list[WorkRow]:
    """Visits of the patients ``username`` may open (``people``: the user and their care
    team, ``access.people_of``), most recently changed first: with ``status`` only those at
    that stage, with ``since``/``until`` only those dated in that range (inclusive)."""
    latest = (select(PlanVersion.status).where(PlanVersion.visit_id == Visit.id)
              .order_by(PlanVersion.number.desc()).limit(1).scalar_subquery())
    stage = case((latest.is_(None), "intake"), (latest == "draft", "to_sign"), else_="signed")
    statement = (select(Visit.patient_id, Visit.id, Patient.name, Patient.date_of_birth,
                        Patient.mrn, Visit.visit_date, stage, Visit.updated_at, Visit.updated_by)
                 .join(Patient, Patient.id == Visit.patient_id)
                 .where(Visit.patient_id.in_(opened_by(username, people))))
    if status is not None:
        statement = statement.where(stage == status)
    if since is not None:
        statement = statement.where(Visit.visit_date >= since)
    if until is not None:
        statement = statement.where(Visit.visit_date <= until)
    rows = session.execute(statement.order_by(Visit.updated_at.desc(), Visit.id.desc())
                           .limit(limit))
    return [WorkRow(*row) for row in rows]
