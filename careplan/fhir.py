"""FHIR R4 interoperability: the intake form as a Questionnaire, a visit as a Bundle, and back.

Why a module of its own: an electronic record or a patient app speaks FHIR, not our
contract JSON. This is the only module that imports ``fhir.resources`` (its R4B
models, which serve R4 servers), so the rest of the package never depends on it.

- ``questionnaire()``: the intake form, one item per contract field, ``linkId`` =
  the contract's dotted path, made from the form registry (careplan.form), LOINC codes
  only where they are certain.
- ``bundle(...)``: a ``collection`` Bundle with the Patient, the intake as a
  QuestionnaireResponse, one Observation per score that was computed, one Flag per
  alert, and the CarePlan with one activity per recommendation the patient sees.
- ``import_response(...)``: a QuestionnaireResponse back to an intake draft; every
  answer it cannot place is listed in ``unmapped``, never dropped in silence.

Output is deterministic: no clock is read and ids are uuid5 values derived from the
intake and the plan, so the same input always gives the same bytes. Every resource
is checked against the fhir.resources model before it is returned.

Conventions a receiver needs to know: an absent item or answer means "not asked";
a list question that is present with no answers (or the medication group with no
items) means "asked: none".
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import BaseModel, ValidationError

from careplan import form
from careplan import intake as model
from careplan.errors import FhirImportError, IntakeError
from careplan.intake import Intake
from careplan.plan import CarePlan
from careplan.review import ADDED_PREFIX, Review, shown_alerts, shown_recommendations
from careplan.validation import parse_json

JsonDict = dict[str, Any]
ItemType = Literal["group", "string", "text", "date", "integer", "decimal", "boolean", "choice"]

BASE: Final = "https://inomyalgia.care/fhir"
QUESTIONNAIRE_URL: Final = f"{BASE}/Questionnaire/intake"
RULE_SYSTEM: Final = f"{BASE}/CodeSystem/rule"
SCORE_SYSTEM: Final = f"{BASE}/CodeSystem/score"
DOMAIN_SYSTEM: Final = f"{BASE}/CodeSystem/domain"
SEVERITY_SYSTEM: Final = f"{BASE}/CodeSystem/alert-severity"
DOMAIN_EXTENSION: Final = f"{BASE}/StructureDefinition/recommendation-domain"
MRN_SYSTEM: Final = f"{BASE}/sid/mrn"
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"

_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
_MIN_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"
_QR_STATUSES: Final = ("in-progress", "completed", "amended", "entered-in-error", "stopped")
_FULL_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_MEDICATIONS: Final = "history.medications"


def option_system(link_id: str) -> str:
    """The CodeSystem of a choice question's answers, named after the field."""
    return f"{BASE}/CodeSystem/{link_id.rsplit('.', 1)[-1]}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The intake draft recovered from a response (not validated) and what did not fit."""

    draft: JsonDict
    unmapped: tuple[str, ...]


# ------------------------------------------------------------------ the form


@dataclass(frozen=True, slots=True)
class Question:
    """One item of the intake Questionnaire; ``link_id`` is the contract's dotted path."""

    link_id: str
    text: str
    type: ItemType
    options: tuple[str, ...] = ()
    repeats: bool = False
    required: bool = False
    loinc: tuple[str, str] | None = None  # (code, display)
    bounds: tuple[float, float] | None = None
    max_length: int | None = None
    enable_when: tuple[str, bool] | None = None  # (question, answer) that shows this one
    items: tuple[Question, ...] = field(default=())

    @property
    def key(self) -> str:
        return self.link_id.rsplit(".", 1)[-1]


def _group(link_id: str, text: str, *items: Question, repeats: bool = False,
           required: bool = False) -> Question:
    return Question(link_id, text, "group", items=items, repeats=repeats, required=required)


def _yes(link_id: str, text: str) -> Question:
    return Question(link_id, text, "boolean")


