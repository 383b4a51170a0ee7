"""Accounts, signed-in sessions, failed sign-ins per client and the clients each account
knows, as stored (``careplan.accounts`` decides the policy).

Why: only an argon2id hash of a password and a hash of a session token are stored, and
what is shown to administrators (``AccountView``) carries neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from careplan.errors import StorageError
from careplan.storage.models import KnownClient, SignInFailure, User, UserSession
from careplan.storage.records import _fetch, _lock


@dataclass(frozen=True, slots=True)
class Account:
    """The stored account, for signing in only: it carries the password hash.

    Never shown: pages and commands that list accounts get an :class:`AccountView`.
    """

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: datetime | None
    password_hash: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """The shown account (Admin page, ``careplan users list``): no password hash, no secrets."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: datetime | None
    team: str | None = None


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name, user.role, user.active,
                   user.failed_attempts, user.locked_until, user.password_hash)


def _account_view(user: User) -> AccountView:
    return AccountView(user.id, user.username, user.display_name, user.role, user.active,
                       user.failed_attempts, user.locked_until, user.team)


def count_users(*, session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(User)).scalar_one())


def add_user(
    *, session: Session, username: str, display_name: str, role: str, password_hash: str,
    now: datetime,
) -> int:
    user = User(username=username, display_name=display_name, role=role,
                password_hash=password_hash, active=True, failed_attempts=0, created_at=now,
                updated_at=now)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise StorageError(f"the user name {username} is taken") from None
    return user.id


def find_user(*, session: Session, username: str, lock: bool = False) -> Account | None:
    """The account named ``username``; a name with NUL names none (PostgreSQL refuses it)."""
    if "\x00" in username:
        return None
    statement = select(User).where(User.username == username)
    if lock:
        statement = statement.with_for_update()
    user = session.execute(statement).scalar_one_or_none()
    return None if user is None else _account(user)


def list_users(*, session: Session) -> list[AccountView]:
    """Every account as shown to an administrator, by user name; no password hashes."""
    return [_account_view(u)
            for u in session.execute(select(User).order_by(User.username)).scalars()]


def update_user(*, session: Session, user_id: int, now: datetime, **changes: Any) -> None:
    """Set account fields (active, password_hash, failed_attempts, locked_until, role, team)."""
    user: User = _lock(session, User, user_id)
    allowed = {"active", "password_hash", "failed_attempts", "locked_until", "role",
               "display_name", "team"}
    for name, value in changes.items():
        if name not in allowed:
            raise StorageError(f"{name} cannot be changed here")
        setattr(user, name, value)
    user.updated_at = now
    session.flush()


def start_session(*, session: Session, user_id: int, token_hash: str, now: datetime) -> None:
    session.add(UserSession(token_hash=token_hash, user_id=user_id, created_at=now,
                            last_seen=now))
    session.flush()


def get_session(*, session: Session, token_hash: str) -> tuple[UserSession, Account] | None:
    found = session.get(UserSession, token_hash)
    if found is None:
        return None
    return found, _account(_fetch(session, User, found.user_id))


def touch_session(*, session: Session, token_hash: str, now: datetime) -> None:
    found: UserSession | None = session.get(UserSession, token_hash)
    if found is not None:
        found.last_seen = now
        session.flush()


def end_sessions(*, session: Session, user_id: int, now: datetime,
                 token_hash: str | None = None) -> None:
    """End one session, or every open session of the user (logout ends them everywhere)."""
    statement = select(UserSession).where(UserSession.user_id == user_id,
                                          UserSession.ended_at.is_(None))
    if token_hash is not None:
        statement = statement.where(UserSession.token_hash == token_hash)
    for row in session.execute(statement).scalars():
        row.ended_at = now
    session.flush()


def record_failure(*, session: Session, user_id: int, client: str, now: datetime,
                   forget_before: datetime) -> None:
    """Keep one failed sign-in to the account from ``client``; the account's failures from
    before ``forget_before`` no longer count and are removed (the table stays small)."""
    session.execute(delete(SignInFailure).where(SignInFailure.user_id == user_id,
                                                SignInFailure.at < forget_before))
    session.add(SignInFailure(user_id=user_id, client=client, at=now))
    session.flush()


def failures_since(*, session: Session, user_id: int, since: datetime,
                   client: str | None = None) -> int:
    """How many failed sign-ins to the account since ``since`` (from ``client`` only, if
    given)."""
    statement = select(func.count()).select_from(SignInFailure).where(
        SignInFailure.user_id == user_id, SignInFailure.at >= since)
    if client is not None:
        statement = statement.where(SignInFailure.client == client)
    return int(session.execute(statement).scalar_one())


def clear_failures(*, session: Session, user_id: int, client: str | None = None) -> None:
    """Forget the account's failed sign-ins (from ``client`` only, if given)."""
    statement = delete(SignInFailure).where(SignInFailure.user_id == user_id)
    if client is not None:
        statement = statement.where(SignInFailure.client == client)
    session.execute(statement)
    session.flush()


def remember_client(*, session: Session, user_id: int, client: str, now: datetime) -> None:
    """The account signed in from ``client`` at ``now``."""
    known = session.get(KnownClient, (user_id, client))
    if known is None:
        session.add(KnownClient(user_id=user_id, client=client, last_success=now))
    else:
        known.last_success = now
    session.flush()


def knows_client(*, session: Session, user_id: int, client: str, since: datetime) -> bool:
    """Whether the account signed in from ``client`` since ``since``."""
    known = session.get(KnownClient, (user_id, client))
    return known is not None and known.last_success >= since
