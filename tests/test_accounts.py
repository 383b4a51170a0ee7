"""Accounts, lockout, idle sessions and the audit trail on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from careplan import accounts, audit
from careplan import storage as db
from careplan.errors import AccountError

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
GOOD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


def setup_users(engine: Engine) -> None:
    with db.transaction(engine) as s:
        accounts.add_user(session=s, username="admin", display_name="Ada Admin", role="admin",
                          password=GOOD, by="setup", now=NOW)
        accounts.add_user(session=s, username="rivera", display_name="Dr. A. Rivera",
                          role="clinician", password=GOOD + "!", by="admin", now=NOW)


def sign_in(engine: Engine, password: str, when: datetime = NOW,
            user: str = "rivera") -> accounts.SignedIn | None:
    with db.transaction(engine) as s:
        return accounts.sign_in(session=s, username=user, password=password, now=when)


def test_first_account_must_be_an_admin_and_passwords_are_strong(engine: Engine) -> None:
    with pytest.raises(AccountError, match="first account"), db.transaction(engine) as s:
        accounts.add_user(session=s, username="ann", display_name="Ann", role="clinician",
                          password=GOOD, by="setup", now=NOW)
    for weak, why in (("short pass", "12 characters"), ("aaaaaaaaaaaaaa", "too easy"),
                      ("x" * 1025, "at most 1024")):
        with pytest.raises(AccountError, match=why), db.transaction(engine) as s:
            accounts.add_user(session=s, username="ann", display_name="Ann", role="admin",
                              password=weak, by="setup", now=NOW)
    long = "Élan vital, ça marche très bien! " * 3  # over 72 bytes: bcrypt would refuse it
    with db.transaction(engine) as s:
        accounts.add_user(session=s, username="ann", display_name="Ann", role="admin",
                          password=long, by="setup", now=NOW)
    assert sign_in(engine, long, user="ann") is not None
    with db.transaction(engine, readonly=True) as s:
        stored = db.find_user(session=s, username="ann")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert long not in stored.password_hash


def test_the_shown_accounts_carry_no_password_hash(engine: Engine) -> None:
    setup_users(engine)
    with db.transaction(engine, readonly=True) as s:
        shown = db.list_users(session=s)
    assert [(u.username, u.role, u.active) for u in shown] == [
        ("admin", "admin", True), ("rivera", "clinician", True)]
    for user in shown:
        assert isinstance(user, db.AccountView)
        assert not any("hash" in name or "password" in name
                       for name in user.__dataclass_fields__), "a secret in the shown shape"
        assert "argon2" not in repr(user)


def test_five_failures_lock_for_fifteen_minutes_with_one_generic_answer(engine: Engine) -> None:
    setup_users(engine)
    for attempt in range(5):
        assert sign_in(engine, "wrong password!!", NOW + timedelta(seconds=attempt)) is None
    assert sign_in(engine, GOOD + "!", NOW + timedelta(minutes=1)) is None  # locked
    assert sign_in(engine, GOOD + "!", NOW + timedelta(minutes=14)) is None
    assert sign_in(engine, "anything at all!", NOW, user="nobody") is None  # same answer
    signed = sign_in(engine, GOOD + "!", NOW + timedelta(minutes=16))
    assert signed is not None
    assert signed.display_name == "Dr. A. Rivera"
    with db.transaction(engine, readonly=True) as s:
        actions = [r.action for r in db.audit_records(session=s)]
    assert actions.count("lockout") == 1
    assert actions.count("sign_in_failed") >= 7


def test_idle_sessions_end_and_sign_out_ends_every_tab(engine: Engine) -> None:
    setup_users(engine)
    first = sign_in(engine, GOOD + "!")
    second = sign_in(engine, GOOD + "!")
    assert first is not None
    assert second is not None
    with db.transaction(engine) as s:
        state, _ = accounts.check_session(session=s, token=first.token,
                                          now=NOW + timedelta(minutes=10))
        assert state == "active"
        state, _ = accounts.check_session(session=s, token=first.token,
                                          now=NOW + timedelta(minutes=26))
        assert state == "idle"
        state, who = accounts.check_session(session=s, token=second.token,
                                            now=NOW + timedelta(minutes=5))
        assert state == "active"
        assert who is not None
        accounts.sign_out(session=s, user=who, now=NOW + timedelta(minutes=6))
        state, _ = accounts.check_session(session=s, token=second.token,
                                          now=NOW + timedelta(minutes=6))
        assert state == "ended"
        state, _ = accounts.check_session(session=s, token="forged-token", now=NOW)
        assert state == "ended"


def test_reset_and_disable_end_sessions(engine: Engine) -> None:
    setup_users(engine)
    signed = sign_in(engine, GOOD + "!")
    assert signed is not None
    with db.transaction(engine) as s:
        accounts.reset_password(session=s, username="rivera", password="a new password 42",
                                by="admin", now=NOW)
        assert accounts.check_session(session=s, token=signed.token, now=NOW)[0] == "ended"
    assert sign_in(engine, "a new password 42") is not None
    with db.transaction(engine) as s:
        accounts.set_active(session=s, username="rivera", active=False, by="admin", now=NOW)
    assert sign_in(engine, "a new password 42") is None


def test_the_audit_chain_verifies_and_the_database_refuses_edits(engine: Engine) -> None:
    setup_users(engine)
    with db.transaction(engine) as s:
        for i in range(3):
            db.append_audit(session=s, user="rivera", action="view_patient", outcome="success",
                            now=NOW + timedelta(seconds=i), patient_id=7)
    with db.transaction(engine, readonly=True) as s:
        records = db.audit_records(session=s)
        assert [r.action for r in db.audit_records(session=s, patient_id=7)] == [
            "view_patient"] * 3
    assert audit.verify(records) == []
    for statement in ("UPDATE audit_log SET username = 'mallory' WHERE seq = 2",
                      "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_verify_finds_offline_edits_deletions_and_insertions() -> None:
    records, prev = [], audit.GENESIS
    for seq in range(1, 5):
        fields = {"seq": seq, "at": NOW + timedelta(seconds=seq), "user": "rivera",
                  "action": "export", "patient_id": 3, "outcome": "success", "detail": "",
                  "prev_hash": prev}
        prev = audit.record_hash(**fields)  # type: ignore[arg-type]
        records.append(audit.AuditRecord(hash=prev, **fields))  # type: ignore[arg-type]
    assert audit.verify(records) == []
    altered = [records[0], replace(records[1], user="mallory"), *records[2:]]
    assert "record 2 was altered" in audit.verify(altered)
    assert any("missing" in p for p in audit.verify([records[0], *records[2:]]))


def test_cli_adds_users_and_verifies_the_trail(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "careplan", *args], input=stdin, cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120, check=False)

    bad = run("users", "add", "ann", "--name", "Ann", "--password-stdin", stdin="short\n")
    assert bad.returncode == 2
    assert "first account must be an administrator" in bad.stderr or "12" in bad.stderr
    ok = run("users", "add", "ann", "--name", "Ann Admin", "--role", "admin", "--password-stdin",
             stdin=GOOD + "\n")
    assert ok.returncode == 0, ok.stderr
    assert run("audit", "verify").stdout.startswith("The audit trail is intact: 1 record")
    listing = run("users", "list").stdout
    assert "ann\tadmin\tactive\tAnn Admin" in listing
    engine = db.make_engine(url)
    with engine.begin() as conn:  # someone with file access removes the trigger and edits
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 1"))
    engine.dispose()
    broken = run("audit", "verify")
    assert broken.returncode == 1
    assert "record 1 was altered" in broken.stderr


def _writable_now(url: str) -> bool:
    """Whether another connection could take SQLite's write lock at this moment."""
    import sqlite3

    connection = sqlite3.connect(url.split("///", 1)[1], timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def test_the_sign_in_form_hashes_outside_any_write_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """argon2 holding the write lock let anonymous sign-in attempts stall every save."""
    from careplan.database import Database

    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    setup_users(engine)
    seen: list[bool] = []
    check = accounts._check

    def watching(account: db.Account | None, password: str) -> accounts._Checked:
        seen.append(_writable_now(url))
        return check(account, password)

    monkeypatch.setattr(accounts, "_check", watching)
    database = Database(engine)
    assert accounts.sign_in_to(database, username="rivera", password=GOOD + "!",
                               now=NOW) is not None
    assert accounts.sign_in_to(database, username="nobody", password=GOOD, now=NOW) is None
    with db.transaction(engine) as s:  # the in-transaction form, for contrast
        accounts.sign_in(session=s, username="rivera", password=GOOD + "!", now=NOW)
    engine.dispose()
    assert seen == [True, True, False]


def test_a_reset_between_the_check_and_the_write_wins(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from careplan.database import Database

    setup_users(engine)
    check = accounts._check

    def reset_meanwhile(account: db.Account | None, password: str) -> accounts._Checked:
        checked = check(account, password)
        with db.transaction(engine) as s:
            accounts.reset_password(session=s, username="rivera", password="another long one!",
                                    by="admin", now=NOW)
        return checked

    monkeypatch.setattr(accounts, "_check", reset_meanwhile)
    assert accounts.sign_in_to(Database(engine), username="rivera", password=GOOD + "!",
                               now=NOW) is None


def test_a_page_run_reads_the_session_without_writing(engine: Engine) -> None:
    setup_users(engine)
    signed = sign_in(engine, GOOD + "!")
    assert signed is not None
    for later, due in ((NOW + timedelta(seconds=5), False),
                       (NOW + accounts.TOUCH_EVERY, True),
                       (NOW + accounts.idle_limit() + timedelta(seconds=1), True)):
        with db.transaction(engine, readonly=True) as s:
            state, _, write_due = accounts.peek_session(session=s, token=signed.token, now=later)
        assert write_due is due, (later, state)
    with db.transaction(engine) as s:  # a write within TOUCH_EVERY leaves last_seen alone
        assert accounts.check_session(session=s, token=signed.token,
                                      now=NOW + timedelta(seconds=5))[0] == "active"
        found = db.get_session(session=s, token_hash=accounts.token_hash(signed.token))
    assert found is not None
    assert found[0].last_seen == NOW


def test_with_a_short_idle_limit_a_session_in_use_is_touched_often_enough(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle after 20 s: last_seen is moved on at least every 5 s, so a clinician answering
    every 10 s is never signed out as idle (with a fixed 30 s it was, at the second answer)."""
    monkeypatch.setenv("CAREPLAN_IDLE_MINUTES", str(20 / 60))
    setup_users(engine)
    signed = sign_in(engine, GOOD + "!")
    assert signed is not None
    assert accounts.touch_every() == timedelta(seconds=5)
    for step in range(1, 7):  # an answer every 10 s for a minute
        with db.transaction(engine) as s:
            state, _ = accounts.check_session(session=s, token=signed.token,
                                              now=NOW + timedelta(seconds=10 * step))
        assert state == "active", step


def test_a_failed_sign_in_keeps_no_typed_text_for_an_unknown_name(engine: Engine) -> None:
    """A password typed into the user-name box must not land in the audit trail."""
    setup_users(engine)
    with db.transaction(engine) as s:
        assert accounts.sign_in(session=s, username="correct horse battery", password="x",
                                now=NOW) is None
        records = db.audit_records(session=s, action="sign_in_failed")
    assert [(r.user, r.detail) for r in records] == [(accounts.UNKNOWN_USER, "unknown user")]


def test_a_download_is_served_to_a_live_session_only(engine: Engine) -> None:
    from careplan.database import Database

    setup_users(engine)
    signed = sign_in(engine, GOOD + "!")
    assert signed is not None
    database = Database(engine)
    assert accounts.session_is_live(database, token=signed.token, now=NOW)
    assert not accounts.session_is_live(database, token="never-issued", now=NOW)
    later = NOW + accounts.idle_limit() + timedelta(seconds=1)
    assert not accounts.session_is_live(database, token=signed.token, now=later)  # idle
    with db.transaction(engine) as s:
        accounts.sign_out(session=s, user=signed, now=NOW)
    assert not accounts.session_is_live(database, token=signed.token, now=NOW)


ATTACKER = "203.0.113.66"
ADMIN_DESK = "10.0.0.5"


def try_sign_in(engine: Engine, user: str, password: str, when: datetime,
                client: str) -> accounts.SignedIn | None:
    """The sign-in form's path (hash outside the transaction), from ``client``."""
    from careplan.database import Database

    return accounts.sign_in_to(Database(engine), username=user, password=password, now=when,
                               client=client)


def test_an_attacker_cannot_lock_the_only_admin_out_of_another_computer(engine: Engine) -> None:
    """Before, 5 wrong passwords from anyone who knew the name locked the account for
    everyone: here the only administrator would have been shut out of the dashboard."""
    setup_users(engine)
    now = datetime.now(UTC)
    for attempt in range(12):
        assert try_sign_in(engine, "admin", f"guess number {attempt}",
                           now + timedelta(seconds=attempt), ATTACKER) is None
    signed = try_sign_in(engine, "admin", GOOD, now + timedelta(minutes=1), ADMIN_DESK)
    assert signed is not None
    assert signed.role == "admin"
    with db.transaction(engine, readonly=True) as s:
        lockouts = [r.detail for r in db.audit_records(session=s, action="lockout")]
    assert lockouts == [f"5 failed sign-ins from {ATTACKER}"]


def test_five_wrong_passwords_stop_that_client_even_with_the_right_one(engine: Engine) -> None:
    """Brute force from one client is still stopped: after 5 failures the right password
    from that client is refused until the first failure is 15 minutes old."""
    setup_users(engine)
    now = datetime.now(UTC)
    for attempt in range(5):
        assert try_sign_in(engine, "admin", f"guess number {attempt}",
                           now + timedelta(seconds=attempt), ATTACKER) is None
    for later in (timedelta(minutes=1), timedelta(minutes=14)):
        assert try_sign_in(engine, "admin", GOOD, now + later, ATTACKER) is None
    assert try_sign_in(engine, "admin", GOOD, now + timedelta(minutes=16), ATTACKER) is not None
    with db.transaction(engine, readonly=True) as s:
        refused = [r.detail for r in db.audit_records(session=s, action="sign_in_failed")]
    assert refused.count("wrong password") == 4
    assert refused.count(f"locked for {ATTACKER}") == 2


def test_a_guess_spread_over_many_clients_leaves_the_account_to_its_known_clients(
    engine: Engine,
) -> None:
    """A botnet guessing 2 passwords from each of 10 addresses locks no single client, so
    the account as a whole stops taking guesses from new clients; the administrator at the
    desk they signed in from before still gets in."""
    setup_users(engine)
    now = datetime.now(UTC)
    assert try_sign_in(engine, "admin", GOOD, now - timedelta(days=3), ADMIN_DESK) is not None
    for number in range(accounts.MAX_FAILURES_ANY_CLIENT):
        client = f"198.51.100.{number // 2}"
        assert try_sign_in(engine, "admin", f"guess number {number}",
                           now + timedelta(seconds=number), client) is None
    new_client = "192.0.2.1"  # the right password from a new client: not even checked
    assert try_sign_in(engine, "admin", GOOD, now + timedelta(minutes=1), new_client) is None
    assert try_sign_in(engine, "admin", GOOD, now + timedelta(minutes=1), ADMIN_DESK) is not None
    assert try_sign_in(engine, "admin", GOOD, now + timedelta(minutes=16), new_client) is not None
    with db.transaction(engine, readonly=True) as s:
        lockouts = [r.detail for r in db.audit_records(session=s, action="lockout")]
        refused = [r.detail for r in db.audit_records(session=s, action="sign_in_failed")]
    assert lockouts == [f"{accounts.MAX_FAILURES_ANY_CLIENT} failed sign-ins from several "
                        "clients: known clients only"]
    assert f"known clients only; {new_client} is not one" in refused


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database brought up by the migrations, as the account commands expect one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        import pg

        url = pg.create_database(pg.require_server())
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if request.param == "postgresql":
            import pg

            pg.drop_database(url)


def test_the_shell_resets_a_locked_admin_and_lifts_every_lock(migrated: Engine) -> None:
    """The account commands need no sign-in: a locked administrator is reset from the shell,
    and the reset lifts the lock of every client and the known-clients-only guard."""
    engine = migrated
    setup_users(engine)
    now = datetime.now(UTC)
    for number in range(accounts.MAX_FAILURES_ANY_CLIENT):
        try_sign_in(engine, "admin", f"guess number {number}", now, f"198.51.100.{number // 5}")
    assert try_sign_in(engine, "admin", GOOD, now, "198.51.100.0") is None
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "careplan", "users", "reset", "admin",
                             "--password-stdin"], input="a brand new password 7\n", cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "New password set for admin" in result.stdout
    for client in ("198.51.100.0", "192.0.2.1"):
        assert try_sign_in(engine, "admin", "a brand new password 7",
                           datetime.now(UTC), client) is not None


@pytest.mark.parametrize("name", ["admin\x00", "ad\u200bmin", "\u202enimda", "ad\tmin",
                                  "ADMIN\u0301"])
def test_a_sign_in_name_with_hidden_characters_fails_like_any_wrong_name(
    engine: Engine, name: str,
) -> None:
    """NUL in a sign-in name crashed the page on PostgreSQL; now each backend answers as for
    an unknown name (no account's count moves, nothing typed is kept)."""
    setup_users(engine)
    assert try_sign_in(engine, name, GOOD, datetime.now(UTC), ADMIN_DESK) is None
    with db.transaction(engine, readonly=True) as s:
        records = db.audit_records(session=s, action="sign_in_failed")
        assert db.failures_since(session=s, user_id=1, since=NOW - timedelta(days=1)) == 0
    assert [(r.user, r.detail) for r in records] == [(accounts.UNKNOWN_USER, "unknown user")]


@pytest.mark.parametrize(("shown", "said"), [
    ("Dr. A.\u202e Rivera", "The full name contains an invisible or control character (U+202E)"),
    ("Dr. A.\x00Rivera", "The full name contains an invisible or control character (U+0000)"),
    ("x" * 201, "at most 200 characters"),
])
def test_a_full_name_printed_on_plans_is_refused_with_hidden_characters(
    engine: Engine, shown: str, said: str,
) -> None:
    setup_users(engine)
    with pytest.raises(AccountError, match=re.escape(said)), db.transaction(engine) as s:
        accounts.add_user(session=s, username="lee", display_name=shown, role="clinician",
                          password=GOOD, by="admin", now=NOW)
    with db.transaction(engine) as s:  # composed when kept
        accounts.add_user(session=s, username="lee", display_name="Dr. Zoe\u0308 Lee",
                          role="clinician", password=GOOD, by="admin", now=NOW)
        assert [u.display_name for u in db.list_users(session=s) if u.username == "lee"] == [
            "Dr. Zoë Lee"]


def test_an_offline_edit_of_one_signed_record_is_found_by_audit_verify_on_both_backends(
    migrated: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30: the app cannot change a record (triggers; on PostgreSQL also its grants,
    tests/test_pg_roles.py). Someone who can (the owner, a file copy) edits one record
    offline: ``careplan audit verify`` names it and exits 1."""
    key = "an audit key kept in a file only its owner reads"
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", key)
    engine = migrated
    setup_users(engine)
    with db.transaction(engine) as s:
        for i in range(3):
            db.append_audit(session=s, user="rivera", action="export", outcome="success",
                            now=NOW + timedelta(seconds=i), patient_id=7)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 3"))
    with engine.begin() as conn:  # the owner, offline: guards off, one record changed
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_log SET patient_id = 8 WHERE seq = 3"))
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url,
           "CAREPLAN_AUDIT_KEY": key}
    verify = subprocess.run([sys.executable, "-m", "careplan", "audit", "verify"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 1
    assert "record 3 was altered" in verify.stderr
    assert "The audit trail is broken" in verify.stderr
