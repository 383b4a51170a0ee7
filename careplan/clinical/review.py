"""The clinician's review of a proposed plan: accept, reject, edit or add, with reasons.

Why it is data: the patient handout shows only what the clinician reviewed, and
the record must say who decided what and why. Reasons are required for every
rejection and edit. Until a review exists the engine's plan is a draft.

Rules of the handout: a reviewed plan shows the recommendations that were
accepted, edited or added; undecided or rejected ones are left out. Alerts are
safety escalations: they stay unless a clinician rejects one with a reason.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import ConfigDict, model_validator

from careplan.clinical.plan import DOMAINS, Alert, CarePlan, Domain, Recommendation
from careplan.intake.model import Line, Note, StrictModel

Action = Literal["accept", "reject", "edit"]
ADDED_PREFIX = "ADDED-"


class _Reviewed(StrictModel):
    # Built on first use: printing a plan that has no review (the headless command)
    # never validates one, so it need not pay for building these validators.
    model_config = ConfigDict(defer_build=True)


class Decision(_Reviewed):
    """What the clinician did with one alert or recommendation of the proposed plan."""

    item_id: Line
    action: Action
    reason: Note | None = None
    patient_text: Note | None = None

    @model_validator(mode="after")
    def _reason_and_text(self) -> Self:
        if self.action in ("reject", "edit") and not self.reason:
            raise ValueError(f"a reason is required to {self.action} {self.item_id}")
        if self.action == "edit" and not self.patient_text:
            raise ValueError(f"an edit of {self.item_id} needs the new patient text")
        if self.action != "edit" and self.patient_text is not None:
            raise ValueError("patient_text is only given with an edit")
        return self


class AddedRecommendation(_Reviewed):
    """A recommendation the clinician wrote that no rule proposed."""

    domain: Domain
    title: Line
    patient_text: Note
    reason: Note


class Review(_Reviewed):
    """All decisions on one plan, and the signature when signed."""

    decisions: tuple[Decision, ...] = ()
    added: tuple[AddedRecommendation, ...] = ()
    signed_by: Line | None = None
    signed_on: date | None = None

    @model_validator(mode="after")
    def _one_decision_per_item(self) -> Self:
        ids = [d.item_id for d in self.decisions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"more than one decision for {', '.join(repeated)}")
        if (self.signed_by is None) != (self.signed_on is None):
            raise ValueError("a signature needs both signed_by and signed_on")
        return self

    @property
    def signed(self) -> bool:
        return self.signed_by is not None

    def decision_for(self, item_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.item_id == item_id), None)


def status_of(item_id: str, review: Review | None) -> str:
    """'proposed', 'accepted', 'rejected', 'edited' or 'added' for the clinician summary."""
    if item_id.startswith(ADDED_PREFIX):
        return "added"
    decision = None if review is None else review.decision_for(item_id)
    if decision is None:
        return "proposed"
    return {"accept": "accepted", "reject": "rejected", "edit": "edited"}[decision.action]


def shown_alerts(plan: CarePlan, review: Review | None) -> tuple[Alert, ...]:
    """Alerts for the patient: all of them, unless a clinician rejected one with a reason."""
    return tuple(a for a in plan.alerts if status_of(a.id, review) != "rejected")


def shown_recommendations(plan: CarePlan, review: Review | None) -> tuple[Recommendation, ...]:
    """The recommendations a patient may see: the draft's, or only the reviewed ones."""
    if review is None:
        return plan.recommendations
    shown: list[Recommendation] = []
    for rec in plan.recommendations:
        decision = review.decision_for(rec.id)
        if decision is None or decision.action == "reject":
            continue
        if decision.action == "edit" and decision.patient_text:  # as typed, in any language
            rec = rec.model_copy(
                update={"patient_text": decision.patient_text, "patient_text_es": None}
            )
        shown.append(rec)
    for number, added in enumerate(review.added, start=1):
        shown.append(
            Recommendation(
                id=f"{ADDED_PREFIX}{number}",
                domain=added.domain,
                title=added.title,
                patient_text=added.patient_text,
                clinician_note=added.reason,
                because=("added by the clinician",),
                source="Clinician judgement at review",
                priority=2,
            )
        )
    return tuple(sorted(shown, key=lambda r: (DOMAINS.index(r.domain), r.priority)))
