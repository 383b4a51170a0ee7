"""The use cases on SQLite and PostgreSQL: each write is one transaction with its audit
record, refused for an ended session, against the patient the visit belongs to, and an
answer costs one validation and one plan build."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from careplan import access, accounts, admin, patients, visits
from careplan import storage as db
from careplan.clinical import drafts, engine
from careplan.clinical.review import Decision, Review
from careplan.database import Database
from careplan.errors import (
    AccessDeniedError,
    InputError,
    IntakeError,
    NotReadyToSignError,
    SessionEndedError,
    SignedPlanError,
    StorageError,
)
from careplan.intake import validation
from factories import PASSWORD, TODAY, add_staff, apply, example_data, signed_in

BORN = date(1968, 3, 14)


@dataclass
class Clinic:
    """A database with an administrator, a signed-in clinician and one patient's visit."""

    db: Database
    admin: accounts.SignedIn
    rivera: accounts.SignedIn
    patient: int
    visit: int
    now: datetime


@pytest.fixture
def clinic(engine: Engine) -> Clinic:
    now = datetime.now(UTC)
    database = Database(engine)
    add_staff(database, now, ("rivera", "Dr. A. Rivera"))
    rivera = signed_in(database, "rivera", now)
    patient, visit = patients.create_with_visit(
        database, rivera, name="Zoë Nguyễn", date_of_birth=BORN, mrn="A-100234",
        visit_date=TODAY, request_id="new", now=now)
    return Clinic(database, signed_in(database, "admin", now), rivera, patient, visit, now)


def trail(clinic: Clinic) -> list[tuple[str, str, int | None, str]]:
    with clinic.db.transaction(readonly=True) as s:
        return [(r.user, r.action, r.patient_id, r.outcome) for r in db.audit_records(session=s)]


def fill(clinic: Clinic, data: dict[str, Any]) -> visits.DraftView:
    """Answer every top-level section of ``data`` as the Intake page would, one by one."""
    view = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY)
    for section, value in data.items():
        view = visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path=section,
                             value=value, expected_version=view.draft.version, today=TODAY,
                             now=clinic.now)
    return view


def test_an_answer_is_saved_with_its_scores_and_audited_against_the_visits_patient(
    clinic: Clinic,
) -> None:
    view = fill(clinic, example_data())
    assert view.preview.complete
    view = visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit,
                         path="history.pain_now", value=3,
                         expected_version=view.draft.version, today=TODAY, now=clinic.now)
    assert view.draft.data["history"]["pain_now"] == 3
    assert view.preview.plan is not None
    assert view.preview.plan.scores["pain_now"] == 3
    frame = patients.history(clinic.db, clinic.rivera, patient_id=clinic.patient)
    assert frame["pain_now"].tolist() == [3.0]  # the scores the use case derived, stored
    changes = [entry for entry in trail(clinic) if entry[1] == "change_intake"]
    assert changes[-1] == ("rivera", "change_intake", clinic.patient, "success")
    assert len(changes) == len(example_data()) + 1


def test_an_answer_and_its_audit_record_commit_together(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft

    def broken(**_: Any) -> int:
        raise StorageError("the audit table refused the record")

    monkeypatch.setattr(db, "append_audit", broken)
    with pytest.raises(StorageError, match="audit table"):
        visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="history.pain_now",
                      value=4, expected_version=before.version, today=TODAY, now=clinic.now)
    monkeypatch.undo()
    after = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    assert (after.version, after.data) == (before.version, before.data)


def end_by_sign_out(clinic: Clinic) -> datetime:
    with clinic.db.transaction() as s:
        accounts.sign_out(session=s, user=clinic.rivera, now=clinic.now)
    return clinic.now


def end_by_idle(clinic: Clinic) -> datetime:
    return clinic.now + accounts.idle_limit() + timedelta(minutes=1)


def end_by_disabling(clinic: Clinic) -> datetime:
    admin.set_active(clinic.db, clinic.admin, username="rivera", active=False, now=clinic.now)
    return clinic.now


def end_by_password_reset(clinic: Clinic) -> datetime:
    with clinic.db.transaction() as s:
        accounts.reset_password(session=s, username="rivera", password=PASSWORD + "!",
                                by="admin", now=clinic.now)
    return clinic.now


@pytest.mark.parametrize("end", [end_by_sign_out, end_by_idle, end_by_disabling,
                                 end_by_password_reset])
def test_after_the_session_ended_nothing_is_written_and_the_attempt_is_audited(
    clinic: Clinic, end: Callable[[Clinic], datetime],
) -> None:
    before = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    later = end(clinic)
    with pytest.raises(SessionEndedError):
        visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="history.notes",
                      value="typed in an old tab", expected_version=before.version,
                      today=TODAY, now=later)
    with pytest.raises(SessionEndedError):
        patients.create_with_visit(clinic.db, clinic.rivera, name="Someone Else",
                                   date_of_birth=BORN, mrn=None, visit_date=TODAY,
                                   request_id=None, now=later)
    after = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    assert (after.version, after.data) == (before.version, before.data)
    assert patients.find(clinic.db, clinic.rivera, query="Someone").shown == []
    denied = [entry for entry in trail(clinic) if entry[3] == "denied"]
    assert denied == [("rivera", "change_intake", None, "denied"),
                      ("rivera", "create_patient", None, "denied")]


AFTER_THE_VISIT = {"patient.date_of_birth": "2026-11-22"}  # a slip a person can type


