"""The audit trail's hash chain: who did what, to which patient, when, with what outcome.

Why a chain: each record's hash covers its content and the previous record's hash,
so changing, inserting or deleting a record anywhere but the tail breaks every
hash after it. The hash is an HMAC under the audit key (``CAREPLAN_AUDIT_KEY`` or
``CAREPLAN_AUDIT_KEY_FILE``), so someone with database access but without the key
cannot forge a consistent chain; each record names the key that signed it (``key_id``,
a public fingerprint), so a chain cannot quietly switch keys or drop back to plain
SHA-256. The tail is protected by anchoring: ``careplan audit head`` prints the head to
keep outside the database, and ``audit verify --anchor`` checks it is still there.
Records hold ids and action names only: no names, notes or answers (no PHI). The one free
text is a break-the-glass reason (200 characters at most), typed by the clinician for the
reviewers, who need it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, get_args

from careplan import settings

Action = Literal[
    "sign_in", "sign_in_failed", "lockout", "sign_out", "idle_logoff", "create_admin",
    "user_added", "user_disabled", "password_reset",
    "view_patient", "create_patient", "create_intake", "change_intake",
    "save_plan", "review_plan", "acknowledge_alert", "accept_remaining", "sign_plan",
    "revise_plan", "export", "view_audit",
    "access_denied", "break_the_glass", "team_changed",
]
Outcome = Literal["success", "failure", "denied"]
ACTIONS: Final[tuple[str, ...]] = get_args(Action)
GENESIS: Final = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored record of the trail, as read back for verification or display."""

    seq: int
    at: datetime
    user: str
    action: str
    patient_id: int | None
    outcome: str
    detail: str
    prev_hash: str
    hash: str
    key_id: str = ""


def key_id(key: str) -> str:
    """A public fingerprint of an audit key (``""``: no key); it reveals nothing of it."""
    if not key:
        return ""
    return hashlib.sha256(b"inomyalgia-care audit key id\0" + key.encode()).hexdigest()[:12]


def current_key() -> str:
    return settings.current().audit_key


def record_hash(
    *, seq: int, at: datetime, user: str, action: str, patient_id: int | None, outcome: str,
    detail: str, prev_hash: str, key: str = "", legacy: bool = False,
) -> str:
    """HMAC-SHA-256 under ``key`` (plain SHA-256 without one) over a canonical JSON of the
    record; a signed record's payload also carries its key id (``legacy``: not, as records
    signed before schema revision 0004 were)."""
    fields: list[object] = [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), user,
                            action, patient_id, outcome, detail, prev_hash]
    if key and not legacy:
        fields.append(key_id(key))
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    if key:
        return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


def verify(records: Iterable[AuditRecord], *, key: str | None = None,
           anchors: Iterable[tuple[int, str]] = ()) -> list[str]:
    """Every break in the chain, in words; an empty list means the trail is intact.

    ``key`` defaults to the configured audit key. ``anchors`` are (seq, hash) pairs kept
    outside the database (``careplan audit head``): each must still be in the chain.
    """
    key = current_key() if key is None else key
    mine = key_id(key)
    problems: list[str] = []
    previous_hash, expected_seq, signed_seen = GENESIS, 1, False
    hashes: dict[int, str] = {}
    for record in records:
        if record.seq != expected_seq:
            problems.append(f"record {expected_seq} to {record.seq - 1} missing (deleted?)")
        if record.prev_hash != previous_hash:
            problems.append(f"record {record.seq} does not follow the record before it")
        if record.key_id and record.key_id != mine:
            problems.append(f"record {record.seq} is signed with key {record.key_id}, which is "
                            "not the configured audit key; it cannot be checked")
        elif not record.key_id and signed_seen:
            problems.append(f"record {record.seq} is not signed although records before it "
                            "are (written without the key, or rewritten?)")
        elif not _matches(record, key):
            problems.append(f"record {record.seq} was altered")
        signed_seen = signed_seen or bool(record.key_id)
        hashes[record.seq] = record.hash
        previous_hash, expected_seq = record.hash, record.seq + 1
    for seq, anchored in anchors:
        if hashes.get(seq) != anchored:
            problems.append(f"record {seq} is not the one anchored outside the database "
                            "(the trail was rewritten, or the anchor is from another database)")
    return problems


def _matches(record: AuditRecord, key: str) -> bool:
    """The record's hash is the one its content gives: signed records under ``key``;
    records without a key id plainly, or (written before revision 0004, when records did
    not name their key) under ``key`` without the id."""
    def hashed(with_key: str, *, legacy: bool = False) -> str:
        return record_hash(seq=record.seq, at=record.at, user=record.user,
                           action=record.action, patient_id=record.patient_id,
                           outcome=record.outcome, detail=record.detail,
                           prev_hash=record.prev_hash, key=with_key, legacy=legacy)

    if record.key_id:
        return hmac.compare_digest(hashed(key), record.hash)
    candidates = [hashed("")] + ([hashed(key, legacy=True)] if key else [])
    return any(hmac.compare_digest(c, record.hash) for c in candidates)


def read_anchors(text: str) -> list[tuple[int, str]]:
    """Anchors as kept by ``careplan audit head >> FILE``: one "seq hash" per line."""
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or line.lstrip().startswith("#"):
            continue
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
            raise ValueError(f"anchor line {number} is not 'seq hash'")
        anchors.append((int(parts[0]), parts[1]))
    return anchors
