"""One visit as a FHIR R4 ``collection`` Bundle: Patient, QuestionnaireResponse,
Observations (scores), Flags (alerts), a Provenance per acknowledged alert, and the CarePlan.

Why a Provenance for an acknowledgement: an alert is a Flag, and a Flag has no element for
who took it on and when (its ``author`` made it, its ``period`` is when it is active).
Provenance is FHIR's record of who did what to a resource, and when: ``target`` the Flag,
``occurredDateTime`` and ``recorded`` the moment, ``agent`` the clinician as ``performer``,
``activity`` our code ``acknowledge``. (DetectedIssue.mitigation says the same for a
DetectedIssue; the alerts are Flags, and stay Flags for the receivers that read them.)

Why deterministic: ids are uuid5 values derived from the intake and the plan and no clock is
read, so the same visit always gives the same bytes (the golden file compares them).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from careplan.clinical.plan import Alert, CarePlan
from careplan.clinical.review import (
    ADDED_PREFIX,
    Review,
    fingerprint,
    shown_alerts,
    shown_recommendations,
)
from careplan.fhir._codes import (
    ACTIVITY_SYSTEM,
    BASE,
    DOMAIN_EXTENSION,
    DOMAIN_SYSTEM,
    LOINC,
    MRN_SYSTEM,
    RULE_SYSTEM,
    SCORE_SYSTEM,
    SEVERITY_SYSTEM,
    UCUM,
    JsonDict,
    option_system,
)
from careplan.fhir._items import FORM, Question, option_display
from careplan.fhir._output import dump
from careplan.fhir._questionnaire import questionnaire_canonical
from careplan.intake.model import Intake

_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, BASE)


@dataclass(frozen=True, slots=True)
class _Score:
    id: str
    text: str
    loinc: tuple[str, str] | None


# Scores exported as Observations. PEG, WPI, SSS and GAD-2 have no LOINC code we
# are sure of, so they carry only our own score code and a text. (70274-6 is the
# GAD-7 total, 0-21: it must not label a GAD-2 value.)
SCORES: Final[tuple[_Score, ...]] = (
    _Score("pain_now", "Pain now (0-10 numeric rating scale)",
           ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")),
    _Score("peg", "PEG-3 score (mean of pain, enjoyment and general activity, 0-10)", None),
    _Score("wpi", "Widespread Pain Index (ACR 2016, 0-19)", None),
    _Score("sss", "Symptom Severity Scale (ACR 2016, 0-12)", None),
    _Score("phq4", "PHQ-4 total score (0-12)",
           ("70272-0", "Patient Health Questionnaire 4 item (PHQ-4) total score [Reported]")),
    _Score("gad2", "GAD-2 anxiety subscale of the PHQ-4 (0-6)", None),
    _Score("phq2", "PHQ-2 depression subscale of the PHQ-4 (0-6)",
           ("55758-7", "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]")),
)


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ref(resource_id: str, display: str | None = None) -> JsonDict:
    ref: JsonDict = {"reference": f"urn:uuid:{resource_id}"}
    if display is not None:
        ref["display"] = display
    return ref


def _answers(question: Question, value: Any) -> list[JsonDict]:
    values = value if question.repeats else [value]
    if question.type == "boolean":
        return [{"valueBoolean": v} for v in values]
    if question.type == "integer":
        return [{"valueInteger": v} for v in values]
    if question.type == "decimal":
        return [{"valueDecimal": float(v)} for v in values]
    if question.type == "date":
        return [{"valueDate": v} for v in values]
    if question.type == "choice":
        system = option_system(question.link_id)
        return [{"valueCoding": {"system": system, "code": v,
                                 "display": option_display(question, v)}}
                for v in values]
    return [{"valueString": v} for v in values]


def _response_items(questions: tuple[Question, ...], data: Mapping[str, Any]) -> list[JsonDict]:
    """QuestionnaireResponse items for the answers present in ``data`` (absent: not asked)."""
    items: list[JsonDict] = []
    for question in questions:
        value = data.get(question.key)
        if value is None:
            continue
        if question.type == "group" and question.repeats:  # the medicines
            if not value:
                items.append({"linkId": question.link_id, "text": question.text})
            for entry in value:
                items.append({"linkId": question.link_id, "text": question.text,
                              "item": _response_items(question.items, entry)})
        elif question.type == "group":
            children = _response_items(question.items, value)
            if children:
                items.append({"linkId": question.link_id, "text": question.text,
                              "item": children})
        else:
            item: JsonDict = {"linkId": question.link_id, "text": question.text}
            if value != []:
                item["answer"] = _answers(question, value)
            items.append(item)
    return items


def _patient(intake: Intake, patient_id: str) -> JsonDict:
    who = intake.patient
    data: JsonDict = {"resourceType": "Patient", "id": patient_id}
    if who.mrn is not None:
        data["identifier"] = [{
            "use": "usual",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                 "code": "MR", "display": "Medical record number"}]},
            "system": MRN_SYSTEM,
            "value": who.mrn,
        }]
    data["name"] = [{"text": who.name}]
    if who.sex is not None:
        data["gender"] = who.sex  # the contract's codes are FHIR's AdministrativeGender codes
    data["birthDate"] = who.date_of_birth.isoformat()
    data["communication"] = [{
        "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": who.preferred_language}]},
        "preferred": True,
    }]
    return dump(Patient.model_validate(data))


def _response(intake: Intake, response_id: str, patient_id: str) -> JsonDict:
    data: JsonDict = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": questionnaire_canonical(),
        "status": "completed",
        "subject": _ref(patient_id, intake.patient.name),
        "authored": intake.visit.date.isoformat(),
    }
    if intake.visit.clinician is not None:
        data["author"] = {"display": intake.visit.clinician}
    data["item"] = _response_items(FORM, intake.model_dump(mode="json", exclude_none=True))
    return dump(QuestionnaireResponse.model_validate(data))


def _observation(score: _Score, value: float, band: str | None, *, ids: tuple[str, str, str],
                 visit: date) -> JsonDict:
    observation_id, patient_id, response_id = ids
    coding = [{"system": SCORE_SYSTEM, "code": score.id, "display": score.text}]
    if score.loinc is not None:
        coding.insert(0, {"system": LOINC, "code": score.loinc[0], "display": score.loinc[1]})
    data: JsonDict = {
        "resourceType": "Observation",
        "id": observation_id,
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey", "display": "Survey"}]}],
        "code": {"coding": coding, "text": score.text},
        "subject": _ref(patient_id),
        "effectiveDateTime": visit.isoformat(),
        "valueQuantity": {"value": value, "unit": "score", "system": UCUM, "code": "{score}"},
        "derivedFrom": [_ref(response_id)],
    }
    if band:
        data["interpretation"] = [{"text": band}]
    return dump(Observation.model_validate(data))


def _rule_code(item_id: str, title: str) -> JsonDict:
    if item_id.startswith(ADDED_PREFIX):  # written by the clinician: no rule behind it
        return {"text": title}
    return {"coding": [{"system": RULE_SYSTEM, "code": item_id, "display": title}],
            "text": title}


def _instant(moment: datetime) -> str:
    """A FHIR instant in UTC to the second (a stored time without a zone is UTC)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _acknowledgement(alert: Alert, review: Review | None, *, flag_id: str,
                     visit: str) -> JsonDict | None:
    """The Provenance of a clinician's acknowledgement of the alert as it stands (the Flag
    ``flag_id``), or ``None``: none given, or given to the alert as it was before a change."""
    mark = None if review is None else review.acknowledgement_of(alert)
    if mark is None:
        return None
    at = _instant(mark.at)
    return dump(Provenance.model_validate({
        "resourceType": "Provenance",
        "id": _uuid("Provenance", visit, alert.id, fingerprint(alert), mark.by, at),
        "target": [_ref(flag_id, alert.title)],
        "occurredDateTime": at,
        "recorded": at,
        "activity": {"coding": [{"system": ACTIVITY_SYSTEM, "code": "acknowledge",
                                 "display": "Alert acknowledged"}],
                     "text": f"{alert.severity} alert acknowledged by the clinician"},
        "agent": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                "code": "performer", "display": "Performer"}]},
            "who": {"display": mark.by},
        }],
    }))