def test_a_plan_version_needs_a_valid_intake_and_is_audited_when_built(clinic: Clinic) -> None:
    fill(clinic, apply(example_data(), AFTER_THE_VISIT))
    with pytest.raises(IntakeError, match=r"patient\.date_of_birth"):
        visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY,
                                  request_id="plan-1", now=clinic.now)
    assert visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit) == []
    assert [e for e in trail(clinic) if e[1] == "save_plan"] == []
    view = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY)
    visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="patient.date_of_birth",
                  value="1968-03-14", expected_version=view.draft.version, today=TODAY,
                  now=clinic.now)
    plan_id = visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit,
                                        today=TODAY, request_id="plan-2", now=clinic.now)
    again = visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit,
                                      today=TODAY, request_id="plan-2", now=clinic.now)
    stored = visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit)
    assert again == plan_id
    assert [p.id for p in stored] == [plan_id]
    assert stored[0].intake.patient.date_of_birth == date(1968, 3, 14)


def test_review_sign_revise_and_export_are_audited_against_the_plans_patient(
    clinic: Clinic,
) -> None:
    other, _ = patients.create_with_visit(
        clinic.db, clinic.rivera, name="Other Person", date_of_birth=BORN, mrn=None,
        visit_date=TODAY, request_id=None, now=clinic.now)
    fill(clinic, example_data())
    plan_id = visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit,
                                        today=TODAY, request_id=None, now=clinic.now)
    plan = visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit)[0]
    review = Review(decisions=tuple(Decision(item_id=r.id, action="accept")
                                    for r in plan.plan.recommendations))
    version = visits.review(clinic.db, clinic.rivera, plan_id=plan_id, decisions=review,
                            expected_version=plan.version, now=clinic.now)
    visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                request_id="sign", now=clinic.now)
    copy = visits.revise(clinic.db, clinic.rivera, plan_id=plan_id, request_id="revise",
                         now=clinic.now)
    visits.record_export(clinic.db, clinic.rivera, plan_id=copy, what="handout", now=clinic.now)
    done = {action: patient for _, action, patient, _ in trail(clinic)
            if action in ("review_plan", "sign_plan", "revise_plan", "export")}
    assert done == dict.fromkeys(("review_plan", "sign_plan", "revise_plan", "export"),
                                 clinic.patient)
    assert other != clinic.patient


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the validations and plan builds the use cases make."""
    counts = {"validate": 0, "build": 0}
    validate, build = validation.validate_intake, engine.build_plan

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        counts["validate"] += 1
        return validate(*args, **kwargs)

    def counting_build(*args: Any, **kwargs: Any) -> Any:
        counts["build"] += 1
        return build(*args, **kwargs)

    monkeypatch.setattr(drafts, "validate_intake", counting_validate)
    monkeypatch.setattr(drafts, "build_plan", counting_build)
    return counts


def _without(data: dict[str, Any], *paths: str) -> dict[str, Any]:
    trimmed: dict[str, Any] = json.loads(json.dumps(data, default=str))
    for path in paths:
        section, leaf = path.split(".")
        del trimmed[section][leaf]
    return trimmed


@pytest.mark.parametrize("gaps", [(), ("patient.name",),
                                  ("patient.date_of_birth", "visit.date")],
                         ids=["complete", "no name yet", "no birth or visit date yet"])
def test_an_answer_costs_one_validation_and_one_plan_build(
    clinic: Clinic, counted: dict[str, int], gaps: tuple[str, ...],
) -> None:
    """The answer's save, then the page run that follows it (which reuses the preview);
    a draft still missing required answers (the usual state mid-intake) costs no more."""
    shown = fill(clinic, _without(example_data(), *gaps))
    assert set(shown.preview.problems) == set(gaps)
    assert shown.preview.plan is not None
    counted.update(validate=0, build=0)
    shown = visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit,
                          path="history.pain_now", value=5,
                          expected_version=shown.draft.version, today=TODAY, now=clinic.now)
    rerun = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY,
                              cached=shown)
    assert rerun is shown
    assert counted == {"validate": 1, "build": 1}


def test_a_draft_changed_elsewhere_is_previewed_again(
    clinic: Clinic, counted: dict[str, int],
) -> None:
    mine = fill(clinic, example_data())
    access.break_the_glass(clinic.db, clinic.admin, patient_id=clinic.patient,
                           reason="covering for Dr Rivera today", now=clinic.now)
    theirs = visits.answer(clinic.db, clinic.admin, visit_id=clinic.visit,
                           path="history.pain_now", value=9,
                           expected_version=mine.draft.version, today=TODAY, now=clinic.now)
    counted.update(validate=0, build=0)
    shown = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY,
                              cached=mine)
    assert shown.draft.version == theirs.draft.version
    assert shown is not mine
    assert shown.preview.plan is not None
    assert shown.preview.plan.scores["pain_now"] == 9
    assert counted == {"validate": 1, "build": 1}


def test_an_unfinished_draft_is_still_scored(clinic: Clinic) -> None:
    view = fill(clinic, apply(example_data(), {"risk_factors.alcohol_units_per_week": 30,
                                               "risk_factors.alcohol_drinks_per_week": 2}))
    assert not view.preview.complete
    assert set(view.preview.problems) == {"risk_factors.alcohol_drinks_per_week"}
    assert view.preview.plan is not None
    assert view.preview.scores() is None
    assert view.preview.plan.scores["wpi"] is not None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"),
                                   {"pain": float("nan")}, [1.0, float("inf")]])
def test_a_number_that_is_not_finite_is_refused_not_stored(clinic: Clinic, value: Any) -> None:
    """A crafted client's NaN was stored as 0 ('no pain'); now nothing is written."""
    before = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    with pytest.raises(IntakeError, match="must be a number"):
        visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="history.pain_now",
                      value=value, expected_version=before.version, today=TODAY, now=clinic.now)
    after = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    assert (after.version, after.data) == (before.version, before.data)


