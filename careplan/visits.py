"""A visit's use cases: start it, answer a question, preview, build a plan version, review,
sign, revise and export; and the worklist of a clinician's open visits (Home).

Why a layer of its own: each use case is one transaction that includes its audit record
and checks the session first (``actions.write``); the pages call these and nothing below
them; and the clinical work happens once per step: an answer costs one validation and one
plan build, and the preview made while saving is the one the next page run shows
(``open_draft`` reuses it while the draft's version is unchanged). Each one, read or
write, refuses an actor who may not open the visit's patient (``careplan.access``): the
patient is the one the visit or plan belongs to, never one a page names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from careplan import access, storage
from careplan.actions import Record, write
from careplan.errors import IntakeError, Problem
from careplan.text import hidden_character, nfc, refusal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.clinical.drafts import Preview
    from careplan.clinical.review import Review
    from careplan.database import Database


@dataclass(frozen=True, slots=True)
class DraftView:
    """A visit's draft as saved, with its preview made on ``today``."""

    draft: storage.Draft
    preview: Preview
    today: date

    def shows(self, draft: storage.Draft, today: date) -> bool:
        """This view still describes ``draft`` (same visit, version and day)."""
        return (self.draft.visit_id, self.draft.version, self.today) == (
            draft.visit_id, draft.version, today) and self.draft.data == draft.data


def open_draft(
    db: Database, actor: SignedIn, *, visit_id: int, today: date,
    cached: DraftView | None = None,
) -> DraftView:
    """The saved draft, always read from the database; its preview reused from ``cached``
    when that was made from the same saved version."""
    from careplan.clinical.drafts import (
        preview,  # the engine loads with the first intake, not sign-in
    )

    with db.transaction(readonly=True) as session:
        draft = storage.get_draft(session=session, visit_id=visit_id)
        allowed = storage.has_access(session=session, username=actor.username,
                                     patient_id=draft.patient_id)
    if not allowed:
        access.refuse(db, actor, patient_id=draft.patient_id, detail=f"visit {visit_id}")
    if cached is not None and cached.shows(draft, today):
        return cached
    return DraftView(draft, preview(draft.data, today=today), today)


def start(
    db: Database, actor: SignedIn, *, patient_id: int, visit_date: date,
    request_id: str | None, now: datetime,
) -> int:
    """A new visit for the patient, pre-filled from the last one; audited create_intake."""

    def work(session: Session) -> tuple[int, Record]:
        visit = storage.start_visit(session=session, patient_id=patient_id,
                                    visit_date=visit_date, clinician=actor.display_name,
                                    by=actor.display_name, request_id=request_id)
        return visit, Record("create_intake", patient_id, f"visit {visit}")

    return write(db, actor, "create_intake", work, now=now,
                 patient=lambda _session: patient_id, seen=True)


NOT_SEEN: Final = storage.NOT_SEEN


def answer(
    db: Database, actor: SignedIn, *, visit_id: int, path: str, value: Any,
    expected_version: int, today: date, now: datetime, seen: object = NOT_SEEN,
) -> DraftView:
    """Save one answer with the scores of the new draft and its audit record.

    ``seen``: the answer at ``path`` in the version the clinician edited. A draft changed
    since only at other questions (another tab) is not a conflict: the answer is saved on
    top of it. A change at the same question is.

    Text is stored composed (NFC). Raises ``ConflictError`` (someone saved first),
    ``SessionEndedError``, or ``IntakeError`` for what the form cannot produce: a number that
    is not finite (NaN or infinity) or outside the question's bounds, or text with an
    invisible or control character (a crafted client, a paste); on any of them, nothing was
    written. What a person can type but is wrong (a date of birth after the visit) is saved
    as typed and shown with its message: nothing typed is lost.
    """
    value = _composed(value)
    refused = _refused(path, value)
    if refused is not None:
        raise IntakeError([refused])
    from careplan.clinical.drafts import preview

    made: list[Preview] = []

    def scores_of(data: dict[str, Any]) -> dict[str, float | None] | None:
        made.append(preview(data, today=today))
        return made[-1].scores()

    def work(session: Session) -> tuple[storage.Draft, Record]:
        draft = storage.save_draft_field(session=session, visit_id=visit_id, path=path,
                                         value=value, expected_version=expected_version,
                                         by=actor.display_name, scores_of=scores_of,
                                         seen=seen)
        return draft, Record("change_intake", draft.patient_id, path)

    draft = write(db, actor, "change_intake", work, now=now, seen=True,
                  patient=lambda session: storage.patient_of_visit(session=session,
                                                                   visit_id=visit_id))
    shown = made[-1] if made else preview(draft.data, today=today)
    return DraftView(draft, shown, today)


