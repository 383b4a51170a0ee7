"""Plan versions: what the rules proposed, the clinician's review, the signature.

Why: signed plans are immutable (``models`` refuses the change); a change makes a new
version, and saving, signing and revising with the same ``request_id`` happen once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from careplan.errors import SignedPlanError
from careplan.storage.models import PlanVersion, Visit, utcnow
from careplan.storage.records import _check_version, _claim, _fetch, _lock, _remember
from careplan.storage.visits import patient_of_visit

if TYPE_CHECKING:  # imported where used: the sign-in form needs none of them (cold start)
    from careplan.clinical.plan import CarePlan
    from careplan.clinical.review import Review
    from careplan.intake.model import Intake

PlanStatus = Literal["draft", "signed"]


@dataclass(frozen=True, slots=True)
class StoredPlan:
    id: int
    visit_id: int
    number: int
    plan: CarePlan
    review: Review | None
    status: PlanStatus
    signed_by: str | None
    signed_at: datetime | None
    version: int
    intake: Intake  # the validated intake this version was built from


def save_plan(
    *, session: Session, visit_id: int, intake: Intake, plan: CarePlan, by: str,
    request_id: str | None = None, review: Review | None = None,
) -> int:
    """Store ``plan`` (built from ``intake``, the visit's draft) as the visit's next version,
    with ``review`` (what a rebuild carries forward from the version before) if given."""
    earlier = _claim(session, request_id=request_id, kind="save_plan")
    if earlier is not None:
        return earlier
    visit: Visit = _lock(session, Visit, visit_id)
    number = 1 + max((p.number for p in visit.plans), default=0)
    now = utcnow()
    stored = PlanVersion(
        visit_id=visit_id, number=number, intake=intake.model_dump_json(exclude_none=True),
        proposed=plan.model_dump_json(), status="draft",
        review="{}" if review is None else review.model_dump_json(
            exclude={"signed_by", "signed_on"}),
        rule_base=f"{plan.rule_base.version}+{plan.rule_base.digest}", created_at=now,
        updated_at=now, updated_by=by,
    )
    session.add(stored)
    session.flush()
    _remember(session, request_id=request_id, kind="save_plan", result_id=stored.id)
    return stored.id


def patient_of_plan(*, session: Session, plan_id: int) -> int:
    plan: PlanVersion = _fetch(session, PlanVersion, plan_id)
    return patient_of_visit(session=session, visit_id=plan.visit_id)


def save_review(
    *, session: Session, plan_id: int, review: Review, expected_version: int, by: str,
) -> int:
    """Record the clinician's decisions on an unsigned plan version."""
    stored: PlanVersion = _lock(session, PlanVersion, plan_id)
    if stored.status == "signed":
        raise SignedPlanError("this plan is signed; revise it to make a new version")
    _check_version(stored, expected_version, f"The review of plan {stored.number}",
                   json.loads(stored.review))
    stored.review = review.model_dump_json(exclude={"signed_by", "signed_on"})
    stored.updated_at, stored.updated_by = utcnow(), by
    session.flush()
    return stored.version


def sign_plan(
    *, session: Session, plan_id: int, expected_version: int, by: str, request_id: str | None,
) -> int:
    """Sign a plan version; signing twice with the same request id is one signature."""
    earlier = _claim(session, request_id=request_id, kind="sign_plan")
    if earlier is not None:
        return earlier
    stored: PlanVersion = _lock(session, PlanVersion, plan_id)
    if stored.status == "signed":
        raise SignedPlanError(f"plan {stored.number} was already signed by {stored.signed_by}")
    _check_version(stored, expected_version, f"The review of plan {stored.number}",
                   json.loads(stored.review))
    now = utcnow()
    stored.status, stored.signed_by, stored.signed_at = "signed", by, now
    stored.updated_at, stored.updated_by = now, by
    session.flush()
    _remember(session, request_id=request_id, kind="sign_plan", result_id=stored.id)
    return stored.id


def revise_plan(*, session: Session, plan_id: int, by: str, request_id: str | None = None) -> int:
    """A new unsigned version with the same proposal and review, to change a signed plan."""
    earlier = _claim(session, request_id=request_id, kind="revise_plan")
    if earlier is not None:
        return earlier
    source: PlanVersion = _lock(session, PlanVersion, plan_id)
    visit: Visit = _fetch(session, Visit, source.visit_id)
    now = utcnow()
    copy = PlanVersion(
        visit_id=source.visit_id, number=1 + max(p.number for p in visit.plans),
        intake=source.intake, proposed=source.proposed, review=source.review, status="draft",
        rule_base=source.rule_base, created_at=now, updated_at=now, updated_by=by,
    )
    session.add(copy)
    session.flush()
    _remember(session, request_id=request_id, kind="revise_plan", result_id=copy.id)
    return copy.id


def get_plan(*, session: Session, plan_id: int, lock: bool = False) -> StoredPlan:
    """One plan version; ``lock``: held for this transaction (a change is based on it)."""
    return _stored(_lock(session, PlanVersion, plan_id) if lock
                   else _fetch(session, PlanVersion, plan_id))


def last_plan_of_visit(*, session: Session, visit_id: int) -> StoredPlan | None:
    """The visit's newest plan version, if it has one."""
    row = session.execute(
        select(PlanVersion).where(PlanVersion.visit_id == visit_id)
        .order_by(PlanVersion.number.desc()).limit(1)
    ).scalar_one_or_none()
    return None if row is None else _stored(row)


def plans_of_visit(*, session: Session, visit_id: int) -> list[StoredPlan]:
    rows = session.execute(
        select(PlanVersion).where(PlanVersion.visit_id == visit_id).order_by(PlanVersion.number)
    ).scalars()
    return [_stored(row) for row in rows]


def _stored(row: PlanVersion) -> StoredPlan:
    from careplan.clinical.plan import CarePlan
    from careplan.clinical.review import Review
    from careplan.intake.model import Intake

    review_data = json.loads(row.review)
    review = None
    if review_data:
        review = Review.model_validate_json(row.review)
    if row.status == "signed" and row.signed_by and row.signed_at:
        review = (review or Review()).model_copy(
            update={"signed_by": row.signed_by, "signed_on": row.signed_at.date()}
        )
    status: PlanStatus = "signed" if row.status == "signed" else "draft"
    intake = Intake.model_validate_json(row.intake)
    return StoredPlan(row.id, row.visit_id, row.number, CarePlan.model_validate_json(row.proposed),
                      review, status, row.signed_by, row.signed_at, row.version, intake)