def test_a_plan_with_a_red_flag_not_asked_is_not_signed(clinic: Clinic) -> None:
    """The page disables the Sign button; a crafted request is refused by the use case too,
    in words (before: 'red_flags.fever_or_chills: not asked')."""
    fill(clinic, apply(example_data(), unset=["red_flags.fever_or_chills"]))
    plan_id = visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit,
                                        today=TODAY, request_id=None, now=clinic.now)
    version = accept_all(clinic, plan_id)
    with pytest.raises(NotReadyToSignError) as refused:
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                    request_id="sign", now=clinic.now)
    assert str(refused.value) == "The plan was not signed: 1 red-flag question not asked."
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("red_flags.fever_or_chills", "red-flag question not asked: Fever or chills")]
    assert visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit)[0].status == "draft"


def built(clinic: Clinic, changes: dict[str, Any] | None = None) -> int:
    """The example intake (with ``changes``) saved and built into a plan version."""
    fill(clinic, apply(example_data(), changes or {}))
    return visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit,
                                     today=TODAY, request_id=None, now=clinic.now)


def stored_plan(clinic: Clinic, plan_id: int) -> db.StoredPlan:
    return next(p for p in visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit)
                if p.id == plan_id)


def accept_all(clinic: Clinic, plan_id: int) -> int:
    """'Accept all remaining' on every item still waiting; the new version."""
    stored = stored_plan(clinic, plan_id)
    waiting = tuple(r.id for r in stored.plan.recommendations
                    if stored.review is None or stored.review.decision_for(r.id) is None)
    return visits.accept_remaining(clinic.db, clinic.rivera, plan_id=plan_id, item_ids=waiting,
                                   expected_version=stored.version, now=clinic.now)


def test_a_plan_with_items_nobody_reviewed_is_not_signed(clinic: Clinic) -> None:
    """Before, every item defaulted to Accept: a plan nobody reviewed could be signed. A
    crafted request that skips the page is refused too."""
    plan_id = built(clinic)
    stored = stored_plan(clinic, plan_id)
    with pytest.raises(NotReadyToSignError, match=r"^The plan was not signed: 20 items not "
                       r"reviewed\.$"):
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=stored.version,
                    request_id="sign", now=clinic.now)
    assert stored_plan(clinic, plan_id).status == "draft"
    version = accept_all(clinic, plan_id)
    visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                request_id="sign", now=clinic.now)
    assert stored_plan(clinic, plan_id).status == "signed"


def test_accept_all_remaining_accepts_what_the_page_showed_and_is_audited_with_the_count(
    clinic: Clinic,
) -> None:
    plan_id = built(clinic)
    stored = stored_plan(clinic, plan_id)
    version = visits.decide(clinic.db, clinic.rivera, plan_id=plan_id, item_id="REST-HEAT",
                            decision=Decision(item_id="REST-HEAT", action="reject",
                                              reason="Numb skin"),
                            expected_version=stored.version, now=clinic.now)
    waiting = tuple(r.id for r in stored.plan.recommendations if r.id != "REST-HEAT")
    version = visits.accept_remaining(clinic.db, clinic.rivera, plan_id=plan_id,
                                      item_ids=waiting, expected_version=version, now=clinic.now)
    review = stored_plan(clinic, plan_id).review
    assert review is not None
    assert review.decision_for("REST-HEAT") == Decision(item_id="REST-HEAT", action="reject",
                                                        reason="Numb skin")
    assert {d.item_id for d in review.decisions if d.action == "accept"} == set(waiting)
    with clinic.db.transaction(readonly=True) as s:
        done = [(r.action, r.detail) for r in db.audit_records(session=s)
                if r.action in ("review_plan", "accept_remaining")]
    assert done == [("review_plan", f"plan {plan_id}: REST-HEAT reject"),
                    ("accept_remaining", f"plan {plan_id}: 19 accepted at once")]
    with pytest.raises(InputError,
                       match=r"^Not an item waiting for review: REST-HEAT; nothing was accepted"):
        visits.accept_remaining(clinic.db, clinic.rivera, plan_id=plan_id,
                                item_ids=("REST-HEAT",), expected_version=version,
                                now=clinic.now)


def test_an_edit_is_saved_with_the_edited_text_and_never_with_the_proposed_one(
    clinic: Clinic,
) -> None:
    """Before, typing the reason first saved an 'edit' carrying the proposed text; an edit
    that changes nothing is refused, and the edited text is what is stored and printed."""
    plan_id = built(clinic)
    stored = stored_plan(clinic, plan_id)
    heat = next(r for r in stored.plan.recommendations if r.id == "REST-HEAT")
    with pytest.raises(InputError, match="is the proposed text"):
        visits.decide(clinic.db, clinic.rivera, plan_id=plan_id, item_id="REST-HEAT",
                      decision=Decision(item_id="REST-HEAT", action="edit", reason="Shorter",
                                        patient_text=heat.patient_text),
                      expected_version=stored.version, now=clinic.now)
    assert stored_plan(clinic, plan_id).review is None  # nothing saved
    visits.decide(clinic.db, clinic.rivera, plan_id=plan_id, item_id="REST-HEAT",
                  decision=Decision(item_id="REST-HEAT", action="edit", reason="Shorter",
                                    patient_text="Use a warm pack for 15 minutes."),
                  expected_version=stored.version, now=clinic.now)
    again = stored_plan(clinic, plan_id)
    assert again.review is not None
    assert visits.patient_words(again.plan, again.review)["REST-HEAT"] == (
        "Use a warm pack for 15 minutes.")