def patient_of(db: Database, *, visit_id: int) -> int:
    """The patient a visit belongs to (``NotFoundError`` if there is no such visit)."""
    with db.transaction(readonly=True) as session:
        return storage.patient_of_visit(session=session, visit_id=visit_id)


LARGEST: Final = 1e15  # beyond any answer of the form; a larger number is refused unstored
NOT_SAVED: Final = "this answer was not saved"


def _composed(value: Any) -> Any:
    """``value`` with every text in it composed (NFC): 'Zoe\\u0308' is stored as 'Zoë'."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {k: _composed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_composed(v) for v in value]
    return value


def _refused(path: str, value: Any) -> Problem | None:
    """Why ``value`` cannot be stored at ``path`` (the first reason found), or ``None``.

    Numbers are checked against the bounds of their question in the form registry, so
    -1, 200 or 10**20 for a 0-10 rating is refused as the model would word it."""
    if isinstance(value, dict):
        return next((p for k, v in value.items()
                     if (p := _refused(f"{path}.{k}", v)) is not None), None)
    if isinstance(value, list):
        return next((p for i, v in enumerate(value)
                     if (p := _refused(f"{path}[{i}]", v)) is not None), None)
    if isinstance(value, str):
        hidden = hidden_character(value, lines=True)
        return None if hidden is None else Problem(path, f"{refusal(hidden)}; {NOT_SAVED}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return Problem(path, f"must be a number; {NOT_SAVED}")
    bounds = _bounds(path)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        low, high = (str(int(b)) if float(b).is_integer() else str(b) for b in bounds)
        return Problem(path, f"must be between {low} and {high}; {NOT_SAVED}")
    if abs(value) > LARGEST:
        return Problem(path, f"is too large; {NOT_SAVED}")
    return None


def _bounds(path: str) -> tuple[float, float] | None:
    from careplan.intake import form  # the registry loads with the first answer

    try:
        return form.entry(re.sub(r"\[\d+\]", "", path)).bounds
    except KeyError:
        return None


def plans(db: Database, actor: SignedIn, *, visit_id: int) -> list[storage.StoredPlan]:
    """Every plan version of the visit, oldest first."""
    with db.transaction(readonly=True) as session:
        patient = storage.patient_of_visit(session=session, visit_id=visit_id)
        allowed = storage.has_access(session=session, username=actor.username,
                                     patient_id=patient)
        found = storage.plans_of_visit(session=session, visit_id=visit_id) if allowed else None
    if found is None:
        access.refuse(db, actor, patient_id=patient, detail=f"plans of visit {visit_id}")
    return found


def build_plan_version(
    db: Database, actor: SignedIn, *, visit_id: int, today: date, request_id: str | None,
    now: datetime,
) -> int:
    """Validate the saved draft and store the plan the rules propose as a new version.

    Raises ``IntakeError`` when the draft is not a valid intake (nothing stored).
    """
    from careplan.clinical.engine import build_plan
    from careplan.intake.validation import validate_intake

    def work(session: Session) -> tuple[int, Record]:
        earlier = storage.claimed(session=session, request_id=request_id, kind="save_plan")
        draft = storage.get_draft(session=session, visit_id=visit_id, lock=True)
        if earlier is not None:
            return earlier, Record("save_plan", draft.patient_id, f"plan {earlier} (repeated)")
        intake = validate_intake(draft.data, today=today)
        plan = build_plan(intake=intake, today=today)
        plan_id = storage.save_plan(session=session, visit_id=visit_id, intake=intake, plan=plan,
                                    by=actor.display_name, request_id=request_id)
        return plan_id, Record("save_plan", draft.patient_id, f"plan {plan_id}")

    return write(db, actor, "save_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_visit(session=session,
                                                                  visit_id=visit_id))


def review(
    db: Database, actor: SignedIn, *, plan_id: int, decisions: Review, expected_version: int,
    now: datetime,
) -> int:
    """Record the clinician's decisions on an unsigned plan version; the new version."""

    def work(session: Session) -> tuple[int, Record]:
        version = storage.save_review(session=session, plan_id=plan_id, review=decisions,
                                      expected_version=expected_version, by=actor.display_name)
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return version, Record("review_plan", patient, f"plan {plan_id}")

    return write(db, actor, "review_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


def sign(
    db: Database, actor: SignedIn, *, plan_id: int, expected_version: int,
    request_id: str | None, now: datetime,
) -> int:
    """Sign a plan version (once per request id); signed plans never change.

    Refused (``IntakeError``, nothing signed) while a red-flag question of the intake the
    plan was built from is unanswered: the page hides the button, and a crafted request is
    refused here too.
    """
    from careplan.clinical.scoring import red_flags_not_asked
    from careplan.intake.model import RED_FLAG_LABELS

    def work(session: Session) -> tuple[int, Record]:
        open_questions = red_flags_not_asked(storage.get_plan(session=session,
                                                              plan_id=plan_id).intake)
        if open_questions and storage.claimed(session=session, request_id=request_id,
                                              kind="sign_plan") is None:
            raise IntakeError([Problem(f"red_flags.{name}", f"not asked: {RED_FLAG_LABELS[name]}")
                               for name in open_questions])
        signed = storage.sign_plan(session=session, plan_id=plan_id,
                                   expected_version=expected_version, by=actor.display_name,
                                   request_id=request_id)
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return signed, Record("sign_plan", patient, f"plan {plan_id}")

    return write(db, actor, "sign_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


def revise(
    db: Database, actor: SignedIn, *, plan_id: int, request_id: str | None, now: datetime,
) -> int:
    """A new unsigned version with the same proposal and review, to change a signed plan."""

    def work(session: Session) -> tuple[int, Record]:
        copy = storage.revise_plan(session=session, plan_id=plan_id, by=actor.display_name,
                                   request_id=request_id)
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return copy, Record("revise_plan", patient, f"plan {copy} from plan {plan_id}")

    return write(db, actor, "revise_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


@dataclass(frozen=True, slots=True)
class Worklist:
    """A clinician's Home page: the visits of the patients they may open that wait for them
    (an intake in progress, a plan to sign), and the patients seen today and lately."""

    drafts: list[storage.WorkRow]
    to_sign: list[storage.WorkRow]
    today: list[storage.WorkRow]
    recent: list[storage.WorkRow]


RECENT_DAYS: Final = 14
WORKLIST_ROWS: Final = 10  # rows a list shows


def worklist(db: Database, actor: SignedIn, *, today: date) -> Worklist:
    """The visits of the patients ``actor`` (and their care team) may open, newest change
    first: intakes with no plan yet, plans not signed, visits dated today, and each other
    patient's latest visit of the last ``RECENT_DAYS`` days. Read-only; nothing audited (a
    list of names the clinician may open is not opening a record)."""
    with db.transaction(readonly=True) as session:
        people = storage.people_of(session=session, username=actor.username)

        def rows(**where: Any) -> list[storage.WorkRow]:
            return storage.worklist_visits(session=session, username=actor.username,
                                           people=people, **where)

        drafts = rows(status="intake", limit=WORKLIST_ROWS)
        to_sign = rows(status="to_sign", limit=WORKLIST_ROWS)
        of_today = rows(since=today, until=today, limit=WORKLIST_ROWS * 3)
        lately = rows(since=today - timedelta(days=RECENT_DAYS), until=today - timedelta(days=1),
                      limit=WORKLIST_ROWS * 5)
    seen_today = {r.patient_id for r in of_today}
    recent: dict[int, storage.WorkRow] = {}
    for row in sorted(lately, key=lambda r: (r.visit_date, r.visit_id), reverse=True):
        if row.patient_id not in seen_today:
            recent.setdefault(row.patient_id, row)
    return Worklist(drafts, to_sign, _one_a_patient(of_today)[:WORKLIST_ROWS],
                    list(recent.values())[:WORKLIST_ROWS])


def _one_a_patient(rows: list[storage.WorkRow]) -> list[storage.WorkRow]:
    """The first row of each patient (the lists come newest change first)."""
    seen: dict[int, storage.WorkRow] = {}
    for row in rows:
        seen.setdefault(row.patient_id, row)
    return list(seen.values())


def record_export(
    db: Database, actor: SignedIn, *, plan_id: int, what: str, now: datetime,
) -> None:
    """Audit one download of a plan's documents, against the plan's own patient."""

    def work(session: Session) -> tuple[None, Record]:
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return None, Record("export", patient, f"{what}, plan {plan_id}")

    write(db, actor, "export", work, now=now,
          patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))
