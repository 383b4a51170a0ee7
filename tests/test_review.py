"""The clinician's review as data: nothing is decided by default, urgent alerts are
acknowledged for the alert as it stands, and a rebuild carries forward only what is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from careplan.clinical.engine import build_plan
from careplan.clinical.plan import CarePlan
from careplan.clinical.review import (
    Decision,
    Review,
    blockers,
    carried_forward,
    plan_changes,
    unacknowledged,
    undecided,
)
from careplan.intake.model import Intake
from factories import TODAY, make_intake

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
NIGHT_PAIN = {"red_flags.night_pain": True}  # an urgent alert: cancer to be excluded


def plan_of(
    changes: dict[str, Any] | None = None, *, unset: tuple[str, ...] = (),
) -> tuple[CarePlan, Intake]:
    intake = make_intake(changes, unset=unset)
    return build_plan(intake=intake, today=TODAY), intake


def all_accepted(plan: CarePlan) -> Review:
    return Review(decisions=tuple(Decision(item_id=r.id, action="accept")
                                  for r in plan.recommendations))


def test_an_item_nobody_decided_is_not_reviewed_and_blocks_signing() -> None:
    """Before, a recommendation nobody opened was signed as accepted (the page's default)."""
    plan, intake = plan_of()
    assert undecided(plan, None) == plan.recommendations
    assert undecided(plan, Review()) == plan.recommendations
    missing = blockers(plan, Review(), intake)
    assert missing.undecided == plan.recommendations
    assert missing.summary() == f"{len(plan.recommendations)} items not reviewed"
    assert not blockers(plan, all_accepted(plan), intake)


def test_every_blocker_is_said_in_words_without_field_names() -> None:
    plan, intake = plan_of(NIGHT_PAIN, unset=("red_flags.fever_or_chills",))
    missing = blockers(plan, Review(), intake)
    one = plan.recommendations[0]
    assert missing.summary() == (
        f"1 red-flag question not asked, 1 urgent alert not acknowledged "
        f"(“Features that need cancer excluded”), "
        f"{len(plan.recommendations)} items not reviewed")
    problems = {p.path: p.message for p in missing.problems()}
    assert problems["red_flags.fever_or_chills"] == "red-flag question not asked: Fever or chills"
    assert problems["alerts.RF-MALIGNANCY"] == (
        "urgent alert not acknowledged: Features that need cancer excluded")
    assert problems[f"recommendations.{one.id}"] == f"not reviewed: {one.title}"
    assert not any("_" in m or "red_flags" in m for m in problems.values())


def test_an_urgent_alert_blocks_signing_until_acknowledged_and_says_who_and_when() -> None:
    plan, intake = plan_of(NIGHT_PAIN)
    [alert] = plan.alerts
    review = all_accepted(plan)
    assert unacknowledged(plan, review) == (alert,)
    assert blockers(plan, review, intake).alerts == (alert,)
    done = review.acknowledging(alert, by="Dr. A. Rivera", at=AT)
    mark = done.acknowledgement_of(alert)
    assert mark is not None
    assert (mark.by, mark.at) == ("Dr. A. Rivera", AT)
    assert not blockers(plan, done, intake)
    again = Review.model_validate_json(done.model_dump_json())  # as stored and read back
    assert again.acknowledgement_of(alert) == mark


def test_a_routine_alert_needs_no_acknowledgement() -> None:
    plan, _ = plan_of({"history.conditions": ["hypothyroidism"]})
    routine = [a for a in plan.alerts if a.severity == "routine"]
    assert routine, "the example should raise a routine alert"
    assert not [a for a in unacknowledged(plan, Review()) if a in routine]


def test_an_acknowledgement_holds_for_the_alert_unchanged_only() -> None:
    """An alert with other facts behind it (weight loss as well as night pain) is a new
    alert to acknowledge; an unrelated change elsewhere keeps the acknowledgement."""
    plan, _ = plan_of(NIGHT_PAIN)
    acknowledged = all_accepted(plan).acknowledging(plan.alerts[0], by="Dr. A. Rivera", at=AT)
    changed, _ = plan_of({**NIGHT_PAIN, "red_flags.unexplained_weight_loss": True})
    assert acknowledged.acknowledgement_of(changed.alerts[0]) is None
    assert carried_forward(plan, acknowledged, changed).acknowledged == ()
    same, _ = plan_of({**NIGHT_PAIN, "history.pain_now": 7})
    assert carried_forward(plan, acknowledged, same).acknowledged == acknowledged.acknowledged


def test_a_rebuild_lists_what_was_added_removed_and_reworded() -> None:
    plan, _ = plan_of()
    shorter, _ = plan_of({"history.duration_weeks": 3})  # acute: other items and weeks
    changes = plan_changes(plan, shorter)
    assert {i.id for i in changes.removed} == {"REST-PACING", "NUT-VITAMIN-D",
                                               "FU-BASELINE-LABS"}
    assert [i.id for i in changes.reworded] == ["FU-REVIEW"]
    assert "MED-STATIN-SAMS" in {i.id for i in changes.reasons}  # same words, other facts
    flagged, _ = plan_of(NIGHT_PAIN)
    assert {i.id for i in plan_changes(plan, flagged).added} == {"RF-MALIGNANCY",
                                                                 "FU-REVIEW-AFTER-ALERT"}
    assert not plan_changes(plan, plan)


def test_a_rebuild_carries_decisions_on_unchanged_items_only() -> None:
    """Before, a rebuild wiped every decision and reason. Now: unchanged items keep theirs
    (with the reason), a reworded item is not reviewed again, a removed one is gone, and the
    clinician's own items stay."""
    from careplan.clinical.review import AddedRecommendation

    plan, _ = plan_of()
    review = all_accepted(plan).deciding("REST-HEAT", Decision(
        item_id="REST-HEAT", action="reject", reason="Numb skin over the shoulders"))
    review = review.deciding("FU-REVIEW", Decision(
        item_id="FU-REVIEW", action="edit", reason="Sooner", patient_text="Come back in 2 weeks."))
    review = review.model_copy(update={"added": (AddedRecommendation(
        domain="rest", title="Walk", patient_text="Walk daily.", reason="Likes walking"),)})
    rebuilt, intake = plan_of({"history.duration_weeks": 3})
    carried = carried_forward(plan, review, rebuilt)
    assert carried.decision_for("REST-HEAT") == review.decision_for("REST-HEAT")
    assert carried.decision_for("MED-STATIN-SAMS") is not None  # only its facts changed
    assert carried.decision_for("FU-REVIEW") is None  # reworded: decided again
    assert carried.decision_for("REST-PACING") is None  # removed
    assert carried.added == review.added
    assert not carried.signed
    assert [r.id for r in blockers(rebuilt, carried, intake).undecided] == ["FU-REVIEW"]


def test_accept_remaining_accepts_only_what_was_waiting() -> None:
    from careplan.clinical.review import accepting

    plan, _ = plan_of()
    review = Review(decisions=(Decision(item_id="REST-HEAT", action="reject", reason="No"),))
    waiting = tuple(r.id for r in undecided(plan, review))
    done = accepting(plan, review, waiting)
    assert undecided(plan, done) == ()
    assert done.decision_for("REST-HEAT") == review.decision_for("REST-HEAT")
    with pytest.raises(ValueError, match="Not an item waiting for review: REST-HEAT"):
        accepting(plan, review, ("REST-HEAT",))