def test_an_urgent_alert_is_acknowledged_before_signing_with_who_and_when_and_audited(
    clinic: Clinic,
) -> None:
    plan_id = built(clinic, {"red_flags.night_pain": True})
    version = accept_all(clinic, plan_id)
    with pytest.raises(NotReadyToSignError, match="1 urgent alert not acknowledged"):
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                    request_id="sign", now=clinic.now)
    version = visits.acknowledge(clinic.db, clinic.rivera, plan_id=plan_id,
                                 alert_id="RF-MALIGNANCY", expected_version=version,
                                 now=clinic.now)
    stored = stored_plan(clinic, plan_id)
    assert stored.review is not None
    mark = stored.review.acknowledgement_of(stored.plan.alerts[0])
    assert mark is not None
    assert (mark.by, mark.at) == ("Dr. A. Rivera", clinic.now)
    with clinic.db.transaction(readonly=True) as s:
        assert [(r.user, r.patient_id, r.detail) for r in db.audit_records(session=s)
                if r.action == "acknowledge_alert"] == [
            ("rivera", clinic.patient, f"plan {plan_id}: RF-MALIGNANCY")]
    visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                request_id="sign", now=clinic.now)
    assert stored_plan(clinic, plan_id).status == "signed"


def test_a_review_cannot_bring_its_own_acknowledgements(clinic: Clinic) -> None:
    """Only ``acknowledge`` acknowledges (who and when from the session): a whole review sent
    with an acknowledgement in it keeps the stored ones (here: none)."""
    from careplan.clinical.review import fingerprint

    plan_id = built(clinic, {"red_flags.night_pain": True})
    stored = stored_plan(clinic, plan_id)
    crafted = Review().acknowledging(stored.plan.alerts[0], by="Someone Else",
                                     at=clinic.now)
    assert crafted.acknowledged[0].alert == fingerprint(stored.plan.alerts[0])
    visits.review(clinic.db, clinic.rivera, plan_id=plan_id, decisions=crafted,
                  expected_version=stored.version, now=clinic.now)
    version = accept_all(clinic, plan_id)
    after = stored_plan(clinic, plan_id)
    assert after.review is not None
    assert after.review.acknowledged == ()
    with pytest.raises(NotReadyToSignError, match="urgent alert not acknowledged"):
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                    request_id="sign", now=clinic.now)


def test_a_rebuild_carries_forward_unchanged_decisions_and_acknowledgements_only(
    clinic: Clinic,
) -> None:
    """Before, 'Rebuild from the changed intake' wiped every decision and reason. Now the
    rebuilt version keeps them for unchanged items (reasons included) and the alert's
    acknowledgement while the alert is unchanged; a reworded item waits for a new decision."""
    first = built(clinic, {"red_flags.night_pain": True})
    version = visits.decide(clinic.db, clinic.rivera, plan_id=first, item_id="REST-HEAT",
                            decision=Decision(item_id="REST-HEAT", action="reject",
                                              reason="Numb skin over the shoulders"),
                            expected_version=stored_plan(clinic, first).version,
                            now=clinic.now)
    version = visits.acknowledge(clinic.db, clinic.rivera, plan_id=first,
                                 alert_id="RF-MALIGNANCY", expected_version=version,
                                 now=clinic.now)
    accept_all(clinic, first)
    # other facts behind the same alert and the same words elsewhere (PT-EXERCISE says
    # 'pain now 7/10'), and one item fewer (REST-PACING is for long-lasting pain)
    second = built(clinic, {"red_flags.night_pain": True, "history.pain_now": 7,
                            "history.duration_weeks": 3})
    rebuilt = stored_plan(clinic, second)
    assert rebuilt.review is not None
    assert rebuilt.review.decision_for("REST-HEAT") == Decision(
        item_id="REST-HEAT", action="reject", reason="Numb skin over the shoulders")
    assert rebuilt.review.acknowledgement_of(rebuilt.plan.alerts[0]) is not None
    assert rebuilt.review.decision_for("PT-EXERCISE") is not None
    assert "REST-PACING" not in {d.item_id for d in rebuilt.review.decisions}  # removed
    assert not visits_blockers(rebuilt)
    with clinic.db.transaction(readonly=True) as s:
        detail = [r.detail for r in db.audit_records(session=s) if r.action == "save_plan"][-1]
    carried = len(rebuilt.review.decisions)
    assert detail == (f"plan {second}, {carried} decisions and 1 acknowledgements carried "
                      f"from plan {first}")
    third = built(clinic, {"red_flags.night_pain": True, "history.pain_now": 7,
                           "history.duration_weeks": 3,
                           "red_flags.unexplained_weight_loss": True})
    changed = stored_plan(clinic, third)
    assert changed.review is not None
    assert changed.review.acknowledged == ()  # the alert has other facts behind it now


def test_a_version_older_than_the_saved_intake_is_not_signed(clinic: Clinic) -> None:
    """A red flag ticked after the plan was built: that version lacks the alert, so it is
    not signed (before, it could be); a change the plan does not show is no obstacle."""
    plan_id = built(clinic)
    version = accept_all(clinic, plan_id)
    view = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY)
    visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="red_flags.dark_urine",
                  value=True, expected_version=view.draft.version, today=TODAY, now=clinic.now)
    with pytest.raises(NotReadyToSignError) as refused:
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                    request_id="sign", now=clinic.now)
    assert refused.value.summary == (
        "the intake changed after this version was made (rebuild it)")
    view = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY)
    visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="red_flags.dark_urine",
                  value=False, expected_version=view.draft.version, today=TODAY, now=clinic.now)
    visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                request_id="sign-again", now=clinic.now)
    assert stored_plan(clinic, plan_id).status == "signed"


