"""Unfinished review typing: what a clinician typed on a plan version's item and has not
saved as a decision yet, kept as typed (``UnfinishedReview``).

Why a table of its own, and not the review: a decision is saved only when complete (a
rejection with its reason, an edit with its own text and reason), and what is typed before
that must survive a page switch, a refresh or a new tab. Kept apart, it can never count as
reviewed or reach a handout. One row per plan version, user name and item; a save replaces
the row (an upsert, so two tabs of one clinician never collide); the last one typed wins.
Storage checks nothing clinical: the use cases (``careplan.visits``) say what may be kept.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from careplan.errors import StorageError
from careplan.storage.models import UnfinishedReview, User
from careplan.storage.records import _text
from careplan.text import hidden_character, refusal

NEW_ITEM: Final = "+new"  # the item id of the form that adds an item of one's own


@dataclass(frozen=True, slots=True)
class Unfinished:
    """One clinician's unfinished typing on one item (or the add-item form, ``NEW_ITEM``)."""

    plan_id: int
    item_id: str
    username: str
    by: str  # the display name, for "Dr X has an unfinished edit"
    action: str | None  # "reject" or "edit"; None in the add-item form
    reason: str
    patient_text: str | None
    domain: str | None
    title: str | None
    updated_at: datetime


def keep_unfinished(
    *, session: Session, plan_id: int, username: str, item_id: str, action: str | None,
    reason: str, patient_text: str | None, domain: str | None = None,
    title: str | None = None, now: datetime,
) -> None:
    """Keep the typing of ``username`` on ``item_id`` of the plan version, replacing what was
    kept before (one row per plan, user and item)."""
    values: dict[str, Any] = {
        "plan_id": plan_id, "username": username, "item_id": item_id, "action": action,
        "domain": domain, "title": None if title is None else _text(title, field="the title"),
        "reason": _note(reason, field="the reason"),
        "patient_text": None if patient_text is None else _note(
            patient_text, field="the text for the patient"),
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    statement = upsert(UnfinishedReview).values(**values)
    changed = {k: statement.excluded[k] for k in values if k not in (
        "plan_id", "username", "item_id")}
    session.execute(statement.on_conflict_do_update(
        index_elements=["plan_id", "username", "item_id"], set_=changed))


def _note(value: str, *, field: str) -> str:
    """A text with lines (a reason, a text for the patient): NUL and the other invisible or
    control characters refused on both backends alike, line breaks and tabs kept."""
    hidden = hidden_character(value, lines=True)
    if hidden is not None:
        raise StorageError(f"{field} {refusal(hidden)}")
    return value


def drop_unfinished(
    *, session: Session, plan_id: int, username: str | None = None,
    item_ids: Collection[str] | None = None,
) -> int:
    """Forget unfinished typing on the plan version: of ``username`` only (else everyone's),
    on ``item_ids`` only (else every item). How many rows went."""
    statement = delete(UnfinishedReview).where(UnfinishedReview.plan_id == plan_id)
    if username is not None:
        statement = statement.where(UnfinishedReview.username == username)
    if item_ids is not None:
        statement = statement.where(UnfinishedReview.item_id.in_(sorted(set(item_ids))))
    found: Any = session.execute(statement)
    return int(found.rowcount or 0)


def move_unfinished(
    *, session: Session, from_plan: int, to_plan: int, item_ids: Collection[str],
) -> int:
    """Move the unfinished typing on ``item_ids`` (everyone's) to another version of the
    plan (a rebuild), and forget the rest of ``from_plan``'s. How many rows moved."""
    kept = sorted({*item_ids, NEW_ITEM})
    moved: Any = session.execute(
        update(UnfinishedReview).where(UnfinishedReview.plan_id == from_plan,
                                       UnfinishedReview.item_id.in_(kept))
        .values(plan_id=to_plan).execution_options(synchronize_session=False))
    drop_unfinished(session=session, plan_id=from_plan)
    return int(moved.rowcount or 0)


def unfinished_of_plan(*, session: Session, plan_id: int) -> list[Unfinished]:
    """Every clinician's unfinished typing on the plan version, oldest first."""
    rows = session.execute(
        select(UnfinishedReview, User.display_name)
        .outerjoin(User, User.username == UnfinishedReview.username)
        .where(UnfinishedReview.plan_id == plan_id)
        .order_by(UnfinishedReview.updated_at, UnfinishedReview.id)
    ).all()
    return [Unfinished(row.plan_id, row.item_id, row.username, name or row.username,
                       row.action, row.reason, row.patient_text, row.domain, row.title,
                       row.updated_at)
            for row, name in rows]
