"""The audit trail's hash chain: who did what, to which patient, when, with what outcome.

Why a chain: each record's hash covers its content and the previous record's hash,
so changing, inserting or deleting a record anywhere but the tail breaks every
hash after it. The hash is an HMAC when ``CAREPLAN_AUDIT_KEY`` is set, so someone
with database access but without the key cannot forge a consistent chain.
Records hold ids and action names only: no names, notes or answers (no PHI).
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
    "save_plan", "review_plan", "sign_plan", "revise_plan", "export", "view_audit",
    "access_denied",
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


def _key() -> bytes | None:
    key = settings.current().audit_key
    return key.encode() if key else None


def record_hash(
    *, seq: int, at: datetime, user: str, action: str, patient_id: int | None, outcome: str,
    detail: str, prev_hash: str,
) -> str:
    """SHA-256 (or HMAC-SHA-256 with the audit key) over a canonical JSON of the record."""
    payload = json.dumps(
        [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), user, action, patient_id,
         outcome, detail, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    ).encode()
    key = _key()
    if key:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


def verify(records: Iterable[AuditRecord]) -> list[str]:
    """Every break in the chain, in words; an empty list means the trail is intact."""
    problems: list[str] = []
    previous_hash, expected_seq = GENESIS, 1
    for record in records:
        if record.seq != expected_seq:
            problems.append(f"record {expected_seq} to {record.seq - 1} missing (deleted?)")
        if record.prev_hash != previous_hash:
            problems.append(f"record {record.seq} does not follow the record before it")
        recomputed = record_hash(
            seq=record.seq, at=record.at, user=record.user, action=record.action,
            patient_id=record.patient_id, outcome=record.outcome, detail=record.detail,
            prev_hash=record.prev_hash,
        )
        if not hmac.compare_digest(recomputed, record.hash):
            problems.append(f"record {record.seq} was altered")
        previous_hash, expected_seq = record.hash, record.seq + 1
    return problems