def test_a_decision_on_a_reworded_item_is_not_carried_by_a_rebuild(clinic: Clinic) -> None:
    """Pain for 3 weeks instead of 12: the review visit comes sooner, so FU-REVIEW says
    other words; its edit is not carried silently (the page shows it as it was)."""
    first = built(clinic)
    visits.decide(clinic.db, clinic.rivera, plan_id=first, item_id="FU-REVIEW",
                  decision=Decision(item_id="FU-REVIEW", action="edit", reason="Sooner",
                                    patient_text="Come back soon."),
                  expected_version=stored_plan(clinic, first).version, now=clinic.now)
    accept_all(clinic, first)
    rebuilt = stored_plan(clinic, built(clinic, {"history.duration_weeks": 3}))
    assert rebuilt.review is not None
    assert rebuilt.review.decision_for("FU-REVIEW") is None
    assert rebuilt.review.decision_for("REST-HEAT") is not None
    from careplan.clinical.review import blockers

    assert [r.id for r in blockers(rebuilt.plan, rebuilt.review, rebuilt.intake).undecided] == [
        "FU-REVIEW"]


def test_a_revised_plan_keeps_its_acknowledgement(clinic: Clinic) -> None:
    plan_id = built(clinic, {"red_flags.night_pain": True})
    visits.acknowledge(clinic.db, clinic.rivera, plan_id=plan_id, alert_id="RF-MALIGNANCY",
                       expected_version=stored_plan(clinic, plan_id).version, now=clinic.now)
    stored = stored_plan(clinic, plan_id)
    version = accept_all(clinic, plan_id)
    visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                request_id="sign", now=clinic.now)
    copy = stored_plan(clinic, visits.revise(clinic.db, clinic.rivera, plan_id=plan_id,
                                             request_id="revise", now=clinic.now))
    assert copy.review is not None
    assert stored.review is not None
    assert copy.review.acknowledged == stored.review.acknowledged
    assert not visits_blockers(copy)


def visits_blockers(stored: db.StoredPlan) -> bool:
    from careplan.clinical.review import blockers

    return bool(blockers(stored.plan, stored.review, stored.intake))


@pytest.mark.parametrize(("path", "value", "message"), [
    ("history.pain_now", -1, "must be between 0 and 10"),
    ("history.pain_now", 200, "must be between 0 and 10"),
    ("history.pain_now", 10**20, "must be between 0 and 10"),
    ("history.pain_now", 10**5000, "must be between 0 and 10"),  # json.dumps would fail
    ("risk_factors.sleep_hours", 1e309, "must be a number"),  # 1e309 reads as infinity
    ("history.duration_weeks", 10**20, "must be between 0 and 5200"),
    ("history", {"peg": {"pain": 11}}, "must be between 0 and 10"),
    ("history.notes", 10**20, "is too large"),  # not a number question: still no 10**20
], ids=["age-like -1", "200", "10**20", "10**5000", "1e309", "weeks", "nested", "unbounded"])
def test_a_number_out_of_range_is_refused_with_its_range_and_not_stored(
    clinic: Clinic, path: str, value: Any, message: str,
) -> None:
    """The form cannot send these (its widgets have the bounds): a crafted client's -1, 200
    or 10**20 was stored in the draft; now it is refused, worded as the model words it."""
    before = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    with pytest.raises(IntakeError, match=f"{message}; this answer was not saved") as refused:
        visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path=path,
                      value=value, expected_version=before.version, today=TODAY, now=clinic.now)
    assert refused.value.problems[0].path.startswith(path)
    after = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    assert (after.version, after.data) == (before.version, before.data)


HIDDEN = {"NUL": ("Ann\x00", "0000"), "zero-width space": ("Zo\u200bë", "200B"),
          "bidi override": ("Ann\u202eeoD", "202E"), "escape": ("x\x1b[31m", "001B"),
          "BOM": ("\ufeffnote", "FEFF"), "word joiner": ("a\u2060b", "2060")}


@pytest.mark.parametrize(("text", "code"), HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_or_control_characters_are_refused_in_every_text_answer_the_same_way(
    clinic: Clinic, text: str, code: str,
) -> None:
    """NUL, zero-width, bidi and control characters in a note, the reason, the name, a
    medicine or an allergy: one message naming the character, on both backends, and nothing
    stored (before, the draft kept them and only the plan build complained)."""
    before = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    for path, value in (("history.notes", text), ("visit.reason", text), ("patient.name", text),
                        ("history.medications", [{"name": text, "dose": "10 mg"}]),
                        ("history.allergies", ["penicillin", text])):
        with pytest.raises(IntakeError) as refused:
            visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path=path,
                          value=value, expected_version=before.version, today=TODAY,
                          now=clinic.now)
        [problem] = refused.value.problems
        assert problem.path.startswith(path)
        assert problem.message == (f"contains an invisible or control character (U+{code}); "
                                   "remove it; this answer was not saved")
    after = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY).draft
    assert (after.version, after.data) == (before.version, before.data)


def test_text_answers_are_stored_composed_and_counted_composed(clinic: Clinic) -> None:
    """'Zoe\u0308' is stored as 'Zoë': a search, a length or a comparison sees one text."""
    view = fill(clinic, example_data())
    note = "Zoe\u0308 " + "e\u0301" * (validation_note_max() - 4)  # fits only once composed
    view = visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="history.notes",
                         value=note, expected_version=view.draft.version, today=TODAY,
                         now=clinic.now)
    stored = view.draft.data["history"]["notes"]
    assert stored.startswith("Zoë ")
    assert len(stored) == validation_note_max()
    assert "history.notes" not in view.preview.problems


def validation_note_max() -> int:
    from careplan.intake.model import NOTE_MAX_CHARS

    return NOTE_MAX_CHARS


