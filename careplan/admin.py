"""Administrators' use cases: the accounts, their care teams and the audit trail with its
break-the-glass records to review, each refused for a session that has ended and each
audited (``accounts`` and ``access`` write their own records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from careplan import access, accounts, audit, storage
from careplan.actions import Record, write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.accounts import Role, SignedIn
    from careplan.database import Database


@dataclass(frozen=True, slots=True)
class Trail:
    """The audit trail as verified whole, and the records the filters select."""

    problems: list[str]
    total: int
    shown: list[audit.AuditRecord]
    glass: list[audit.AuditRecord]  # every break-the-glass record, newest first, to review


def list_users(db: Database) -> list[storage.AccountView]:
    with db.transaction(readonly=True) as session:
        return storage.list_users(session=session)


def add_user(
    db: Database, actor: SignedIn, *, username: str, display_name: str, role: Role,
    password: str, now: datetime,
) -> int:
    def work(session: Session) -> tuple[int, None]:
        return accounts.add_user(session=session, username=username, display_name=display_name,
                                 role=role, password=password, by=actor.username, now=now), None

    return write(db, actor, "user_added", work, now=now)


def set_team(
    db: Database, actor: SignedIn, *, username: str, team: str | None, now: datetime,
) -> str | None:
    """Put an account in a care team (``None`` or blank: none); the team as stored."""

    def work(session: Session) -> tuple[str | None, None]:
        return access.set_team(session=session, username=username, team=team,
                               by=actor.username, now=now), None

    return write(db, actor, "team_changed", work, now=now)


def set_active(
    db: Database, actor: SignedIn, *, username: str, active: bool, now: datetime,
) -> None:
    def work(session: Session) -> tuple[None, None]:
        accounts.set_active(session=session, username=username, active=active,
                            by=actor.username, now=now)
        return None, None

    write(db, actor, "user_disabled", work, now=now)


def trail(
    db: Database, actor: SignedIn, *, user: str | None, action: str | None,
    patient_id: int | None, limit: int, audited: bool, now: datetime,
) -> Trail:
    """Verify the whole chain and select records; ``audited`` says the view was already
    recorded this session (one view_audit record per visit to the page)."""

    def work(session: Session) -> tuple[Trail, Record | None]:
        records = storage.audit_records(session=session)
        shown = storage.audit_records(session=session, user=user, action=action,
                                      patient_id=patient_id, limit=limit)
        glass = [r for r in reversed(records) if r.action == "break_the_glass"]
        found = Trail(audit.verify(records), len(records), shown, glass)
        return found, None if audited else Record("view_audit")

    return write(db, actor, "view_audit", work, now=now)