_TYPES: Final[dict[form.Kind, ItemType]] = {
    "text": "string", "textarea": "text", "lines": "string", "int": "integer",
    "float": "decimal", "date": "date", "choice": "choice", "multi": "choice",
    "yesno": "boolean",
}
# LOINC codes, only where they are certain.
_LOINC: Final[dict[str, tuple[str, str]]] = {
    "history.pain_now": ("72514-3",
                         "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
    "risk_factors.phq4.anxious": ("69725-0", "Feeling nervous, anxious or on edge"),
    "risk_factors.phq4.worry": ("68509-9", "Over the past 2 weeks have you not been able to "
                                "stop or control worrying"),
    "risk_factors.phq4.little_interest": ("44250-9",
                                          "Little interest or pleasure in doing things"),
    "risk_factors.phq4.down": ("44255-8", "Feeling down, depressed, or hopeless"),
}


def _question(entry: form.Entry) -> Question:
    kind = _TYPES[entry.kind]
    return Question(
        entry.path, entry.text, kind, options=entry.options, repeats=entry.repeats,
        # Inside a repeating group a required item would forbid the empty group, which means
        # "asked: none" (the medicines); the intake model refuses a medicine without a name.
        required=entry.required and entry.in_list is None,
        loinc=_LOINC.get(entry.path), bounds=entry.bounds,
        max_length=entry.max_length if kind in ("string", "text") else None,
        enable_when=entry.asked_when,
    )


def _child_of(prefix: str, path: str) -> str | None:
    """The item directly under ``prefix`` that holds ``path`` (itself or a group)."""
    if prefix and not path.startswith(f"{prefix}."):
        return None
    rest = path.removeprefix(f"{prefix}.") if prefix else path
    return f"{prefix}.{rest.split('.')[0]}" if prefix else rest.split(".")[0]


def _items_under(prefix: str) -> tuple[Question, ...]:
    groups = {g.path: g for g in form.GROUPS}
    children = dict.fromkeys(c for e in form.ENTRIES if (c := _child_of(prefix, e.path)))
    out: list[Question] = []
    for child in children:
        group = groups.get(child)
        if group is None:
            out.append(_question(form.entry(child)))
        else:
            out.append(_group(child, group.text, *_items_under(child), repeats=group.repeats,
                              required=group.required))
    return tuple(out)


# The intake form, made from the registry (careplan.form) in the model's order.
FORM: Final[tuple[Question, ...]] = _items_under("")


def _flatten(questions: tuple[Question, ...]) -> tuple[Question, ...]:
    out: list[Question] = []
    for question in questions:
        out.append(question)
        out.extend(_flatten(question.items))
    return tuple(out)


ALL_QUESTIONS: Final = _flatten(FORM)
BY_LINK_ID: Final[dict[str, Question]] = {q.link_id: q for q in ALL_QUESTIONS}
# Items of earlier versions of the form that are still read. Each is placed at its old
# contract path, and the intake model reads it (and says so in the plan).
LEGACY_QUESTIONS: Final[dict[str, Question]] = {
    f"red_flags.{model.LEGACY_NUMBNESS}": _yes(
        f"red_flags.{model.LEGACY_NUMBNESS}", "Numbness, or a change in bladder or bowel control"
    ),
}


@cache
def form_version() -> str:
    """The project's version: installed metadata, else ``pyproject.toml`` beside the package."""
    try:
        return importlib.metadata.version("inomyalgia-care")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0.0.0"


def questionnaire_canonical() -> str:
    return f"{QUESTIONNAIRE_URL}|{form_version()}"


def _display(question: Question, code: str) -> str:
    label = form.entry(question.link_id).option_label(code)
    return label[:1].upper() + label[1:]


def _number(question: Question, value: float) -> JsonDict:
    return {"valueInteger": int(value)} if question.type == "integer" else {
        "valueDecimal": float(value)}


def _item(question: Question) -> JsonDict:
    item: JsonDict = {"linkId": question.link_id}
    if question.bounds is not None:
        low, high = question.bounds
        item["extension"] = [{"url": _MIN_VALUE, **_number(question, low)},
                             {"url": _MAX_VALUE, **_number(question, high)}]
    if question.loinc is not None:
        item["code"] = [{"system": LOINC, "code": question.loinc[0],
                         "display": question.loinc[1]}]
    item["text"] = question.text
    item["type"] = question.type
    if question.enable_when is not None:
        asked, answer = question.enable_when
        item["enableWhen"] = [{"question": asked, "operator": "=", "answerBoolean": answer}]
    if question.required:
        item["required"] = True
    if question.repeats:
        item["repeats"] = True
    if question.max_length is not None:
        item["maxLength"] = question.max_length
    if question.options:
        system = option_system(question.link_id)
        item["answerOption"] = [
            {"valueCoding": {"system": system, "code": code, "display": _display(question, code)}}
            for code in question.options
        ]
    if question.items:
        item["item"] = [_item(child) for child in question.items]
    return item


def questionnaire_resource() -> Questionnaire:
    """The intake form as a validated fhir.resources R4B ``Questionnaire``."""
    return Questionnaire.model_validate({
        "resourceType": "Questionnaire",
        "id": "intake",
        "url": QUESTIONNAIRE_URL,
        "version": form_version(),
        "name": "InomyalgiaCareIntake",
        "title": "Inomyalgia Care intake: persistent muscle pain",
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Inomyalgia Care",
        "description": (
            "The clinician intake for persistent muscle pain (myalgia) in adults. Each linkId "
            "is the field's dotted path in the Inomyalgia Care intake contract. An unanswered "
            "item means 'not asked', never 'no'. A repeating item present with no answers "
            "means 'asked: none'."
        ),
        "item": [_item(question) for question in FORM],
    })


def questionnaire() -> JsonDict:
    """The intake form as FHIR R4 Questionnaire JSON (a fresh dict each call)."""
    return _dump(questionnaire_resource())


# ------------------------------------------------------------------ the bundle


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


def _dump(resource: BaseModel) -> JsonDict:
    return resource.model_dump(mode="json", exclude_none=True)


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
        return [{"valueCoding": {"system": system, "code": v, "display": _display(question, v)}}
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
    return _dump(Patient.model_validate(data))


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
    return _dump(QuestionnaireResponse.model_validate(data))


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
    return _dump(Observation.model_validate(data))


def _rule_code(item_id: str, title: str) -> JsonDict:
    if item_id.startswith(ADDED_PREFIX):  # written by the clinician: no rule behind it
        return {"text": title}
    return {"coding": [{"system": RULE_SYSTEM, "code": item_id, "display": title}],
            "text": title}


def _signature(signed_by: str | None, signed_on: date | None) -> bool:
    if (signed_by is None) != (signed_on is None):
        raise ValueError("a signature needs both signed_by and signed_on")
    return signed_by is not None


def bundle(*, intake: Intake, plan: CarePlan, review: Review | None, signed_by: str | None,
           signed_on: date | None) -> JsonDict:
    """One visit as a FHIR R4 ``collection`` Bundle (deterministic ids and timestamp).

    The CarePlan is ``active`` when signed (``signed_by`` and ``signed_on``), else
    ``draft``; its activities are the recommendations the patient will see.
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
        resources.append(_dump(Flag.model_validate({
            "resourceType": "Flag",
            "id": _uuid("Flag", visit, alert.id),
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
    resources.append(_dump(FhirCarePlan.model_validate(care_plan)))

    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return _dump(Bundle.model_validate({
        "resourceType": "Bundle",
        "id": _uuid("Bundle", visit, _digest(entries)),
        "type": "collection",
        "timestamp": f"{plan.generated_on.isoformat()}T00:00:00Z",
        "entry": entries,
    }))


def to_json(resource: Mapping[str, Any]) -> str:
    """A resource as UTF-8 JSON text with the key order it was built in."""
    return json.dumps(resource, ensure_ascii=False, indent=2) + "\n"


# ------------------------------------------------------------------ import


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return _one_line(f"{where}: {first['msg']}" if where else first["msg"])


def _parse(data: Mapping[str, Any] | str | bytes) -> JsonDict:
    if isinstance(data, str | bytes):
        try:
            raw = parse_json(data)
        except IntakeError as exc:
            raise FhirImportError(f"not valid JSON: {exc}") from None
    else:
        raw = data
    if not isinstance(raw, Mapping):
        raise FhirImportError("expected a FHIR QuestionnaireResponse object, got a JSON "
                              f"{type(raw).__name__}")
    kind = raw.get("resourceType")
    if kind != "QuestionnaireResponse":
        got = f"a {kind}" if isinstance(kind, str) else "no resourceType"
        raise FhirImportError(f"expected a FHIR QuestionnaireResponse, got {got}")
    try:
        QuestionnaireResponse.model_validate(dict(raw))
    except ValidationError as exc:
        raise FhirImportError(
            f"not a valid FHIR R4 QuestionnaireResponse: {_first_problem(exc)}") from None
    except (ValueError, TypeError) as exc:
        raise FhirImportError(
            f"not a valid FHIR R4 QuestionnaireResponse: {_one_line(str(exc))}") from None
    status = raw.get("status")
    if status not in _QR_STATUSES:
        raise FhirImportError(f"status {status!r} is not a QuestionnaireResponse status "
                              f"({', '.join(_QR_STATUSES)})")
    if status == "entered-in-error":
        raise FhirImportError("the response is marked entered-in-error; nothing imported")
    canonical = raw.get("questionnaire")
    if not isinstance(canonical, str) or not canonical:
        raise FhirImportError("the response does not say which questionnaire it answers")
    if canonical.split("|", 1)[0] != QUESTIONNAIRE_URL:
        raise FhirImportError(
            f"the response answers another questionnaire ({_one_line(canonical)}), "
            f"not {QUESTIONNAIRE_URL}")
    return dict(raw)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


_EXPECTED: Final[dict[str, str]] = {
    "boolean": "true or false (valueBoolean)",
    "integer": "a whole number (valueInteger)",
    "decimal": "a number (valueDecimal)",
    "date": "a full date YYYY-MM-DD (valueDate)",
    "string": "text (valueString)",
    "text": "text (valueString)",
    "choice": "one of the form's codes (valueCoding)",
}


def _value(question: Question, answer: Any) -> tuple[bool, Any]:
    """``(True, value)`` for an answer of the question's type, else ``(False, None)``."""
    if not isinstance(answer, Mapping):
        return False, None
    values = {k: v for k, v in answer.items() if k.startswith("value")}
    if len(values) != 1:
        return False, None
    (key, value), = values.items()
    kind = question.type
    if kind == "boolean":
        ok = key == "valueBoolean" and isinstance(value, bool)
    elif kind == "integer":
        ok = key == "valueInteger" and isinstance(value, int) and not isinstance(value, bool)
    elif kind == "decimal":
        ok = (key == "valueDecimal" and isinstance(value, int | float)
              and not isinstance(value, bool))
    elif kind == "date":
        ok = key == "valueDate" and isinstance(value, str) and bool(_FULL_DATE.fullmatch(value))
    elif kind == "choice":
        ok = (key == "valueCoding" and isinstance(value, Mapping)
              and value.get("system") == option_system(question.link_id)
              and value.get("code") in question.options)
        value = value.get("code") if ok else None
    else:
        ok = key == "valueString" and isinstance(value, str)
    return (True, value) if ok else (False, None)


def _set(target: JsonDict, path: list[str], value: Any) -> None:
    node = target
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # pragma: no cover - only we build this draft
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _get(target: JsonDict, path: list[str]) -> Any:
    node: Any = target
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class _Mapper:
    """Walks response items and places each answer at its contract path."""

    def __init__(self) -> None:
        self.draft: JsonDict = {}
        self.unmapped: list[str] = []

    def walk(self, items: list[Any], medicine: JsonDict | None) -> None:
        for item in items:
            if not isinstance(item, Mapping):
                continue  # pragma: no cover - the FHIR model refuses these
            self.item(item, medicine)

    def item(self, item: Mapping[str, Any], medicine: JsonDict | None) -> None:
        link_id = str(item.get("linkId"))
        answers = _list(item.get("answer"))
        children = _list(item.get("item"))
        for answer in answers:  # items nested under an answer: placed by linkId like others
            if isinstance(answer, Mapping):
                children += _list(answer.get("item"))
        question = BY_LINK_ID.get(link_id) or LEGACY_QUESTIONS.get(link_id)
        if question is None:
            self.unmapped.append(f"{link_id}: not a question of the intake form")
            self.walk(children, medicine)
            return
        if question.type == "group":
            if answers:
                self.unmapped.append(f"{link_id}: a group has no answers of its own")
            if question.link_id == _MEDICATIONS:
                self.medication(link_id, children, medicine)
            else:
                self.walk(children, medicine)
            return
        self.answer(question, answers, medicine)
        self.walk(children, medicine)

    def medication(self, link_id: str, children: list[Any], medicine: JsonDict | None) -> None:
        if medicine is not None:
            self.unmapped.append(f"{link_id}: a medicine inside another medicine")
            return
        medicines = _get(self.draft, ["history", "medications"])
        if not isinstance(medicines, list):
            medicines = []
            _set(self.draft, ["history", "medications"], medicines)
        if children:  # an empty group is "asked: no medicines"
            entry: JsonDict = {}
            medicines.append(entry)
            self.walk(children, entry)

    def answer(self, question: Question, answers: list[Any], medicine: JsonDict | None) -> None:
        link_id = question.link_id
        in_medicine = link_id.startswith(f"{_MEDICATIONS}.")
        if in_medicine and medicine is None:
            self.unmapped.append(f"{link_id}: belongs inside a {_MEDICATIONS} group")
            return
        target = medicine if in_medicine and medicine is not None else self.draft
        path = [question.key] if in_medicine else link_id.split(".")
        values: list[Any] = []
        for answer in answers:
            ok, value = _value(question, answer)
            if ok:
                values.append(value)
            else:
                self.unmapped.append(f"{link_id}: answer {_show(answer)} is not "
                                     f"{_EXPECTED[question.type]}")
        existing = _get(target, path)
        if question.repeats:
            _set(target, path, [*(existing if isinstance(existing, list) else []), *values])
            return
        if not values:
            return  # no usable answer: not asked (any bad one is listed above)
        if existing is not None or len(values) > 1:
            shown = ", ".join(_show(v) for v in values)
            self.unmapped.append(f"{link_id}: answered more than once ({shown})")
            return
        _set(target, path, values[0])


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def import_response(data: Mapping[str, Any] | str | bytes) -> ImportResult:
    """Read a QuestionnaireResponse to our intake form back into an intake draft.

    Raises ``FhirImportError`` (one line) for input that is not JSON, not a
    QuestionnaireResponse, invalid FHIR, or an answer to another questionnaire.
    The draft is not validated: callers run ``validate_intake`` on it.
    """
    raw = _parse(data)
    mapper = _Mapper()
    mapper.walk(_list(raw.get("item")), None)
    return ImportResult(draft=mapper.draft, unmapped=tuple(mapper.unmapped))
