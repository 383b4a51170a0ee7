"""The use cases on SQLite and PostgreSQL: each write is one transaction with its audit
record, refused for an ended session, against the patient the visit belongs to, and an
answer costs one validation and one plan build."""

from __future__ import annotations

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
from careplan.errors import IntakeError, SessionEndedError, StorageError
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
    review = Review(decisions=(Decision(item_id=plan.plan.recommendations[0].id,
                                        action="accept"),))
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


def test_an_answer_costs_one_validation_and_one_plan_build(
    clinic: Clinic, counted: dict[str, int],
) -> None:
    """The answer's save, then the page run that follows it (which reuses the preview)."""
    shown = fill(clinic, example_data())
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
    """The page hides the Sign button; a crafted request is refused by the use case too."""
    fill(clinic, apply(example_data(), unset=["red_flags.fever_or_chills"]))
    plan_id = visits.build_plan_version(clinic.db, clinic.rivera, visit_id=clinic.visit,
                                        today=TODAY, request_id=None, now=clinic.now)
    stored = visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit)[0]
    with pytest.raises(IntakeError, match=r"red_flags\.fever_or_chills: not asked"):
        visits.sign(clinic.db, clinic.rivera, plan_id=plan_id, expected_version=stored.version,
                    request_id="sign", now=clinic.now)
    assert visits.plans(clinic.db, clinic.rivera, visit_id=clinic.visit)[0].status == "draft"


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