def test_after_the_idle_limit_the_next_answer_needs_a_new_sign_in_and_the_draft_is_kept(
    clinic: Clinic,
) -> None:
    """24: idle past the limit, the next action is refused and audited; signing in again
    finds every answer saved before, and the new session saves again."""
    view = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY)
    view = visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit,
                         path="history.pain_now", value=5, expected_version=view.draft.version,
                         today=TODAY, now=clinic.now)
    later = clinic.now + accounts.idle_limit() + timedelta(seconds=1)
    with pytest.raises(SessionEndedError):
        visits.answer(clinic.db, clinic.rivera, visit_id=clinic.visit, path="history.pain_now",
                      value=9, expected_version=view.draft.version, today=TODAY, now=later)
    with clinic.db.transaction(readonly=True) as s:
        assert [(r.action, r.outcome, r.detail) for r in db.audit_records(session=s)][-2:] == [
            ("idle_logoff", "success", ""), ("change_intake", "denied", "session idle")]
    again = signed_in(clinic.db, "rivera", later)
    kept = visits.open_draft(clinic.db, again, visit_id=clinic.visit, today=TODAY)
    assert kept.draft.data["history"]["pain_now"] == 5
    assert kept.draft.version == view.draft.version
    saved = visits.answer(clinic.db, again, visit_id=clinic.visit, path="history.pain_now",
                          value=9, expected_version=kept.draft.version, today=TODAY, now=later)
    assert saved.draft.data["history"]["pain_now"] == 9


def test_signing_out_in_one_tab_refuses_the_other_tabs_next_write(clinic: Clinic) -> None:
    """25: two tabs are two sessions of one user; signing out in one ends both, so the
    other's next write is refused and audited, and its draft stays as saved."""
    other_tab = signed_in(clinic.db, "rivera", clinic.now)
    view = visits.open_draft(clinic.db, other_tab, visit_id=clinic.visit, today=TODAY)
    view = visits.answer(clinic.db, other_tab, visit_id=clinic.visit, path="history.pain_now",
                         value=4, expected_version=view.draft.version, today=TODAY,
                         now=clinic.now)
    with clinic.db.transaction() as s:
        accounts.sign_out(session=s, user=clinic.rivera, now=clinic.now)
        assert accounts.check_session(session=s, token=other_tab.token,
                                      now=clinic.now)[0] == "ended"
    with pytest.raises(SessionEndedError):
        visits.answer(clinic.db, other_tab, visit_id=clinic.visit, path="history.pain_now",
                      value=8, expected_version=view.draft.version, today=TODAY,
                      now=clinic.now)
    with pytest.raises(SessionEndedError):
        visits.start(clinic.db, other_tab, patient_id=clinic.patient, visit_date=TODAY,
                     request_id=None, now=clinic.now)
    kept = visits.open_draft(clinic.db, clinic.rivera, visit_id=clinic.visit, today=TODAY)
    assert (kept.draft.version, kept.draft.data["history"]["pain_now"]) == (view.draft.version, 4)
    assert [e for e in trail(clinic) if e[3] == "denied"] == [
        ("rivera", "change_intake", None, "denied"), ("rivera", "create_intake", None, "denied")]


# --- unfinished review typing (visits.keep_unfinished) -------------------------------------


def colleague(clinic: Clinic) -> accounts.SignedIn:
    """Dr Okafor, who opened the patient's record with a reason."""
    with clinic.db.transaction() as s:
        accounts.add_user(session=s, username="okafor", display_name="Dr. B. Okafor",
                          role="clinician", password=PASSWORD, by="admin", now=clinic.now)
    okafor = signed_in(clinic.db, "okafor", clinic.now)
    access.break_the_glass(clinic.db, okafor, patient_id=clinic.patient,
                           reason="covering for Dr Rivera today", now=clinic.now)
    return okafor


def typing_of(clinic: Clinic, plan_id: int, who: accounts.SignedIn | None = None
              ) -> visits.UnfinishedTyping:
    return visits.unfinished_typing(clinic.db, who or clinic.rivera, plan_id=plan_id)


def keep(clinic: Clinic, plan_id: int, item_id: str = "REST-HEAT", *,
         who: accounts.SignedIn | None = None, action: visits.ReviewAction | None = "edit",
         reason: str = "Heat pads burn", text: str | None = None) -> db.Unfinished | None:
    return visits.keep_unfinished(clinic.db, who or clinic.rivera, plan_id=plan_id,
                                  item_id=item_id, action=action, reason=reason,
                                  patient_text=text, now=clinic.now)


def test_unfinished_typing_is_kept_composed_for_a_new_session_never_reviewed_nor_audited(
    clinic: Clinic,
) -> None:
    """Before, typing that was not yet a whole decision lived only in the browser session:
    a page switch or a refresh lost it. Now it is kept as typed (the last save wins), read
    back by a new session of the same clinician, and is no decision: nothing reviewed,
    nothing printed, nothing in the audit trail."""
    plan_id = built(clinic)
    records = len(trail(clinic))
    keep(clinic, plan_id, reason="Heat")
    kept = keep(clinic, plan_id, reason="Zoe\u0308 says heat pads\r\nburn numb skin",
                text="Use a warm shower.")
    keep(clinic, plan_id, "PT-REFERRAL", action="reject", reason="")
    visits.keep_unfinished_addition(clinic.db, clinic.rivera, plan_id=plan_id,
                                    domain="rest", title="Walk every morning",
                                    patient_text="", reason="", now=clinic.now)
    assert kept is not None
    assert kept.reason == "Zoë says heat pads\nburn numb skin"  # composed, one kind of break
    new_tab = signed_in(clinic.db, "rivera", clinic.now)
    typing = typing_of(clinic, plan_id, new_tab)
    assert {i: (u.action, u.reason, u.patient_text) for i, u in typing.decisions.items()} == {
        "REST-HEAT": ("edit", "Zoë says heat pads\nburn numb skin", "Use a warm shower."),
        "PT-REFERRAL": ("reject", "", None)}
    assert typing.addition is not None
    assert (typing.addition.domain, typing.addition.title) == ("rest", "Walk every morning")
    assert typing.others == ()
    stored = stored_plan(clinic, plan_id)
    assert stored.review is None  # not reviewed, so not on the handout either
    assert visits.patient_words(stored.plan, stored.review)["REST-HEAT"].startswith("A warm")
    assert [e[1] for e in trail(clinic)[records:]] == ["sign_in"]  # typing is not audited
    assert keep(clinic, plan_id, action=None) is None  # Accept, or nothing chosen: it goes
    assert set(typing_of(clinic, plan_id).decisions) == {"PT-REFERRAL"}


