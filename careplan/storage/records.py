"""What every stored record shares: lookups by id, versions, request ids, encoding.

Why:
- Two clinicians may edit one record: each has a ``version``; a save that names an old
  version raises ``ConflictError`` (who, when, their data) and writes nothing.
- Retries must not duplicate: creating, saving a plan and signing take a ``request_id``;
  the same id twice returns the first result (``RequestKey``).
- Text is refused with a NUL on both backends alike, and a name with control or invisible
  direction characters (``careplan.text``).
"""

from __future__ import annotations

import json
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from careplan.errors import ConflictError, NotFoundError, StorageError
from careplan.storage.models import Patient, PlanVersion, RequestKey, Visit, utcnow
from careplan.text import hidden_character, refusal


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _text(value: str, *, field: str) -> str:
    """Refuse NUL on both backends alike (PostgreSQL would raise, SQLite would store it), and
    control or invisible direction characters, which make one name look like another
    ("Ann\u202eeoD" shows as "AnnDoe"); with the words the intake model uses
    (``careplan.text``). Joiners stay allowed: Persian and Indic names use them."""
    hidden = hidden_character(value)
    if hidden is not None:
        raise StorageError(f"{field} {refusal(hidden)}")
    return value


def _claim(session: Session, *, request_id: str | None, kind: str) -> int | None:
    """The earlier result of this request, if it was already done."""
    if request_id is None:
        return None
    found = session.get(RequestKey, request_id)
    if found is None:
        return None
    if found.kind != kind:
        raise StorageError(f"request id {request_id} was already used for {found.kind}")
    return found.result_id


def _remember(session: Session, *, request_id: str | None, kind: str, result_id: int) -> None:
    if request_id is not None:
        session.add(RequestKey(key=request_id, kind=kind, result_id=result_id, created_at=utcnow()))


def _check_version(record: Patient | Visit | PlanVersion, expected: int, what: str,
                   current: object) -> None:
    if record.version != expected:
        raise ConflictError(what=what, changed_by=record.updated_by,
                            changed_at=record.updated_at, version=record.version, current=current)


_MAX_ID: Final = 2**31 - 1  # PostgreSQL's integer; SQLite's rowid goes further, ids never do


def _fetch(session: Session, model: type[Any], key: int) -> Any:
    """A row by id, or NotFoundError naming what is missing.

    An id no row can have (0, negative, or beyond ``_MAX_ID``, as a crafted URL may carry)
    is not found on both backends alike, without a query: SQLite would overflow and
    PostgreSQL refuse it."""
    row = session.get(model, key) if _possible(key) else None
    if row is None:
        raise NotFoundError(f"{model.__tablename__[:-1].replace('_', ' ')} {key} does not exist")
    return row


def _possible(key: object) -> bool:
    return isinstance(key, int) and not isinstance(key, bool) and 0 < key <= _MAX_ID


def _lock(session: Session, model: type[Any], key: int) -> Any:
    """Load a row for update (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE already locks)."""
    if not _possible(key):
        raise NotFoundError(f"{model.__tablename__[:-1].replace('_', ' ')} {key} does not exist")
    statement = select(model).where(model.id == key).with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"{model.__tablename__[:-1].replace('_', ' ')} {key} does not exist")
    return row


def claimed(*, session: Session, request_id: str | None, kind: str) -> int | None:
    """The result of a request already done (a retry or a double click), if any."""
    return _claim(session, request_id=request_id, kind=kind)
