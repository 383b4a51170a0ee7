"""Clinician accounts: argon2id passwords, lockout, sessions with an idle limit, audit.

Why these rules (OWASP ASVS 4.0.3 level 2, HIPAA §164.312):
- passwords of 12 characters or more, hashed with argon2id (m=19 MiB, t=2, p=1);
- 5 failed sign-ins lock the account for 15 minutes, counted in the database so a
  refresh does not reset it, with one generic message that reveals nothing;
- a session ends after ``CAREPLAN_IDLE_MINUTES`` (15) without activity; signing out
  ends every session of that user, so other open tabs lose access too;
- every sign-in, failure, lockout and sign-out is written to the audit trail.
There is no default account and no default password.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from careplan import settings, storage
from careplan.errors import AccountError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Role = Literal["clinician", "admin"]
ROLES: Final[tuple[Role, ...]] = ("clinician", "admin")
MIN_PASSWORD: Final = 12
MAX_PASSWORD: Final = 1024
MAX_FAILURES: Final = 5
LOCKOUT: Final = timedelta(minutes=15)
GENERIC_FAILURE: Final = "That user name and password did not work, or the account is locked."
_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Compared against when the user does not exist, so both paths take the same time.

    Made on first use (one argon2 hash, ~40 ms), not at import: the sign-in form draws
    without it."""
    return _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: int
    username: str
    display_name: str
    role: str
    token: str


def any_accounts(*, session: Session) -> bool:
    """False only before the first administrator is created (the app then asks for one)."""
    return storage.count_users(session=session) > 0


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.current().idle_minutes)


def check_password(password: str, *, username: str) -> None:
    """Refuse weak passwords with a reason a person can act on."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"The password may have at most {MAX_PASSWORD} characters.")
    if password.casefold() == username.casefold() or len(set(password)) < 4:
        raise AccountError("The password is too easy to guess; choose another.")


def _clean_username(username: str) -> str:
    name = unicodedata.normalize("NFC", username).strip().casefold()
    if not (3 <= len(name) <= 64) or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError("User names have 3 to 64 letters, digits or . _ - @.")
    return name


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    *, session: Session, username: str, display_name: str, role: Role, password: str,
    by: str, now: datetime,
) -> int:
    """A new account (the first one must be an administrator)."""
    name = _clean_username(username)
    check_password(password, username=name)
    if storage.count_users(session=session) == 0 and role != "admin":
        raise AccountError("The first account must be an administrator.")
    if not display_name.strip():
        raise AccountError("Give the person's name as it should appear on plans.")
    user_id = storage.add_user(session=session, username=name, display_name=display_name.strip(),
                               role=role, password_hash=_HASHER.hash(password), now=now)
    action = "create_admin" if role == "admin" and by == "setup" else "user_added"
    storage.append_audit(session=session, user=by, action=action, outcome="success", now=now,
                         detail=f"account {name} ({role})")
    return user_id


def sign_in(*, session: Session, username: str, password: str, now: datetime) -> SignedIn | None:
    """A session for the right password on an active, unlocked account; else None.

    Always answers the same way on failure. Five failures lock the account.
    """
    try:
        name = _clean_username(username)
    except AccountError:
        name = username[:64]
    account = storage.find_user(session=session, username=name, lock=True)
    if account is None:
        _verify(_dummy_hash(), password)
        storage.append_audit(session=session, user=name, action="sign_in_failed",
                             outcome="failure", now=now, detail="unknown user")
        return None
    locked = account.locked_until is not None and account.locked_until > now
    if not account.active or locked or not _verify(account.password_hash, password):
        failures = account.failed_attempts + (0 if locked or not account.active else 1)
        changes: dict[str, object] = {"failed_attempts": failures}
        action, detail = "sign_in_failed", "locked" if locked else (
            "disabled" if not account.active else "wrong password")
        if failures >= MAX_FAILURES and not locked and account.active:
            changes.update(locked_until=now + LOCKOUT, failed_attempts=0)
            action, detail = "lockout", f"{MAX_FAILURES} failed sign-ins"
        storage.update_user(session=session, user_id=account.id, now=now, **changes)
        storage.append_audit(session=session, user=name, action=action, outcome="failure",
                             now=now, detail=detail)
        return None
    if _HASHER.check_needs_rehash(account.password_hash):
        storage.update_user(session=session, user_id=account.id, now=now,
                            password_hash=_HASHER.hash(password))
    storage.update_user(session=session, user_id=account.id, now=now, failed_attempts=0,
                        locked_until=None)
    token = secrets.token_urlsafe(32)
    storage.start_session(session=session, user_id=account.id, token_hash=token_hash(token),
                          now=now)
    storage.append_audit(session=session, user=name, action="sign_in", outcome="success", now=now)
    return SignedIn(account.id, account.username, account.display_name, account.role, token)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


SessionState = Literal["active", "idle", "ended"]


def check_session(*, session: Session, token: str, now: datetime) -> tuple[SessionState,
                                                                          SignedIn | None]:
    """Checked on every rerun: is this session still valid? Activity resets the idle clock."""
    found = storage.get_session(session=session, token_hash=token_hash(token))
    if found is None:
        return "ended", None
    row, account = found
    if row.ended_at is not None or not account.active:
        return "ended", None
    if now - row.last_seen > idle_limit():
        storage.end_sessions(session=session, user_id=account.id, now=now,
                             token_hash=token_hash(token))
        storage.append_audit(session=session, user=account.username, action="idle_logoff",
                             outcome="success", now=now)
        return "idle", None
    storage.touch_session(session=session, token_hash=token_hash(token), now=now)
    return "active", SignedIn(account.id, account.username, account.display_name, account.role,
                              token)


def sign_out(*, session: Session, user: SignedIn, now: datetime) -> None:
    """End every session of this user: other open tabs lose access at their next action."""
    storage.end_sessions(session=session, user_id=user.user_id, now=now)
    storage.append_audit(session=session, user=user.username, action="sign_out",
                         outcome="success", now=now)


def set_active(*, session: Session, username: str, active: bool, by: str, now: datetime) -> None:
    account = storage.find_user(session=session, username=_clean_username(username), lock=True)
    if account is None:
        raise AccountError(f"There is no account {username}.")
    storage.update_user(session=session, user_id=account.id, now=now, active=active)
    if not active:
        storage.end_sessions(session=session, user_id=account.id, now=now)
    storage.append_audit(session=session, user=by, action="user_disabled" if not active else
                         "user_added", outcome="success", now=now,
                         detail=f"account {account.username} {'enabled' if active else 'disabled'}")


def reset_password(*, session: Session, username: str, password: str, by: str,
                   now: datetime) -> None:
    """A new password; it ends the account's sessions and lifts a lockout."""
    account = storage.find_user(session=session, username=_clean_username(username), lock=True)
    if account is None:
        raise AccountError(f"There is no account {username}.")
    check_password(password, username=account.username)
    storage.update_user(session=session, user_id=account.id, now=now,
                        password_hash=_HASHER.hash(password), failed_attempts=0,
                        locked_until=None)
    storage.end_sessions(session=session, user_id=account.id, now=now)
    storage.append_audit(session=session, user=by, action="password_reset", outcome="success",
                         now=now, detail=f"account {account.username}")