def test_unfinished_typing_goes_when_its_author_decides_and_a_colleague_sees_only_who(
    clinic: Clinic,
) -> None:
    plan_id = built(clinic)
    okafor = colleague(clinic)
    keep(clinic, plan_id, reason="Heat pads burn")
    keep(clinic, plan_id, "PT-REFERRAL", action="reject", reason="")
    keep(clinic, plan_id, who=okafor, reason="Their own first thoughts")
    visits.keep_unfinished_addition(clinic.db, clinic.rivera, plan_id=plan_id,
                                    domain="rest", title="Walk", patient_text="Walk.",
                                    reason="", now=clinic.now)
    seen_by_okafor = typing_of(clinic, plan_id, okafor)
    assert set(seen_by_okafor.decisions) == {"REST-HEAT"}
    assert sorted((o.by, o.item_id, o.action, o.reason, o.patient_text, o.title)
                  for o in seen_by_okafor.others) == [
        ("Dr. A. Rivera", "+new", None, "", None, None),  # who and what only, no words
        ("Dr. A. Rivera", "PT-REFERRAL", "reject", "", None, None),
        ("Dr. A. Rivera", "REST-HEAT", "edit", "", None, None)]
    version = visits.decide(clinic.db, clinic.rivera, plan_id=plan_id, item_id="REST-HEAT",
                            decision=Decision(item_id="REST-HEAT", action="edit",
                                              reason="Heat pads burn",
                                              patient_text="Use a warm shower."),
                            expected_version=stored_plan(clinic, plan_id).version,
                            now=clinic.now)
    assert set(typing_of(clinic, plan_id).decisions) == {"PT-REFERRAL"}
    assert set(typing_of(clinic, plan_id, okafor).decisions) == {"REST-HEAT"}  # theirs stays
    version = visits.accept_remaining(clinic.db, clinic.rivera, plan_id=plan_id,
                                      item_ids=("PT-REFERRAL",), expected_version=version,
                                      now=clinic.now)
    assert typing_of(clinic, plan_id).decisions == {}
    from careplan.clinical.review import AddedRecommendation

    visits.add_own(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                   item=AddedRecommendation(domain="rest", title="Walk",
                                            patient_text="Walk.", reason="Likes walking"),
                   now=clinic.now)
    assert typing_of(clinic, plan_id).addition is None
    review = stored_plan(clinic, plan_id).review
    assert review is not None
    assert [a.title for a in review.added] == ["Walk"]
    assert [d for _, d, _, _ in trail(clinic) if d in ("review_plan", "accept_remaining")] == [
        "review_plan", "accept_remaining", "review_plan"]


def test_signing_waits_for_the_signers_own_unfinished_typing_only_and_drops_everyones(
    clinic: Clinic,
) -> None:
    """The signer's own typing not finished is refused by the use case as the page disables
    the button; a colleague's is theirs, not a decision, and does not hold the plan."""
    plan_id = built(clinic)
    okafor = colleague(clinic)
    version = accept_all(clinic, plan_id)
    keep(clinic, plan_id, "REST-HEAT", action="reject", reason="")
    visits.keep_unfinished_addition(clinic.db, clinic.rivera, plan_id=plan_id,
                                    domain="sleep", title="", patient_text="", reason="Sleeps",
                                    now=clinic.now)
    with pytest.raises(NotReadyToSignError) as refused:
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                    request_id="sign", now=clinic.now)
    assert refused.value.summary == ("1 decision not finished, your own recommendation not "
                                     "added (add it, or clear it)")
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("recommendations.REST-HEAT", "your rejection of \u201cHeat as self-care\u201d is not "
         "finished"), ("added", "your own recommendation is typed and not added")]
    keep(clinic, plan_id, "REST-HEAT", action=None)
    visits.keep_unfinished_addition(clinic.db, clinic.rivera, plan_id=plan_id,
                                    domain="sleep", title=" ", patient_text="", reason="",
                                    now=clinic.now)  # cleared
    keep(clinic, plan_id, "REST-HEAT", who=okafor, reason="Their own first thoughts")
    visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=version,
                request_id="sign", now=clinic.now)
    assert stored_plan(clinic, plan_id).status == "signed"
    assert typing_of(clinic, plan_id, okafor).decisions == {}  # a signed version never changes
    with pytest.raises(SignedPlanError):
        keep(clinic, plan_id, who=okafor)


