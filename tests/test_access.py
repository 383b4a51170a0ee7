"""Per-patient access on SQLite and PostgreSQL: a clinician opens only the patients they or
their care team have seen; any other patient opens only with a reason, audited as break the
glass; every use case that reads or writes a patient's data refuses the others, audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from careplan import access, accounts, admin, patients, visits
from careplan import storage as db
from careplan.clinical.review import Review
from careplan.database import Database
from careplan.errors import AccessDeniedError, NotFoundError, ReasonError
from factories import TODAY, add_staff, example_data, signed_in

BORN = date(1968, 3, 14)
REASON = "covering the pain clinic for Dr Rivera today"


@dataclass
class Ward:
    """Rivera's patient with a signed plan; Okafor, another clinician, and an administrator."""

    db: Database
    admin: accounts.SignedIn
    rivera: accounts.SignedIn
    okafor: accounts.SignedIn
    patient: int
    visit: int
    plan: int
    now: datetime


@pytest.fixture
def ward(engine: Engine) -> Ward:
    now = datetime.now(UTC)
    database = Database(engine)
    add_staff(database, now, ("rivera", "Dr. A. Rivera"), ("okafor", "Dr. B. Okafor"))
    rivera = signed_in(database, "rivera", now)
    patient, visit = patients.create_with_visit(
        database, rivera, name="Zoë Nguyễn", date_of_birth=BORN, mrn="A-100234",
        visit_date=TODAY, request_id=None, now=now)
    view = visits.open_draft(database, rivera, visit_id=visit, today=TODAY)
    for section, value in example_data().items():
        view = visits.answer(database, rivera, visit_id=visit, path=section, value=value,
                             expected_version=view.draft.version, today=TODAY, now=now)
    plan = visits.build_plan_version(database, rivera, visit_id=visit, today=TODAY,
                                     request_id=None, now=now)
    return Ward(database, signed_in(database, "admin", now), rivera,
                signed_in(database, "okafor", now), patient, visit, plan, now)


def trail(ward: Ward, action: str) -> list[tuple[str, int | None, str, str]]:
    with ward.db.transaction(readonly=True) as s:
        return [(r.user, r.patient_id, r.outcome, r.detail)
                for r in db.audit_records(session=s, action=action)]


def test_a_search_shows_only_the_patients_the_clinician_may_open(ward: Ward) -> None:
    mine = patients.find(ward.db, ward.rivera, query="Zoë")
    assert [r.id for r in mine.shown] == [ward.patient]
    assert mine.others == []
    theirs = patients.find(ward.db, ward.okafor, query="Zoë")
    assert theirs.shown == []
    assert theirs.others == [ward.patient]
    by_mrn = patients.find(ward.db, ward.okafor, query="A-100234")
    assert by_mrn.shown == []
    assert by_mrn.others == [ward.patient]


def _crafted_calls(ward: Ward) -> dict[str, Callable[[], Any]]:
    """Every use case that reads or writes the patient's data, called as Okafor directly."""
    who, now = ward.okafor, ward.now
    return {
        "get": lambda: patients.get(ward.db, who, patient_id=ward.patient),
        "history": lambda: patients.history(ward.db, who, patient_id=ward.patient),
        "viewed": lambda: patients.viewed(ward.db, who, patient_id=ward.patient, now=now),
        "open_draft": lambda: visits.open_draft(ward.db, who, visit_id=ward.visit, today=TODAY),
        "plans": lambda: visits.plans(ward.db, who, visit_id=ward.visit),
        "start": lambda: visits.start(ward.db, who, patient_id=ward.patient, visit_date=TODAY,
                                      request_id=None, now=now),
        "answer": lambda: visits.answer(ward.db, who, visit_id=ward.visit,
                                        path="history.pain_now", value=9, expected_version=99,
                                        today=TODAY, now=now),
        "build": lambda: visits.build_plan_version(ward.db, who, visit_id=ward.visit,
                                                   today=TODAY, request_id=None, now=now),
        "review": lambda: visits.review(ward.db, who, plan_id=ward.plan, decisions=Review(),
                                        expected_version=1, now=now),
        "sign": lambda: visits.sign(ward.db, who, plan_id=ward.plan, expected_version=1,
                                    request_id=None, now=now),
        "revise": lambda: visits.revise(ward.db, who, plan_id=ward.plan, request_id=None,
                                        now=now),
        "export": lambda: visits.record_export(ward.db, who, plan_id=ward.plan, what="handout",
                                               now=now),
    }


