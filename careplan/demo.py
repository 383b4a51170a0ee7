"""Fictional demo patients with several visits each, so the app has something to show.

Why through the real API: the demo data then exercises validation, the engine,
reviews and signatures exactly as a clinician's work would. All names, MRNs
and numbers are invented; MRNs start with DEMO-.

A signed demo plan is one a clinician could have signed: the demo clinician accepts every
recommendation and acknowledges every emergency or urgent alert (on the visit day, before
signing), and the plan is signed only when the rules of signing (``review.blockers``, as the
``sign`` use case applies them) find nothing missing; otherwise seeding stops with
``NotReadyToSignError``. The latest visit of each patient is left for the clinician to review.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from careplan import storage
from careplan.clinical.drafts import preview
from careplan.clinical.engine import build_plan
from careplan.clinical.review import Decision, Review, blockers, needs_acknowledgement
from careplan.errors import NotReadyToSignError
from careplan.intake.validation import validate_intake

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from careplan.clinical.plan import CarePlan
    from careplan.intake.model import Intake

CLINICIAN: Final = "Dr. A. Rivera (demo)"
REVIEWED_AT: Final = time(10, 2, tzinfo=UTC)  # the visit day's clock time of the review


def _example() -> dict[str, Any]:
    text = resources.files("careplan").joinpath("example_intake.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _with(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(data)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return result


def reviewed(plan: CarePlan, intake: Intake, *, at: datetime) -> Review:
    """The demo clinician's review of ``plan`` (built from ``intake``), ready to sign: every
    recommendation accepted and every emergency or urgent alert acknowledged at ``at``.

    Raises ``NotReadyToSignError`` when the plan still could not be signed (a red-flag
    question not asked, say): the demo never shows a signature a clinician could not give.
    """
    review = Review(decisions=tuple(Decision(item_id=r.id, action="accept")
                                    for r in plan.recommendations))
    for alert in plan.alerts:
        if needs_acknowledgement(alert):
            review = review.acknowledging(alert, by=CLINICIAN, at=at)
    missing = blockers(plan, review, intake)
    if missing:
        raise NotReadyToSignError(missing.summary(), missing.problems())
    return review


# name, date of birth, MRN, [(days before today, changes to the example intake)]
PATIENTS: Final[tuple[tuple[str, date, str, tuple[tuple[int, dict[str, Any]], ...]], ...]] = (
    ("Maria Demo-Santos", date(1979, 6, 2), "DEMO-0001", (
        (120, {"history.pain_now": 7, "history.peg": {"pain": 7, "enjoyment": 7, "activity": 8},
               "history.duration_weeks": 6, "history.medications": []}),
        (70, {"history.pain_now": 5, "history.peg": {"pain": 5, "enjoyment": 5, "activity": 6},
              "history.duration_weeks": 13, "history.medications": []}),
        (14, {"history.pain_now": 3, "history.peg": {"pain": 3, "enjoyment": 2, "activity": 3},
              "history.duration_weeks": 21, "history.medications": [],
              "risk_factors.sleep_quality": "fair", "risk_factors.sleep_hours": 7}),
    )),
    ("Peter Demo-Novak", date(1947, 9, 30), "DEMO-0002", (
        (90, {"patient.sex": "male", "history.conditions": ["chronic_kidney_disease"],
              "history.medications": [{"name": "Eliquis", "dose": "5 mg twice daily"},
                                      {"name": "Advil", "dose": "400 mg as needed"}],
              "affected_areas": ["lower_back", "hip_left"], "history.pain_now": 6}),
        (30, {"patient.sex": "male", "history.conditions": ["chronic_kidney_disease"],
              "history.medications": [{"name": "Eliquis", "dose": "5 mg twice daily"}],
              "affected_areas": ["lower_back"], "history.pain_now": 4}),
    )),
    ("Aiko Demo-Tanaka", date(1985, 1, 17), "DEMO-0003", (
        (150, {"affected_areas": ["neck", "upper_back", "lower_back", "shoulder_left",
                                  "shoulder_right", "hip_left", "hip_right", "upper_leg_left",
                                  "upper_leg_right"],
               "symptom_severity.fatigue": 3, "history.duration_weeks": 40,
               "history.pain_now": 8, "history.medications": []}),
        (75, {"affected_areas": ["neck", "upper_back", "lower_back", "shoulder_left",
                                 "shoulder_right", "hip_left", "hip_right"],
              "symptom_severity.fatigue": 2, "history.duration_weeks": 51,
              "history.pain_now": 6, "history.medications": []}),
        (7, {"affected_areas": ["neck", "upper_back", "shoulder_left", "shoulder_right"],
             "symptom_severity.fatigue": 2, "history.duration_weeks": 62,
             "history.pain_now": 5, "history.medications": []}),
    )),
    ("Samuel Demo-Okafor", date(1961, 11, 5), "DEMO-0004", (
        (45, {"patient.sex": "male",
              "history.medications": [{"name": "Zocor", "dose": "40 mg nightly",
                                       "started": "2025-01-10"}]}),
        (3, {"patient.sex": "male",
             "history.medications": [
                 {"name": "Zocor", "dose": "40 mg nightly", "started": "2025-01-10"},
                 {"name": "clarithromycin", "dose": "500 mg twice daily"}]}),
    )),
)


def seed(engine: Engine, *, today: date, seen_by: Sequence[str] = ()) -> tuple[int, int]:
    """Create the demo patients and their visits; returns (patients, visits).

    Nobody has seen them but the user names in ``seen_by``: anyone else opens them with a
    reason (break the glass), as any patient they have not seen."""
    example = _example()
    visits = 0
    for name, born, mrn, history in PATIENTS:
        with storage.transaction(engine) as session:
            patient = storage.create_patient(session=session, name=name, date_of_birth=born,
                                             mrn=mrn, by=CLINICIAN, request_id=f"demo-{mrn}")
            for username in seen_by:
                storage.grant_access(session=session, patient_id=patient, username=username,
                                     how="created", now=storage.utcnow())
        for number, (days_ago, changes) in enumerate(history, start=1):
            when = today - timedelta(days=days_ago)
            data = _with(example, {"patient.name": name, "patient.date_of_birth": born.isoformat(),
                                   "patient.mrn": mrn, "visit.date": when.isoformat(),
                                   "visit.clinician": CLINICIAN, **changes})
            with storage.transaction(engine) as session:
                visit = storage.start_visit(session=session, patient_id=patient, visit_date=when,
                                            clinician=CLINICIAN, by=CLINICIAN,
                                            request_id=f"demo-{mrn}-visit-{number}")
                version = storage.get_draft(session=session, visit_id=visit).version
                storage.save_draft(session=session, visit_id=visit, data=data,
                                   expected_version=version, by=CLINICIAN,
                                   scores=preview(data, today=when).scores())
                intake = validate_intake(data, today=when)
                plan_id = storage.save_plan(session=session, visit_id=visit, intake=intake,
                                            plan=build_plan(intake=intake, today=when),
                                            by=CLINICIAN, request_id=f"demo-{mrn}-plan-{number}")
                if number < len(history):  # earlier visits were reviewed and signed
                    stored = storage.get_plan(session=session, plan_id=plan_id)
                    # on the visit day, and never after the signature (stamped now)
                    at = min(datetime.combine(when, REVIEWED_AT), storage.utcnow())
                    review = reviewed(stored.plan, stored.intake, at=at)
                    version = storage.save_review(session=session, plan_id=plan_id, review=review,
                                                  expected_version=stored.version, by=CLINICIAN)
                    storage.sign_plan(session=session, plan_id=plan_id, expected_version=version,
                                      by=CLINICIAN, request_id=f"demo-{mrn}-sign-{number}")
            visits += 1
    return len(PATIENTS), visits