def test_a_rebuild_moves_unfinished_typing_to_the_items_it_still_has(clinic: Clinic) -> None:
    """Checking an answer on the Intake page and rebuilding loses nothing typed: the typing
    moves to the new version (a reworded item too; the page shows its old words), and goes
    with an item the rebuild removed."""
    first = built(clinic)
    okafor = colleague(clinic)
    keep(clinic, first, "REST-HEAT", reason="Heat pads burn")
    keep(clinic, first, "FU-REVIEW", reason="Sooner")  # reworded by the rebuild
    keep(clinic, first, "REST-PACING", action="reject", reason="")  # removed by it
    keep(clinic, first, "REST-HEAT", who=okafor)
    visits.keep_unfinished_addition(clinic.db, clinic.rivera, plan_id=first, domain="sleep",
                                    title="Sleep diary", patient_text="", reason="",
                                    now=clinic.now)
    second = built(clinic, {"history.duration_weeks": 3})
    moved = typing_of(clinic, second)
    assert set(moved.decisions) == {"REST-HEAT", "FU-REVIEW"}
    assert moved.decisions["REST-HEAT"].reason == "Heat pads burn"
    assert moved.addition is not None
    assert moved.addition.title == "Sleep diary"
    assert [(o.by, o.item_id) for o in moved.others] == [("Dr. B. Okafor", "REST-HEAT")]
    assert typing_of(clinic, first) == visits.UnfinishedTyping({}, None, ())


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reason", "Heat\u202epads", r"^The reason contains an invisible or control character "
                                 r"\(U\+202E\); remove it; nothing was saved\.$"),
    ("reason", "a\x00b", r"\(U\+0000\)"),
    ("text", "x" * 10_001, r"^The text for the patient is longer than 10,000 characters; "),
    ("item", "NO-SUCH-ITEM", r"^This plan has no recommendation NO-SUCH-ITEM; nothing was"),
    ("item", "RF-MALIGNANCY", r"no recommendation RF-MALIGNANCY"),  # an alert has no edit
    ("action", "accept", r"^A decision in progress is a reject or an edit, not 'accept'"),
    ("title", "Walk\nmore", r"^The title contains an invisible or control character "
                            r"\(U\+000A\)"),
    ("title", "W" * 201, r"^The title is longer than 200 characters"),
    ("domain", "surgery", r"^There is no domain 'surgery'"),
])
def test_unfinished_typing_is_refused_where_a_decision_would_be_and_nothing_is_kept(
    clinic: Clinic, field: str, value: str, message: str,
) -> None:
    plan_id = built(clinic, {"red_flags.night_pain": True})
    item = {"reason": "Heat pads burn", "text": "Use a warm shower.", "item": "REST-HEAT",
            "action": "edit", "title": "Walk", "domain": "rest", field: value}
    def attempt() -> object:
        if field in ("title", "domain"):
            return visits.keep_unfinished_addition(
                clinic.db, clinic.rivera, plan_id=plan_id, domain=item["domain"],
                title=item["title"], patient_text="", reason="", now=clinic.now)
        return visits.keep_unfinished(clinic.db, clinic.rivera, plan_id=plan_id,
                                      item_id=item["item"], action=item["action"],  # type: ignore[arg-type]
                                      reason=item["reason"], patient_text=item["text"],
                                      now=clinic.now)

    with pytest.raises(InputError, match=message):
        attempt()
    assert typing_of(clinic, plan_id) == visits.UnfinishedTyping({}, None, ())


def test_unfinished_typing_is_bounded_like_the_decision_it_may_become(clinic: Clinic) -> None:
    """The longest reason, text and title kept are the longest a decision or an added item
    takes, counted composed: what is kept can always be saved as typed."""
    from pydantic import ValidationError

    from careplan.clinical.review import AddedRecommendation
    from careplan.intake.model import NOTE_MAX_CHARS

    plan_id = built(clinic)
    longest = "e\u0301" * NOTE_MAX_CHARS  # twice too long until composed
    kept = keep(clinic, plan_id, reason=longest, text=longest)
    assert kept is not None
    Decision(item_id="REST-HEAT", action="edit", reason=kept.reason,
             patient_text=kept.patient_text)
    with pytest.raises(ValidationError):
        Decision(item_id="REST-HEAT", action="reject", reason="x" * (NOTE_MAX_CHARS + 1))
    title = "W" * visits.TITLE_MAX_CHARS
    visits.keep_unfinished_addition(clinic.db, clinic.rivera, plan_id=plan_id,
                                    domain="rest", title=title, patient_text="",
                                    reason="", now=clinic.now)
    AddedRecommendation(domain="rest", title=title, patient_text="x", reason="x")
    with pytest.raises(ValidationError):
        AddedRecommendation(domain="rest", title=title + "W", patient_text="x", reason="x")


def test_unfinished_typing_after_the_session_ended_or_without_access_is_refused_and_audited(
    clinic: Clinic,
) -> None:
    plan_id = built(clinic)
    with clinic.db.transaction() as s:
        accounts.add_user(session=s, username="stranger", display_name="Dr. C. Stranger",
                          role="clinician", password=PASSWORD, by="admin", now=clinic.now)
    stranger = signed_in(clinic.db, "stranger", clinic.now)
    with pytest.raises(AccessDeniedError):
        keep(clinic, plan_id, who=stranger)
    with pytest.raises(AccessDeniedError):
        typing_of(clinic, plan_id, stranger)
    later = end_by_sign_out(clinic)
    with pytest.raises(SessionEndedError):
        visits.keep_unfinished(clinic.db, clinic.rivera, plan_id=plan_id, item_id="REST-HEAT",
                               action="edit", reason="typed in an old tab", patient_text=None,
                               now=later)
    assert [e for e in trail(clinic) if e[3] == "denied"] == [
        ("stranger", "access_denied", clinic.patient, "denied"),
        ("stranger", "access_denied", clinic.patient, "denied"),
        ("rivera", "review_plan", None, "denied")]
    with clinic.db.transaction(readonly=True) as s:
        assert db.unfinished_of_plan(session=s, plan_id=plan_id) == []
