"""The audit trail as stored: one hash-chained record per action, in the action's transaction.

``careplan.audit`` owns the hash and the record's shape; the table refuses changes
(``models.APPEND_ONLY_SQL``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careplan.errors import AuditKeyError
from careplan.storage.models import AuditRow
from careplan.storage.records import _possible


def append_audit(
    *, session: Session, user: str, action: str, outcome: str, now: datetime,
    patient_id: int | None = None, detail: str = "",
) -> int:
    """Add one chained record in the caller's transaction (so it commits with the action).

    Signed with the configured audit key. A chain already signed with a key is never
    extended without that key (``AuditKeyError``, and the action is not done): before, a
    command run without the key wrote plain records into a signed chain.
    """
    from careplan.audit import GENESIS, current_key, key_id, record_hash

    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(4242)))  # one writer extends the chain
    last = session.execute(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).scalar()
    key = current_key()
    if last is not None and last.key_id and last.key_id != key_id(key):
        raise AuditKeyError(
            f"The audit trail is signed with key {last.key_id}, and "
            + ("no audit key is set" if not key else f"the audit key set is {key_id(key)}")
            + ": nothing was done. Set CAREPLAN_AUDIT_KEY_FILE (or CAREPLAN_AUDIT_KEY) to the "
            "trail's key.")
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = now.astimezone(UTC).replace(microsecond=now.microsecond)
    digest = record_hash(seq=seq, at=at, user=user, action=action, patient_id=patient_id,
                         outcome=outcome, detail=detail[:500], prev_hash=prev, key=key)
    session.add(AuditRow(seq=seq, at=at, username=user, action=action, patient_id=patient_id,
                         outcome=outcome, detail=detail[:500], prev_hash=prev, hash=digest,
                         key_id=key_id(key)))
    session.flush()
    return seq


def audit_records(
    *, session: Session, user: str | None = None, action: str | None = None,
    patient_id: int | None = None, limit: int | None = None,
) -> list[Any]:
    """Audit records oldest first, optionally filtered (filters are bound parameters)."""
    from careplan.audit import AuditRecord

    if patient_id is not None and not _possible(patient_id):  # a filter typed on the Admin
        return []  # page beyond any id: no records (PostgreSQL would refuse the number)
    statement = select(AuditRow).order_by(AuditRow.seq)
    if user:
        statement = statement.where(AuditRow.username == user)
    if action:
        statement = statement.where(AuditRow.action == action)
    if patient_id is not None:
        statement = statement.where(AuditRow.patient_id == patient_id)
    if limit is not None:
        statement = statement.order_by(None).order_by(AuditRow.seq.desc()).limit(limit)
    rows = list(session.execute(statement).scalars())
    if limit is not None:
        rows.reverse()
    return [AuditRecord(r.seq, r.at, r.username, r.action, r.patient_id, r.outcome, r.detail,
                        r.prev_hash, r.hash, r.key_id) for r in rows]
