"""How every write of the dashboard runs: the session checked first, the work, its audit.

Why one runner: an action and its audit record must not part, so both happen in one
transaction; and a tab whose session has ended (signed out elsewhere, idle, disabled,
password reset) must not write, so the check happens inside that same transaction. A
refused write is itself audited as denied (that record is kept), then
``SessionEndedError`` tells the page to show the sign-in form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from careplan import accounts, storage
from careplan.errors import SessionEndedError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.audit import Action, Outcome
    from careplan.database import Database

T = TypeVar("T")
ENDED = "Your session has ended, so this was not saved. Sign in again to go on."


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
) -> T:
    """Run ``work`` for ``actor`` in one transaction with its audit record.

    ``attempt`` names the action in the denied record when the session has ended; the
    work returns its result and the record to keep (``None`` when it audits itself).
    """
    with db.transaction() as session:
        state, _ = accounts.check_session(session=session, token=actor.token, now=now)
        if state == "active":
            result, record = work(session)
            if record is not None:
                storage.append_audit(session=session, user=actor.username,
                                     action=record.action, outcome=record.outcome, now=now,
                                     patient_id=record.patient_id, detail=record.detail)
            return result
        storage.append_audit(session=session, user=actor.username, action=attempt,
                             outcome="denied", now=now, detail=f"session {state}")
    raise SessionEndedError(ENDED)


def record(db: Database, actor: SignedIn, done: Record, *, now: datetime) -> None:
    """Keep an audit record on its own (a page refused, a view), for a live session only."""
    write(db, actor, done.action, lambda _session: (None, done), now=now)
