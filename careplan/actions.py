"""How every write of the dashboard runs: the session checked first, then the actor's access
to the patient, the work, its audit.

Why one runner: an action and its audit record must not part, so both happen in one
transaction; and a tab whose session has ended (signed out elsewhere, idle, disabled,
password reset) must not write, so the check happens inside that same transaction. A
refused write is itself audited as denied (that record is kept), then
``SessionEndedError`` tells the page to show the sign-in form. Likewise a write to a
patient the actor may not open (``careplan.access``) is audited ``access_denied`` and
raises ``AccessDeniedError``; a write that works on a visit records that the actor has seen
the patient, which is what opens the record to their care team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from careplan import accounts, storage
from careplan.errors import AccessDeniedError, SessionEndedError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.audit import Action, Outcome
    from careplan.database import Database

T = TypeVar("T")
ENDED = "Your session has ended, so this was not saved. Sign in again to go on."
DENIED = ("Neither you nor your care team has seen this patient, so the record was not "
          "opened. Open it with a reason (break the glass); that is audited.")


@dataclass(frozen=True, slots=True)
class Record:
    """The audit record of a done action: ids and names only, never patient data."""

    action: Action
    patient_id: int | None = None
    detail: str = ""
    outcome: Outcome = "success"


def write(
    db: Database, actor: SignedIn, attempt: Action,
    work: Callable[[Session], tuple[T, Record | None]], *, now: datetime,
    patient: Callable[[Session], int] | None = None, seen: bool = False,
) -> T:
    """Run ``work`` for ``actor`` in one transaction with its audit record.

    ``attempt`` names the action in the denied record when the session has ended; the
    work returns its result and the record to keep (``None`` when it audits itself).
    ``patient`` finds the patient the work touches (from the visit or plan, never from the
    page), checked before the work; ``seen`` records that the actor worked on a visit.
    """
    with db.transaction() as session:
        state, _ = accounts.check_session(session=session, token=actor.token, now=now)
        if state != "active":
            storage.append_audit(session=session, user=actor.username, action=attempt,
                                 outcome="denied", now=now, detail=f"session {state}")
        else:
            patient_id = None if patient is None else patient(session)
            if patient_id is None or storage.has_access(session=session,
                                                        username=actor.username,
                                                        patient_id=patient_id):
                if patient_id is not None and seen:
                    storage.grant_access(session=session, patient_id=patient_id,
                                         username=actor.username, how="visit", now=now)
                result, record = work(session)
                if record is not None:
                    storage.append_audit(session=session, user=actor.username,
                                         action=record.action, outcome=record.outcome, now=now,
                                         patient_id=record.patient_id, detail=record.detail)
                return result
            storage.append_audit(session=session, user=actor.username, action="access_denied",
                                 outcome="denied", now=now, patient_id=patient_id,
                                 detail=attempt)
    if state == "active":
        raise AccessDeniedError(DENIED)
    raise SessionEndedError(ENDED)


def record(db: Database, actor: SignedIn, done: Record, *, now: datetime) -> None:
    """Keep an audit record on its own (a page refused, a view), for a live session only."""
    write(db, actor, done.action, lambda _session: (None, done), now=now)
