"""Who may open which patient's record, as stored: the ``patient_access`` rows and the rule
that reads them (``careplan.access`` holds the use cases and says why).

The rule, in one place: a user may open a patient when a row names the user (any way), or
names a member of the user's team and the row is not a break-the-glass one (a reason given
by one person opens the record for that person only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, Select, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from careplan.storage.models import PatientAccess, User
from careplan.storage.records import _possible

How = Literal["created", "visit", "break_the_glass"]
_BREAK_THE_GLASS: Final = "break_the_glass"


def opens(username: str, people: Sequence[str] | None = None) -> ColumnElement[bool]:
    """The rows that open a record to ``username``: their own, or a team-mate's (not a
    break-the-glass one). A user without a team has no team-mates (NULL matches nothing).

    Written as "the row names the user or a team-mate, and is the user's own or not a
    break-the-glass one", so the index on ``username`` finds one clinician's patients among
    a million. ``people``: the user and their team-mates, read first (``people_of``), which
    lets PostgreSQL's planner count the rows (a subquery it cannot see into)."""
    if people is None:
        team = select(User.team).where(User.username == username).scalar_subquery()
        among: Any = select(literal(username)).union(
            select(User.username).where(User.team == team))
    else:
        among = sorted({username, *people})
    return PatientAccess.username.in_(among) & (
        (PatientAccess.username == username) | (PatientAccess.how != _BREAK_THE_GLASS))


def people_of(*, session: Session, username: str) -> list[str]:
    """``username`` and their team-mates."""
    team = select(User.team).where(User.username == username).scalar_subquery()
    mates = session.execute(select(User.username).where(User.team == team)).scalars()
    return sorted({username, *mates})


def opened_by(username: str, people: Sequence[str] | None = None) -> Select[int]:
    """The ids of the patients ``username`` may open, as a subquery (``Patient.id.in_``)."""
    return select(PatientAccess.patient_id).where(opens(username, people))


def has_access(*, session: Session, username: str, patient_id: int) -> bool:
    if not _possible(patient_id):  # a crafted id no patient has: no one's, no query
        return False
    statement = select(PatientAccess.id).where(
        PatientAccess.patient_id == patient_id, opens(username)).limit(1)
    return session.execute(statement).first() is not None


def accessible(*, session: Session, username: str, patient_ids: Iterable[int]) -> set[int]:
    """The ids among ``patient_ids`` that ``username`` may open."""
    wanted = set(patient_ids)
    if not wanted:
        return set()
    statement = select(PatientAccess.patient_id).where(
        PatientAccess.patient_id.in_(wanted), opens(username)).distinct()
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