def _signature(signed_by: str | None, signed_on: date | None) -> bool:
    if (signed_by is None) != (signed_on is None):
        raise ValueError("a signature needs both signed_by and signed_on")
    return signed_by is not None


def bundle(*, intake: Intake, plan: CarePlan, review: Review | None, signed_by: str | None,
           signed_on: date | None) -> JsonDict:
    """One visit as a FHIR R4 ``collection`` Bundle (deterministic ids and timestamp).

    The CarePlan is ``active`` when signed (``signed_by`` and ``signed_on``), else
    ``draft``; its activities are the recommendations the patient will see. Each alert's
    Flag is followed by the Provenance of its acknowledgement, when the review holds one for
    the alert as it stands.
    """
    signed = _signature(signed_by, signed_on)
    who = intake.patient
    person = f"mrn:{who.mrn}" if who.mrn else f"name:{who.name}|{who.date_of_birth.isoformat()}"
    visit = f"{person}|visit:{intake.visit.date.isoformat()}"
    patient_id = _uuid("Patient", person)
    response_id = _uuid("QuestionnaireResponse", visit)
    resources: list[JsonDict] = [_patient(intake, patient_id),
                                 _response(intake, response_id, patient_id)]

    bands = {detail.id: detail.band for detail in plan.score_details}
    for score in SCORES:
        value = plan.scores.get(score.id)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        ids = (_uuid("Observation", visit, score.id), patient_id, response_id)
        resources.append(_observation(score, value, bands.get(score.id), ids=ids,
                                      visit=intake.visit.date))
    observations = [r for r in resources if r["resourceType"] == "Observation"]

    shown = {alert.id for alert in shown_alerts(plan, review)}
    for alert in plan.alerts:
        flag_id = _uuid("Flag", visit, alert.id)
        resources.append(dump(Flag.model_validate({
            "resourceType": "Flag",
            "id": flag_id,
            "status": "active" if alert.id in shown else "inactive",  # inactive: rejected
            "category": [
                {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category",
                             "code": "clinical", "display": "Clinical"}]},
                {"coding": [{"system": SEVERITY_SYSTEM, "code": alert.severity}],
                 "text": f"{alert.severity} ({alert.timeframe.replace('_', ' ')})"},
            ],
            "code": _rule_code(alert.id, alert.title),
            "subject": _ref(patient_id),
            "period": {"start": intake.visit.date.isoformat()},
        })))
        acknowledged = _acknowledgement(alert, review, flag_id=flag_id, visit=visit)
        if acknowledged is not None:
            resources.append(acknowledged)

    author = signed_by if signed else intake.visit.clinician
    created = signed_on if signed_on is not None else plan.generated_on
    care_plan: JsonDict = {
        "resourceType": "CarePlan",
        "status": "active" if signed else "draft",
        "intent": "plan",
        "title": "Care plan for persistent muscle pain",
        "description": plan.disclaimer,
        "subject": _ref(patient_id, who.name),
        "created": created.isoformat(),
        "supportingInfo": [_ref(response_id), *(_ref(o["id"]) for o in observations)],
        "activity": [
            {"detail": {
                "extension": [{"url": DOMAIN_EXTENSION, "valueCoding": {
                    "system": DOMAIN_SYSTEM, "code": rec.domain,
                    "display": rec.domain.replace("_", " ").capitalize()}}],
                "code": _rule_code(rec.id, rec.title),
                "reasonCode": [{"text": because} for because in rec.because],
                "status": "not-started",
                "description": rec.patient_text,
            }}
            for rec in shown_recommendations(plan, review)
        ],
        "note": [{"text": f"Rule base {plan.rule_base.version} ({plan.rule_base.digest}); "
                          f"generated {plan.generated_on.isoformat()}."}],
    }
    if author is not None:
        care_plan["author"] = {"display": author}
    care_plan["id"] = _uuid("CarePlan", visit, _digest(care_plan))
    resources.append(dump(FhirCarePlan.model_validate(care_plan)))

    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return dump(Bundle.model_validate({
        "resourceType": "Bundle",
        "id": _uuid("Bundle", visit, _digest(entries)),
        "type": "collection",
        "timestamp": f"{plan.generated_on.isoformat()}T00:00:00Z",
        "entry": entries,
    }))
