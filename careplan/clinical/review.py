"""The clinician's review of a proposed plan: accept, reject, edit or add, with reasons.

Why it is data: the patient handout shows only what the clinician reviewed, and
the record must say who decided what and why. Reasons are required for every
rejection and edit. Until a review exists the engine's plan is a draft.

Rules of the handout: a reviewed plan shows the recommendations that were
accepted, edited or added; undecided or rejected ones are left out. Alerts are
safety escalations: they stay unless a clinician rejects one with a reason.

Rules of signing (``blockers``): nothing is signed by default. The version is the one the
intake as saved proposes (not an older one: a red flag ticked since would be missing),
every red-flag question is answered, every emergency or urgent alert acknowledged (who,
when, and which wording: an acknowledgement names the alert's fingerprint, so it holds for
that alert unchanged only), and every recommendation decided: an item nobody decided is
"not reviewed".

Rules of a rebuild (``carried_forward``): a new version built from a changed intake keeps
the decisions on recommendations whose words are unchanged (a change in the facts behind
one alone keeps it), the decisions on and acknowledgements of alerts that are unchanged in
every part, and the clinician's own items. A decision on a reworded item is not carried:
the item is "not reviewed" again, and ``plan_changes`` lists it (the page shows the
decision it had).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, Self

from pydantic import ConfigDict, model_validator

from careplan.clinical.plan import DOMAINS, Alert, CarePlan, Domain, Recommendation
from careplan.clinical.scoring import red_flags_not_asked
from careplan.errors import Problem
from careplan.intake.model import RED_FLAG_LABELS, Intake, Line, Note, StrictModel

Action = Literal["accept", "reject", "edit"]
ADDED_PREFIX = "ADDED-"
ACKNOWLEDGED_SEVERITIES: Final = ("emergency", "urgent")  # signing waits for these
Item = Alert | Recommendation


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


def fingerprint(alert: Alert) -> str:
    """The alert in every part (wording, urgency, the facts behind it, source) as 16 hex
    digits: an acknowledgement holds for the alert it was given to, not for a changed one."""
    return hashlib.sha256(alert.model_dump_json().encode()).hexdigest()[:16]


class Acknowledgement(_Reviewed):
    """A clinician saw an emergency or urgent alert and took it on: who, when, which one."""

    alert_id: Line
    alert: Line  # the fingerprint of the alert as it was acknowledged
    by: Line
    at: datetime


class Review(_Reviewed):
    """All decisions on one plan, the acknowledged alerts, and the signature when signed."""

    decisions: tuple[Decision, ...] = ()
    added: tuple[AddedRecommendation, ...] = ()
    acknowledged: tuple[Acknowledgement, ...] = ()
    signed_by: Line | None = None
    signed_on: date | None = None

    @model_validator(mode="after")
    def _one_decision_per_item(self) -> Self:
        ids = [d.item_id for d in self.decisions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"more than one decision for {', '.join(repeated)}")
        alerts = [a.alert_id for a in self.acknowledged]
        repeated = sorted({i for i in alerts if alerts.count(i) > 1})
        if repeated:
            raise ValueError(f"more than one acknowledgement of {', '.join(repeated)}")
        if (self.signed_by is None) != (self.signed_on is None):
            raise ValueError("a signature needs both signed_by and signed_on")
        return self

    @property
    def signed(self) -> bool:
        return self.signed_by is not None

    def decision_for(self, item_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.item_id == item_id), None)

    def acknowledgement_of(self, alert: Alert) -> Acknowledgement | None:
        """The acknowledgement of this alert as it stands (none for a changed alert)."""
        mark = fingerprint(alert)
        return next((a for a in self.acknowledged
                     if a.alert_id == alert.id and a.alert == mark), None)

    def deciding(self, item_id: str, decision: Decision | None) -> Review:
        """This review with ``item_id`` decided anew (``None``: not reviewed again)."""
        if decision is not None and decision.item_id != item_id:
            raise ValueError(f"a decision on {decision.item_id} given for {item_id}")
        kept = tuple(d for d in self.decisions if d.item_id != item_id)
        return self.model_copy(update={
            "decisions": kept if decision is None else (*kept, decision)})

    def acknowledging(self, alert: Alert, *, by: str, at: datetime) -> Review:
        """This review with ``alert`` acknowledged by ``by`` at ``at``."""
        kept = tuple(a for a in self.acknowledged if a.alert_id != alert.id)
        mark = Acknowledgement(alert_id=alert.id, alert=fingerprint(alert), by=by, at=at)
        return self.model_copy(update={"acknowledged": (*kept, mark)})


def needs_acknowledgement(alert: Alert) -> bool:
    """An emergency or urgent alert: the plan is signed only once a clinician took it on."""
    return alert.severity in ACKNOWLEDGED_SEVERITIES


def unacknowledged(plan: CarePlan, review: Review | None) -> tuple[Alert, ...]:
    """The emergency and urgent alerts nobody acknowledged (as they stand), most urgent first."""
    return tuple(a for a in plan.alerts if needs_acknowledgement(a)
                 and (review is None or review.acknowledgement_of(a) is None))


def undecided(plan: CarePlan, review: Review | None) -> tuple[Recommendation, ...]:
    """The recommendations nobody accepted, rejected or edited: "not reviewed"."""
    return tuple(r for r in plan.recommendations
                 if review is None or review.decision_for(r.id) is None)


def accepting(plan: CarePlan, review: Review, item_ids: tuple[str, ...]) -> Review:
    """``review`` with each of ``item_ids`` accepted: "Accept all remaining", where the page
    names the items it showed as remaining. Each must be a recommendation nobody decided."""
    open_ids = {r.id for r in undecided(plan, review)}
    wrong = [i for i in item_ids if i not in open_ids]
    if wrong:
        raise ValueError(f"Not an item waiting for review: {', '.join(wrong)}")
    accepted = tuple(Decision(item_id=i, action="accept") for i in dict.fromkeys(item_ids))
    return review.model_copy(update={"decisions": (*review.decisions, *accepted)})


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _named(items: tuple[Item, ...], most: int = 3) -> str:
    """' (“Heat as self-care”)': a few items by their titles, none when there are many."""
    if len(items) > most:
        return ""
    return " (" + ", ".join(f"\u201c{i.title}\u201d" for i in items) + ")"


@dataclass(frozen=True, slots=True)
class Blockers:
    """Why a plan version cannot be signed yet; empty (false) when it can."""

    red_flags: tuple[str, ...] = ()  # red-flag questions not asked (field names)
    alerts: tuple[Alert, ...] = ()  # emergency or urgent alerts not acknowledged
    undecided: tuple[Recommendation, ...] = ()  # recommendations not reviewed
    intake_changed: bool = False  # the saved intake proposes another plan now

    def __bool__(self) -> bool:
        return bool(self.red_flags or self.alerts or self.undecided or self.intake_changed)

    def summary(self) -> str:
        """In words: '1 red-flag question not asked, 2 items not reviewed'."""
        parts: list[str] = []
        if self.intake_changed:
            parts.append("the intake changed after this version was made (rebuild it)")
        if self.red_flags:
            parts.append(_plural(len(self.red_flags), "red-flag question not asked",
                                 "red-flag questions not asked"))
        if self.alerts:
            kinds = " or ".join(dict.fromkeys(a.severity for a in self.alerts))
            parts.append(_plural(len(self.alerts), f"{kinds} alert not acknowledged",
                                 f"{kinds} alerts not acknowledged") + _named(self.alerts))
        if self.undecided:
            parts.append(_plural(len(self.undecided), "item not reviewed",
                                 "items not reviewed") + _named(self.undecided))
        return ", ".join(parts)

    def problems(self) -> list[Problem]:
        """One problem per blocker, each message in words (the path says where)."""
        return [
            *([Problem("intake", "the intake changed after this version was made; rebuild "
                       "the plan")] if self.intake_changed else []),
            *(Problem(f"red_flags.{name}", f"red-flag question not asked: {RED_FLAG_LABELS[name]}")
              for name in self.red_flags),
            *(Problem(f"alerts.{a.id}", f"{a.severity} alert not acknowledged: {a.title}")
              for a in self.alerts),
            *(Problem(f"recommendations.{r.id}", f"not reviewed: {r.title}")
              for r in self.undecided),
        ]


def blockers(
    plan: CarePlan, review: Review | None, intake: Intake, *, intake_changed: bool = False,
) -> Blockers:
    """What stands between this plan version (built from ``intake``) and a signature;
    ``intake_changed``: the intake as saved now proposes another plan (``same_proposal``)."""
    return Blockers(red_flags_not_asked(intake), unacknowledged(plan, review),
                    undecided(plan, review), intake_changed)


def same_proposal(plan: CarePlan, other: CarePlan | None) -> bool:
    """``other`` proposes what ``plan`` does, in every part but the day it was made."""
    return other is not None and (plan.model_dump(exclude={"generated_on"})
                                  == other.model_dump(exclude={"generated_on"}))


def _words(item: Item) -> tuple[str, ...]:
    """What an item says, to the clinician and the patient; not the facts behind it."""
    if isinstance(item, Alert):
        return (item.severity, item.timeframe, item.title, item.action, item.patient_text)
    return (item.domain, item.title, item.patient_text, item.clinician_note)


def _still_decided(before: Item, after: Item) -> bool:
    """A decision holds for a recommendation with the same words (the facts behind it may
    change), and for an alert the same in every part (as its acknowledgement does)."""
    if isinstance(after, Alert):
        return before == after
    return _words(before) == _words(after)


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """What a rebuild changes, item by item (alerts and recommendations)."""

    added: tuple[Item, ...] = ()
    removed: tuple[Item, ...] = ()  # as they were
    reworded: tuple[Item, ...] = ()  # as they are now: decided again
    reasons: tuple[Item, ...] = ()  # same words, other facts behind them: a recommendation
    # keeps its decision, an alert is acknowledged again

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.reworded or self.reasons)


def _items(plan: CarePlan) -> dict[str, Item]:
    return {**{a.id: a for a in plan.alerts}, **{r.id: r for r in plan.recommendations}}


def plan_changes(old: CarePlan, new: CarePlan) -> PlanChanges:
    """The items ``new`` adds, drops, rewords, or keeps with other facts behind them."""
    before, after = _items(old), _items(new)
    return PlanChanges(
        added=tuple(item for i, item in after.items() if i not in before),
        removed=tuple(item for i, item in before.items() if i not in after),
        reworded=tuple(item for i, item in after.items()
                       if i in before and _words(item) != _words(before[i])),
        reasons=tuple(item for i, item in after.items()
                      if i in before and _words(item) == _words(before[i])
                      and item != before[i]),
    )


def carried_forward(old: CarePlan, review: Review | None, new: CarePlan) -> Review:
    """The review of a plan version built again (``new``) from the one before (``old``):
    decisions on items with unchanged words, acknowledgements of unchanged alerts, and the
    clinician's own items; never the signature."""
    if review is None:
        return Review()
    before, after = _items(old), _items(new)
    kept = tuple(d for d in review.decisions if d.item_id in after and d.item_id in before
                 and _still_decided(before[d.item_id], after[d.item_id]))
    alerts = {a.id: a for a in new.alerts}
    acknowledged = tuple(a for a in review.acknowledged if a.alert_id in alerts
                         and fingerprint(alerts[a.alert_id]) == a.alert)
    return Review(decisions=kept, added=review.added, acknowledged=acknowledged)


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