def test_every_use_case_refuses_a_clinician_without_access_and_audits_it(ward: Ward) -> None:
    before = visits.open_draft(ward.db, ward.rivera, visit_id=ward.visit, today=TODAY).draft
    calls = _crafted_calls(ward)
    for name, call in calls.items():
        with pytest.raises(AccessDeniedError, match="break the glass"):
            call()
        assert trail(ward, "access_denied")[-1][:3] == ("okafor", ward.patient, "denied"), name
    assert len(trail(ward, "access_denied")) == len(calls)
    after = visits.open_draft(ward.db, ward.rivera, visit_id=ward.visit, today=TODAY).draft
    assert (after.version, after.data) == (before.version, before.data)
    assert len(visits.plans(ward.db, ward.rivera, visit_id=ward.visit)) == 1
    assert not any(user == "okafor" for user, *_ in trail(ward, "view_patient"))


def test_the_administrator_role_opens_no_record_by_itself(ward: Ward) -> None:
    with pytest.raises(AccessDeniedError):
        patients.get(ward.db, ward.admin, patient_id=ward.patient)
    assert patients.find(ward.db, ward.admin, query="Zoë").shown == []


@pytest.mark.parametrize("reason", ["", "   ", "emergency", "see patient", "x" * 201 + " a b",
                                    "covering for Dr\u202e Rivera", "covering for\x00 Rivera"])
def test_break_the_glass_without_a_real_reason_is_refused(ward: Ward, reason: str) -> None:
    with pytest.raises(ReasonError):
        access.break_the_glass(ward.db, ward.okafor, patient_id=ward.patient, reason=reason,
                               now=ward.now)
    assert trail(ward, "break_the_glass") == []
    with pytest.raises(AccessDeniedError):
        patients.get(ward.db, ward.okafor, patient_id=ward.patient)


def test_break_the_glass_with_a_reason_opens_the_record_to_that_person_and_is_audited(
    ward: Ward,
) -> None:
    access.break_the_glass(ward.db, ward.okafor, patient_id=ward.patient,
                           reason=f"  {REASON}\n", now=ward.now)
    assert trail(ward, "break_the_glass") == [("okafor", ward.patient, "success", REASON)]
    assert patients.get(ward.db, ward.okafor, patient_id=ward.patient).name == "Zoë Nguyễn"
    assert patients.find(ward.db, ward.okafor, query="Zoë").others == []
    view = visits.open_draft(ward.db, ward.okafor, visit_id=ward.visit, today=TODAY)
    visits.answer(ward.db, ward.okafor, visit_id=ward.visit, path="history.pain_now", value=4,
                  expected_version=view.draft.version, today=TODAY, now=ward.now)


def test_break_the_glass_is_not_shared_with_the_team(ward: Ward) -> None:
    for name in ("okafor", "admin"):
        admin.set_team(ward.db, ward.admin, username=name, team="Night cover", now=ward.now)
    access.break_the_glass(ward.db, ward.okafor, patient_id=ward.patient, reason=REASON,
                           now=ward.now)
    with pytest.raises(AccessDeniedError):
        patients.get(ward.db, ward.admin, patient_id=ward.patient)


def test_break_the_glass_on_a_patient_that_does_not_exist_grants_nothing(ward: Ward) -> None:
    with pytest.raises(NotFoundError):
        access.break_the_glass(ward.db, ward.okafor, patient_id=ward.patient + 99,
                               reason=REASON, now=ward.now)
    assert trail(ward, "break_the_glass") == []


def test_members_of_a_care_team_share_the_patients_any_of_them_has_seen(ward: Ward) -> None:
    assert admin.set_team(ward.db, ward.admin, username="rivera", team=" Pain  clinic ",
                          now=ward.now) == "Pain clinic"
    with pytest.raises(AccessDeniedError):
        patients.get(ward.db, ward.okafor, patient_id=ward.patient)  # not in the team yet
    admin.set_team(ward.db, ward.admin, username="okafor", team="Pain clinic", now=ward.now)
    assert [r.id for r in patients.find(ward.db, ward.okafor, query="zoe\u0308").shown] == [
        ward.patient]
    view = visits.open_draft(ward.db, ward.okafor, visit_id=ward.visit, today=TODAY)
    visits.answer(ward.db, ward.okafor, visit_id=ward.visit, path="history.pain_now", value=5,
                  expected_version=view.draft.version, today=TODAY, now=ward.now)
    # Okafor has now worked on the visit: the record stays open to them after leaving the team
    admin.set_team(ward.db, ward.admin, username="okafor", team=None, now=ward.now)
    assert patients.get(ward.db, ward.okafor, patient_id=ward.patient).id == ward.patient
    # Rivera leaves the team too; nobody else in it has seen the patient
    admin.set_team(ward.db, ward.admin, username="rivera", team="", now=ward.now)
    with pytest.raises(AccessDeniedError):
        patients.get(ward.db, ward.admin, patient_id=ward.patient)
    details = [detail for *_, detail in trail(ward, "team_changed")]
    assert details[0] == "account rivera team Pain clinic"
    assert details[-1] == "account rivera team (none)"
    teams = {u.username: u.team for u in admin.list_users(ward.db)}
    assert teams == {"admin": None, "okafor": None, "rivera": None}


