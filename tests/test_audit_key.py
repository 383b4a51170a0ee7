"""An audit trail that cannot be quietly rewritten: records name the key that signed them, a
signed chain is never extended without its key, heads kept outside the database catch a
rewrite, and the dashboard does not start without a key outside demo mode."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from apps import app
from careplan import audit
from careplan import storage as db
from careplan.errors import AuditKeyError, SettingError
from careplan.settings import load
from factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 40
NOW = datetime.now(UTC)


def append(engine: Engine, count: int, start: int = 0) -> None:
    with db.transaction(engine) as s:
        for i in range(count):
            db.append_audit(session=s, user="rivera", action="view_patient", outcome="success",
                            now=NOW + timedelta(seconds=start + i), patient_id=7)


def records(engine: Engine) -> list[audit.AuditRecord]:
    with db.transaction(engine, readonly=True) as s:
        return db.audit_records(session=s)


def test_records_name_their_key_and_verify_only_with_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    append(engine, 2)  # written before a key was set: unsigned, and still fine
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", KEY)
    append(engine, 2, start=2)
    trail = records(engine)
    assert [r.key_id for r in trail] == ["", "", audit.key_id(KEY), audit.key_id(KEY)]
    assert audit.verify(trail) == []
    assert audit.verify(trail, key="another key of forty characters or more!") == [
        f"record {n} is signed with key {audit.key_id(KEY)}, which is not the configured "
        "audit key; it cannot be checked" for n in (3, 4)]


def test_a_signed_chain_is_not_extended_without_its_key(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", KEY)
    append(engine, 1)
    monkeypatch.delenv("CAREPLAN_AUDIT_KEY")
    with pytest.raises(AuditKeyError, match=r"signed with key \w+, and no audit key is set"):
        append(engine, 1, start=1)
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", "a different key, forty characters or more")
    with pytest.raises(AuditKeyError, match="the audit key set is"):
        append(engine, 1, start=1)
    assert len(records(engine)) == 1


def _rewrite_unsigned(engine: Engine, start: int) -> None:
    """What an attacker with database access but no key can do: drop the guards, delete,
    and re-hash every record from ``start`` on without a key."""
    trail = records(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": start})
        prev = trail[start - 2].hash if start > 1 else audit.GENESIS
        for seq, record in enumerate(trail[start:], start=start):  # record `start` is gone
            digest = audit.record_hash(seq=seq, at=record.at, user=record.user,
                                       action=record.action, patient_id=record.patient_id,
                                       outcome=record.outcome, detail=record.detail,
                                       prev_hash=prev)
            conn.execute(text(
                "INSERT INTO audit_log (seq, at, username, action, patient_id, outcome, detail,"
                " prev_hash, hash, key_id) VALUES (:seq, :at, :u, :a, :p, :o, :d, :prev, :h, '')"
            ), {"seq": seq, "at": record.at, "u": record.user, "a": record.action,
                "p": record.patient_id, "o": record.outcome, "d": record.detail, "prev": prev,
                "h": digest})
            prev = digest


def test_a_rewrite_without_the_key_is_found(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", KEY)
    append(engine, 5)
    _rewrite_unsigned(engine, start=3)
    problems = audit.verify(records(engine))
    assert problems[0] == ("record 3 is not signed although records before it are (written "
                           "without the key, or rewritten?)")


def test_a_whole_chain_rewritten_is_found_by_its_anchor(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rewritten from the first record, no signed record is left to compare with: the head
    kept outside the database is what tells."""
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", KEY)
    append(engine, 4)
    head = records(engine)[-1]
    anchors = audit.read_anchors(f"# kept on another machine\n{head.seq} {head.hash}\n")
    assert audit.verify(records(engine), anchors=anchors) == []
    _rewrite_unsigned(engine, start=1)
    assert audit.verify(records(engine), anchors=anchors) == [
        "record 4 is not the one anchored outside the database (the trail was rewritten, or "
        "the anchor is from another database)"]


