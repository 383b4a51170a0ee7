"""Who may open which patient's record, as stored: the ``patient_access`` rows and the rule
that reads them (``careplan.access`` holds the use cases and says why).

The rule, in one place: a user may open a patient when a row names the user (any way), or
names a member of the user's team and the row is not a break-the-glass one (a reason given
by one person opens the record for that person only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from careplan.storage.models import PatientAccess, User
from careplan.storage.records import _possible

How = Literal["created", "visit", "break_the_glass"]
_BREAK_THE_GLASS: Final = "break_the_glass"


def _opens(username: str) -> ColumnElement[bool]:
    """The rows that open a record to ``username``: their own, or a team-mate's (not a
    break-the-glass one). A user without a team has no team-mates (NULL matches nothing)."""
    team = select(User.team).where(User.username == username).scalar_subquery()
    mates = select(User.username).where(User.team == team)
    return (PatientAccess.username == username) | (
        (PatientAccess.how != _BREAK_THE_GLASS) & PatientAccess.username.in_(mates))


def has_access(*, session: Session, username: str, patient_id: int) -> bool:
    if not _possible(patient_id):  # a crafted id no patient has: no one's, no query
        return False
    statement = select(PatientAccess.id).where(
        PatientAccess.patient_id == patient_id, _opens(username)).limit(1)
    return session.execute(statement).first() is not None


def accessible(*, session: Session, username: str, patient_ids: Iterable[int]) -> set[int]:
    """The ids among ``patient_ids`` that ``username`` may open."""
    wanted = set(patient_ids)
    if not wanted:
        return set()
    statement = select(PatientAccess.patient_id).where(
        PatientAccess.patient_id.in_(wanted), _opens(username)).distinct()
    return set(session.execute(statement).scalars())


def grant_access(
    *, session: Session, patient_id: int, username: str, how: How, now: datetime,
    reason: str = "",
) -> None:
    """Record that ``username`` has seen the patient this way (once per way; the first kept)."""
    mine = select(PatientAccess.id).where(PatientAccess.patient_id == patient_id,
                                          PatientAccess.username == username,
                                          PatientAccess.how == how)
    if session.execute(mine).first() is not None:
        return
    session.add(PatientAccess(patient_id=patient_id, username=username, how=how,
                              reason=reason[:200], since=now))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same grant from another transaction, just before
        return