def test_a_team_name_is_checked(ward: Ward) -> None:
    from careplan.errors import AccountError

    with pytest.raises(AccountError, match="Team names"):
        admin.set_team(ward.db, ward.admin, username="okafor", team="<script>", now=ward.now)
    with pytest.raises(AccountError, match="no account"):
        admin.set_team(ward.db, ward.admin, username="nobody", team="Pain", now=ward.now)


def test_the_admin_trail_lists_break_the_glass_records_newest_first(ward: Ward) -> None:
    access.break_the_glass(ward.db, ward.okafor, patient_id=ward.patient, reason=REASON,
                           now=ward.now)
    access.break_the_glass(ward.db, ward.admin, patient_id=ward.patient,
                           reason="checking a complaint about this record", now=ward.now)
    found = admin.trail(ward.db, ward.admin, user=None, action=None, patient_id=None, limit=10,
                        audited=False, now=ward.now)
    assert found.problems == []
    assert [(r.user, r.patient_id, r.detail) for r in found.glass] == [
        ("admin", ward.patient, "checking a complaint about this record"),
        ("okafor", ward.patient, REASON)]


def test_the_worklist_lists_only_the_visits_of_patients_the_clinician_may_open(
    ward: Ward,
) -> None:
    """Home (issue 13 point 7): Rivera's plan waits for her signature. Okafor sees the visit
    once he may open the patient (here, with a reason); his team-mates do not (a reason
    opens a record to one person), Rivera's do."""
    seen = date.fromisoformat(example_data()["visit"]["date"])  # the visit's date, as answered
    mine = visits.worklist(ward.db, ward.rivera, today=seen)
    assert [(r.patient_id, r.visit_id, r.status) for r in mine.to_sign] == [
        (ward.patient, ward.visit, "to_sign")]
    assert mine.drafts == []
    assert [r.visit_id for r in mine.today] == [ward.visit]
    assert mine.recent == []
    assert visits.worklist(ward.db, ward.okafor, today=seen) == visits.Worklist([], [], [], [])
    assert visits.worklist(ward.db, ward.admin, today=seen) == visits.Worklist([], [], [], [])
    access.break_the_glass(ward.db, ward.okafor, patient_id=ward.patient, reason=REASON,
                           now=ward.now)
    later = visits.worklist(ward.db, ward.okafor, today=seen + timedelta(days=3))
    assert [r.visit_id for r in later.recent] == [ward.visit]  # now one Okafor may open
    for who in ("okafor", "admin"):
        admin.set_team(ward.db, ward.admin, username=who, team="Pain clinic", now=ward.now)
    assert visits.worklist(ward.db, ward.admin, today=seen).to_sign == []
    admin.set_team(ward.db, ward.admin, username="rivera", team="Pain clinic", now=ward.now)
    assert [r.visit_id for r in visits.worklist(ward.db, ward.admin, today=seen).to_sign] == [
        ward.visit]


def test_the_banner_names_the_patient_their_age_and_allergies_as_the_visit_records_them(
    ward: Ward,
) -> None:
    def shown(today: date = TODAY, visit: int | None = None) -> patients.Banner:
        return patients.banner(ward.db, ward.rivera, patient_id=ward.patient, visit_id=visit,
                               today=today)

    before, on = shown(date(2026, 3, 13)), shown(date(2026, 3, 14))
    assert (before.name, before.age, on.age, before.mrn) == ("Zoë Nguyễn", 57, 58, "A-100234")
    assert shown().allergies == ()
    assert shown().allergy_text == "No known allergies"
    view = visits.open_draft(ward.db, ward.rivera, visit_id=ward.visit, today=TODAY)
    visits.answer(ward.db, ward.rivera, visit_id=ward.visit, path="history.allergies",
                  value=["penicillin", "latex"], expected_version=view.draft.version,
                  today=TODAY, now=ward.now)
    assert shown().allergy_text == "Allergies: penicillin, latex"
    later = visits.start(ward.db, ward.rivera, patient_id=ward.patient,
                         visit_date=TODAY + timedelta(days=7), request_id=None, now=ward.now)
    view = visits.open_draft(ward.db, ward.rivera, visit_id=later, today=TODAY)
    visits.answer(ward.db, ward.rivera, visit_id=later, path="history.allergies", value=None,
                  expected_version=view.draft.version, today=TODAY, now=ward.now)
    assert shown(visit=later).allergy_text == "Allergies not asked"  # the visit in hand
    assert shown(visit=ward.visit).allergies == ("penicillin", "latex")
    with pytest.raises(AccessDeniedError):
        patients.banner(ward.db, ward.okafor, patient_id=ward.patient, visit_id=None,
                        today=TODAY)
    assert trail(ward, "access_denied")[-1] == ("okafor", ward.patient, "denied",
                                                "patient banner")