def test_the_command_makes_keys_prints_heads_and_checks_anchors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    key_file = tmp_path / "keys" / "audit.key"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url,
           "CAREPLAN_AUDIT_KEY_FILE": str(key_file)}
    env.pop("CAREPLAN_AUDIT_KEY", None)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "careplan", *args], input=stdin, cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120, check=False)

    made = run("audit", "new-key", str(key_file))
    assert made.returncode == 0, made.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert run("audit", "new-key", str(key_file)).returncode == 2  # never replaced
    added = run("users", "add", "ann", "--name", "Ann Admin", "--role", "admin",
                "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    head = run("audit", "head").stdout.split()
    assert head[0] == "1"
    assert len(head[1]) == 64
    anchor = tmp_path / "anchors.txt"
    anchor.write_text(" ".join(head) + "\n", encoding="utf-8")
    assert "1 anchor(s) matched" in run("audit", "verify", "--anchor", str(anchor)).stdout
    anchor.write_text(f"1 {'0' * 64}\n", encoding="utf-8")
    assert run("audit", "verify", "--anchor", str(anchor)).returncode == 1
    unkeyed = {**env, "CAREPLAN_AUDIT_KEY_FILE": ""}
    refused = subprocess.run(
        [sys.executable, "-m", "careplan", "users", "add", "bob", "--name", "Bob", "--role",
         "clinician", "--password-stdin"], input=PASSWORD + "\n", cwd=ROOT,
        env=unkeyed, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 2
    assert "signed with key" in refused.stderr
    assert run("audit", "verify").returncode == 0  # nothing was written by the refused command


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    path.write_text("x" * 48, encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(SettingError, match="may be read by others"):
        load({"CAREPLAN_AUDIT_KEY_FILE": str(path)})
    path.chmod(0o600)
    assert load({"CAREPLAN_AUDIT_KEY_FILE": str(path)}).audit_key == "x" * 48
    path.write_text("short", encoding="utf-8")
    with pytest.raises(SettingError, match="32 characters"):
        load({"CAREPLAN_AUDIT_KEY_FILE": str(path)})


def test_the_dashboard_does_not_start_without_a_key_unless_in_demo_mode(
    database: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = app("patients")
    assert any("audit trail is not signed" in c.value for c in demo.sidebar.caption)
    monkeypatch.setenv("CAREPLAN_DEMO", "0")
    refused = app("patients")
    assert any("cannot start: no audit key is set" in e.value for e in refused.error)
    assert not refused.title  # no sign-in form, no page
    monkeypatch.setenv("CAREPLAN_AUDIT_KEY", KEY)
    keyed = app("patients")
    assert keyed.title[0].value == "Patients"
    assert not any("not signed" in c.value for c in keyed.sidebar.caption)


def test_the_key_id_is_a_fingerprint_not_the_key() -> None:
    assert audit.key_id("") == ""
    assert len(audit.key_id(KEY)) == 12
    assert audit.key_id(KEY) not in (KEY, hashlib.sha256(KEY.encode()).hexdigest()[:12])
    assert json.dumps(audit.key_id(KEY)).isascii()


def test_records_signed_before_records_named_their_key_still_verify() -> None:
    """Before revision 0004 a keyed record's hash was the HMAC of the record without a key
    id, and the stored key id is empty: such a chain still verifies under its key."""
    record = {"seq": 1, "at": NOW, "user": "rivera", "action": "export", "patient_id": 3,
              "outcome": "success", "detail": "", "prev_hash": audit.GENESIS}
    old = audit.record_hash(**record, key=KEY, legacy=True)  # type: ignore[arg-type]
    stored = audit.AuditRecord(hash=old, **record)  # type: ignore[arg-type]
    assert audit.verify([stored], key=KEY) == []
    assert audit.verify([stored], key="") == ["record 1 was altered"]
