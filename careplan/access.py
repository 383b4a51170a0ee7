"""Per-patient access: who may open a patient's record, and opening one with a reason.

Why this rule (README, "Accounts"): a clinician sees the patients they or their care team
have seen, that is created, or started or edited a visit of (``storage.access`` keeps the
rows, written by the use cases in the same transaction as the work). Any other patient can
still be opened, for an emergency or a colleague's patient, but only with a reason: the
record opens for that person alone, and the reason is kept in the audit trail as
``break_the_glass`` for the administrators to review. The administrator role opens no
record by itself: administrators manage accounts and read the audit trail (which holds no
patient data), and like anyone else give a reason to open a record, as a hospital expects
of its IT staff (least privilege).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

from careplan import storage
from careplan.actions import DENIED, Record, write
from careplan.errors import AccessDeniedError, AccountError, ReasonError
from careplan.text import hidden_character, nfc, refusal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.database import Database

_T = TypeVar("_T")
MIN_REASON_WORDS: Final = 3
MAX_REASON: Final = 200  # kept whole in the audit record, whose detail holds 500
MAX_TEAM: Final = 64


def clean_reason(reason: str) -> str:
    """The reason on one line, or ``ReasonError``: a few words, 200 characters at most."""
    text = " ".join(nfc(reason).split())
    hidden = hidden_character(text)
    if hidden is not None:  # kept in the audit trail and shown to reviewers: as it reads
        raise ReasonError(f"The reason {refusal(hidden)}.")
    if len(text.split()) < MIN_REASON_WORDS:
        raise ReasonError(f"Say in a few words (at least {MIN_REASON_WORDS}) why you open this "
                          "record; administrators review every reason.")
    if len(text) > MAX_REASON:
        raise ReasonError(f"Keep the reason to {MAX_REASON} characters.")
    return text


def clean_team(team: str | None) -> str | None:
    """A team name as stored (``None``: no team); letters, digits, spaces and . _ -."""
    text = " ".join(unicodedata.normalize("NFC", team or "").split())
    if not text:
        return None
    if len(text) > MAX_TEAM or not all(c.isalnum() or c in " ._-" for c in text):
        raise AccountError(f"Team names have up to {MAX_TEAM} letters, digits, spaces or . _ -.")
    return text


def checked_read(
    db: Database, actor: SignedIn, *, patient: Callable[[Session], int],
    read: Callable[[Session, int], _T], detail: str,
) -> _T:
    """``read(session, patient_id)`` in one read-only transaction if ``actor`` may open the
    patient ``patient(session)`` finds; otherwise nothing is read, the refusal is audited
    (``refuse``, after the transaction: a read-only one cannot write) and
    ``AccessDeniedError`` raised. Every use case that reads a patient's data goes through
    here, so none can forget the check or read before it."""
    with db.transaction(readonly=True) as session:
        patient_id = patient(session)
        allowed = storage.has_access(session=session, username=actor.username,
                                     patient_id=patient_id)
        found = (read(session, patient_id),) if allowed else None
    if found is None:
        refuse(db, actor, patient_id=patient_id, detail=detail)
    return found[0]


def may_open(db: Database, actor: SignedIn, *, patient_id: int) -> bool:
    """Whether ``actor`` may open the patient (``NotFoundError`` if there is none)."""
    with db.transaction(readonly=True) as session:
        storage.get_patient(session=session, patient_id=patient_id)
        return storage.has_access(session=session, username=actor.username,
                                  patient_id=patient_id)


def refuse(db: Database, actor: SignedIn, *, patient_id: int, detail: str,
           now: datetime | None = None) -> NoReturn:
    """Audit a refused read as ``access_denied``, then raise ``AccessDeniedError``."""
    denied = Record("access_denied", patient_id, detail, "denied")
    write(db, actor, "access_denied", lambda _session: (None, denied),
          now=now or storage.utcnow())
    raise AccessDeniedError(DENIED)


def break_the_glass(
    db: Database, actor: SignedIn, *, patient_id: int, reason: str, now: datetime,
) -> None:
    """Open a patient's record to ``actor`` (only) for the reason given, audited with it.

    Raises ``ReasonError`` (nothing written) without a reason of a few words.
    """
    why = clean_reason(reason)

    def work(session: Session) -> tuple[None, Record]:
        storage.get_patient(session=session, patient_id=patient_id)  # NotFoundError if none
        storage.grant_access(session=session, patient_id=patient_id, username=actor.username,
                             how="break_the_glass", reason=why, now=now)
        return None, Record("break_the_glass", patient_id, why)

    write(db, actor, "break_the_glass", work, now=now)


def set_team(*, session: Session, username: str, team: str | None, by: str,
             now: datetime) -> str | None:
    """Put an account in a care team (``None``: none), audited; the team as stored."""
    name = unicodedata.normalize("NFC", username).strip().casefold()
    account = storage.find_user(session=session, username=name, lock=True)
    if account is None:
        raise AccountError(f"There is no account {username}.")
    cleaned = clean_team(team)
    storage.update_user(session=session, user_id=account.id, now=now, team=cleaned)
    storage.append_audit(session=session, user=by, action="team_changed", outcome="success",
                         now=now, detail=f"account {account.username} team {cleaned or '(none)'}")
    return cleaned
