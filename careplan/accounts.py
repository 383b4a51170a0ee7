"""Clinician accounts: argon2id passwords, lockout, sessions with an idle limit, audit.

Why these rules (OWASP ASVS 4.0.3 level 2, HIPAA §164.312):
- passwords of 12 characters or more, hashed with argon2id (m=19 MiB, t=2, p=1);
- failed sign-ins are limited so that guessing stays slow, yet nobody can lock an account
  out for its owner (below);
- a session ends after ``CAREPLAN_IDLE_MINUTES`` (15) without activity; signing out
  ends every session of that user, so other open tabs lose access too;
- every sign-in, failure, lockout and sign-out is written to the audit trail.
There is no default account and no default password.

Why the lockout is per account *and client* (the OWASP Authentication Cheat Sheet warns
that an account lockout lets an attacker deny service to the account's owner; Microsoft's
"smart lockout" answers it the same way, by telling familiar places from unfamiliar ones):
a lockout per account alone let anyone who knew an administrator's user name lock out the
only administrator by typing wrong passwords. Now:

1. **Per account and client** (in the database, so a refresh or another app server does
   not reset it): 5 failed sign-ins to one account from one client within 15 minutes close
   that account *to that client* until the first of them is 15 minutes old. The account's
   owner at another computer signs in as usual. The client is the address the server sees
   (``client=``); behind a proxy, the proxy must pass the address on, or every client
   shares one. A caller that passes no client counts as the one client ``"unknown"``.
2. **Per account, from many clients** (a guess spread over many addresses): 20 failures
   within 15 minutes, from any clients together, leave the account open for 15 minutes only
   to the clients it signed in from in the last 90 days (``known_clients``); the owner at
   their usual computer still gets in, a new computer waits.
3. **Per client, over all accounts** (``careplan.throttle``, before any hashing): a spray
   of names from one client is refused after 10 failures in 15 minutes.
4. **The shell is never locked out:** ``python -m careplan users reset NAME`` (run by
   whoever administers the server) sets a new password and lifts every lock of the account;
   signing in from the shell is not needed for any account command.

Why not the alternatives: a lockout that only slows down (a growing delay per account)
still lets one client keep an account unusable for everyone by trying once per delay; a
CAPTCHA needs an outside service a clinic may not have. Counting per account and client
keeps guessing at 5 tries per 15 minutes per address and 20 per 15 minutes across new
addresses, while the owner always has a way in.
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
from careplan.text import hidden_character, nfc, refusal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.database import Database

Role = Literal["clinician", "admin"]
ROLES: Final[tuple[Role, ...]] = ("clinician", "admin")
MIN_PASSWORD: Final = 12
MAX_PASSWORD: Final = 1024
MAX_DISPLAY_NAME: Final = 200
MAX_FAILURES: Final = 5  # from one client to one account, within LOCKOUT
MAX_FAILURES_ANY_CLIENT: Final = 20  # to one account from all clients, within LOCKOUT
UNKNOWN_USER: Final = "(unknown user)"
UNKNOWN_CLIENT: Final = "unknown"  # a caller that does not say where the attempt came from
TOUCH_EVERY: Final = timedelta(seconds=30)  # how stale last_seen may get (idle is minutes)


def touch_every() -> timedelta:
    """``TOUCH_EVERY``, or a quarter of the idle limit if that is shorter: a session in use
    never looks idle because its last_seen was left alone."""
    return min(TOUCH_EVERY, idle_limit() / 4)
LOCKOUT: Final = timedelta(minutes=15)
KNOWN_FOR: Final = timedelta(days=90)  # a client an account signed in from is known this long
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


def _clean_display_name(display_name: str) -> str:
    """The name printed on plans: composed, one line, no hidden characters, 200 at most."""
    shown = nfc(display_name).strip()
    if not shown:
        raise AccountError("Give the person's name as it should appear on plans.")
    hidden = hidden_character(shown)
    if hidden is not None:
        raise AccountError(f"The full name {refusal(hidden)}.")
    if len(shown) > MAX_DISPLAY_NAME:
        raise AccountError(f"The full name may have at most {MAX_DISPLAY_NAME} characters.")
    return shown


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
    shown = _clean_display_name(display_name)
    user_id = storage.add_user(session=session, username=name, display_name=shown,
                               role=role, password_hash=_HASHER.hash(password), now=now)
    action = "create_admin" if role == "admin" and by == "setup" else "user_added"
    storage.append_audit(session=session, user=by, action=action, outcome="success", now=now,
                         detail=f"account {name} ({role})")
    return user_id


def sign_in(
    *, session: Session, username: str, password: str, now: datetime,
    client: str = UNKNOWN_CLIENT,
) -> SignedIn | None:
    """A session for the right password on an active account not locked for ``client``;
    else None.

    Always answers the same way on failure. Five failures from one client lock the account
    for that client (see the module's docstring). This form hashes inside the caller's
    transaction (the first administrator, tests); the sign-in form uses ``sign_in_to``,
    which does not.
    """
    name = _lookup_name(username)
    account = storage.find_user(session=session, username=name, lock=True)
    checked = _check(account, password)
    return _settle(session, name, account, checked, now, _clean_client(client))


def sign_in_to(
    db: Database, *, username: str, password: str, now: datetime,
    client: str = UNKNOWN_CLIENT,
) -> SignedIn | None:
    """``sign_in`` with the argon2 work (~40 ms a hash) between two short transactions.

    Why: a hash inside a write transaction holds the database's write lock, so a crowd of
    sign-in attempts, even anonymous ones, would stall every clinician's saves. The write
    afterwards re-reads the account and counts the password as right only if the account's
    hash is still the one checked (a reset in between wins).
    """
    name = _lookup_name(username)
    with db.transaction(readonly=True) as session:
        seen = storage.find_user(session=session, username=name)
    checked = _check(seen, password)
    with db.transaction() as session:
        account = storage.find_user(session=session, username=name, lock=True)
        if account is None or seen is None or account.password_hash != seen.password_hash:
            checked = _Checked(verified=False, new_hash=None)
        return _settle(session, name, account, checked, now, _clean_client(client))


@dataclass(frozen=True, slots=True)
class _Checked:
    verified: bool
    new_hash: str | None  # the password hashed again with today's parameters, if due


def _clean_client(client: str) -> str:
    """The client key as stored: printable ASCII (an address), 64 characters at most."""
    text = "".join(c for c in client if c.isascii() and c.isprintable()).strip()[:64]
    return text or UNKNOWN_CLIENT


def _lookup_name(username: str) -> str:
    try:
        return _clean_username(username)
    except AccountError:
        return username[:64]


def _check(account: storage.Account | None, password: str) -> _Checked:
    """The argon2 work: verify (against a dummy hash for an unknown user, same time)."""
    if account is None:
        _verify(_dummy_hash(), password)
        return _Checked(verified=False, new_hash=None)
    verified = _verify(account.password_hash, password)
    rehash = verified and _HASHER.check_needs_rehash(account.password_hash)
    return _Checked(verified, _HASHER.hash(password) if rehash else None)


def _settle(
    session: Session, name: str, account: storage.Account | None, checked: _Checked,
    now: datetime, client: str,
) -> SignedIn | None:
    """Record the outcome of a checked sign-in: failures, lockout, or a new session."""
    if account is None:  # what was typed is not kept: it may be a password in the wrong box
        storage.append_audit(session=session, user=UNKNOWN_USER, action="sign_in_failed",
                             outcome="failure", now=now, detail="unknown user")
        return None
    refused = _refusal(session, account, client, now)
    if refused is not None:  # not counted again: a lock is not extended by knocking on it
        storage.append_audit(session=session, user=name, action="sign_in_failed",
                             outcome="failure", now=now, detail=refused)
        return None
    if not checked.verified:
        _count_failure(session, name, account, client, now)
        return None
    if checked.new_hash is not None:
        storage.update_user(session=session, user_id=account.id, now=now,
                            password_hash=checked.new_hash)
    storage.clear_failures(session=session, user_id=account.id, client=client)
    storage.remember_client(session=session, user_id=account.id, client=client, now=now)
    storage.update_user(session=session, user_id=account.id, now=now,
                        failed_attempts=storage.failures_since(
                            session=session, user_id=account.id, since=now - LOCKOUT))
    token = secrets.token_urlsafe(32)
    storage.start_session(session=session, user_id=account.id, token_hash=token_hash(token),
                          now=now)
    storage.append_audit(session=session, user=name, action="sign_in", outcome="success", now=now)
    return SignedIn(account.id, account.username, account.display_name, account.role, token)


def _refusal(session: Session, account: storage.Account, client: str,
             now: datetime) -> str | None:
    """Why this client may not try this account now (the audit detail), or ``None``."""
    if not account.active:
        return "disabled"
    if storage.failures_since(session=session, user_id=account.id, since=now - LOCKOUT,
                              client=client) >= MAX_FAILURES:
        return f"locked for {client}"
    guarded = account.locked_until is not None and account.locked_until > now
    if guarded and not storage.knows_client(session=session, user_id=account.id,
                                            client=client, since=now - KNOWN_FOR):
        return f"known clients only; {client} is not one"
    return None


def _count_failure(session: Session, name: str, account: storage.Account, client: str,
                   now: datetime) -> None:
    """A wrong password: counted for this client and for the account, audited; the fifth
    from this client locks the account for this client, the twentieth from all clients
    leaves it open to its known clients only."""
    storage.record_failure(session=session, user_id=account.id, client=client, now=now,
                           forget_before=now - LOCKOUT)
    here = storage.failures_since(session=session, user_id=account.id, since=now - LOCKOUT,
                                  client=client)
    everywhere = storage.failures_since(session=session, user_id=account.id,
                                        since=now - LOCKOUT)
    changes: dict[str, object] = {"failed_attempts": everywhere}
    if here >= MAX_FAILURES:
        storage.append_audit(session=session, user=name, action="lockout", outcome="failure",
                             now=now, detail=f"{MAX_FAILURES} failed sign-ins from {client}")
    else:
        storage.append_audit(session=session, user=name, action="sign_in_failed",
                             outcome="failure", now=now, detail="wrong password")
    guarded = account.locked_until is not None and account.locked_until > now
    if everywhere >= MAX_FAILURES_ANY_CLIENT and not guarded:
        changes["locked_until"] = now + LOCKOUT
        storage.append_audit(
            session=session, user=name, action="lockout", outcome="failure", now=now,
            detail=f"{everywhere} failed sign-ins from several clients: known clients only")
    storage.update_user(session=session, user_id=account.id, now=now, **changes)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


SessionState = Literal["active", "idle", "ended"]


def check_session(*, session: Session, token: str, now: datetime) -> tuple[SessionState,
                                                                          SignedIn | None]:
    """Checked by every write: is this session still valid? An idle one is ended here.

    Activity moves the idle clock, but ``last_seen`` is written at most every
    ``TOUCH_EVERY``, so a burst of answers does not rewrite the session row each time.
    """
    state, who, due = peek_session(session=session, token=token, now=now)
    if not due:
        return state, who
    found = storage.get_session(session=session, token_hash=token_hash(token))
    assert found is not None  # noqa: S101 - peek_session found it in this transaction
    _, account = found
    if state == "idle":
        storage.end_sessions(session=session, user_id=account.id, now=now,
                             token_hash=token_hash(token))
        storage.append_audit(session=session, user=account.username, action="idle_logoff",
                             outcome="success", now=now)
        return "idle", None
    storage.touch_session(session=session, token_hash=token_hash(token), now=now)
    return state, who


def peek_session(*, session: Session, token: str, now: datetime) -> tuple[
        SessionState, SignedIn | None, bool]:
    """Read-only: the session's state and whether a write is due (an idle session to end,
    or ``last_seen`` older than ``touch_every()``). Every page run asks this first, so an
    ordinary rerun takes no write lock."""
    found = storage.get_session(session=session, token_hash=token_hash(token))
    if found is None:
        return "ended", None, False
    row, account = found
    if row.ended_at is not None or not account.active:
        return "ended", None, False
    if now - row.last_seen > idle_limit():
        return "idle", None, True
    who = SignedIn(account.id, account.username, account.display_name, account.role, token)
    return "active", who, now - row.last_seen >= touch_every()


def session_is_live(db: Database, *, token: str, now: datetime) -> bool:
    """Read-only: whether ``token`` names a session still signed in (not ended, not idle,
    its account active). Downloads ask this: a file offered before a sign-out is not
    served after it."""
    with db.transaction(readonly=True) as session:
        return peek_session(session=session, token=token, now=now)[0] == "active"


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
    """A new password; it ends the account's sessions and lifts every lock of the account
    (for each client, and known clients only)."""
    account = storage.find_user(session=session, username=_clean_username(username), lock=True)
    if account is None:
        raise AccountError(f"There is no account {username}.")
    check_password(password, username=account.username)
    storage.update_user(session=session, user_id=account.id, now=now,
                        password_hash=_HASHER.hash(password), failed_attempts=0,
                        locked_until=None)
    storage.clear_failures(session=session, user_id=account.id)
    storage.end_sessions(session=session, user_id=account.id, now=now)
    storage.append_audit(session=session, user=by, action="password_reset", outcome="success",
                         now=now, detail=f"account {account.username}")
