"""FHIR R4 export and import: resources validate, the example is golden, answers round-trip."""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

from careplan.clinical.engine import build_plan
from careplan.clinical.plan import CarePlan
from careplan.clinical.review import (
    Acknowledgement,
    AddedRecommendation,
    Decision,
    Review,
    needs_acknowledgement,
    shown_recommendations,
)
from careplan.errors import CareplanError, FhirImportError, IntakeError
from careplan.fhir import (
    ACTIVITY_SYSTEM,
    QUESTIONNAIRE_URL,
    RULE_SYSTEM,
    bundle,
    import_response,
    option_system,
    questionnaire,
    to_json,
)
from careplan.intake import model
from careplan.intake.model import Intake
from careplan.intake.validation import validate_intake
from factories import EXAMPLE_PATH, TODAY, example_data, make_intake
from factories import run_command as run
from strategies import intakes

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "fhir-bundle.example.json"
MODELS: dict[str, type[BaseModel]] = {
    "Patient": Patient,
    "QuestionnaireResponse": QuestionnaireResponse,
    "Observation": Observation,
    "Flag": Flag,
    "Provenance": Provenance,
    "CarePlan": FhirCarePlan,
}
LOINC_ITEMS = {
    "history.pain_now": "72514-3",
    "risk_factors.phq4.anxious": "69725-0",
    "risk_factors.phq4.worry": "68509-9",
    "risk_factors.phq4.little_interest": "44250-9",
    "risk_factors.phq4.down": "44255-8",
}
ENUMS = {
    "patient.sex": model.SEXES,
    "patient.preferred_language": model.LANGUAGES,
    "history.onset": model.ONSETS,
    "history.pattern": model.PATTERNS,
    "history.character": model.CHARACTERS,
    "history.triggers": model.TRIGGERS,
    "history.conditions": model.CONDITIONS,
    "affected_areas": model.AREAS,
    "risk_factors.sleep_quality": model.SLEEP_QUALITIES,
}
SIGNER = "Dr. A. Rivera"


# ------------------------------------------------------------------ helpers


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return False


def intake_fields(cls: type[BaseModel] = Intake, prefix: str = "") -> dict[str, str]:
    """Every field path of the intake model: 'group', 'groups', 'list' or 'value'."""
    out: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        path = prefix + name
        nested = _models_in(info.annotation)
        many = _is_list(info.annotation)
        out[path] = ("groups" if many else "group") if nested else "list" if many else "value"
        for child in nested:
            out.update(intake_fields(child, f"{path}."))
    return out


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk(item.get("item", []))
        for answer in item.get("answer", []):
            yield from walk(answer.get("item", []))


def resources(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def the(data: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources(data, kind)
    return found


def signed_review(plan: CarePlan) -> Review:
    """Accept most, reject one, edit one, leave one undecided, add one; signed."""
    decisions = [Decision(item_id=r.id, action="accept") for r in plan.recommendations
                 if r.id not in ("REST-HEAT", "SLEEP-ROUTINE", "PT-EXERCISE")]
    decisions.append(Decision(item_id="REST-HEAT", action="reject", reason="Has numb skin"))
    decisions.append(Decision(item_id="PT-EXERCISE", action="edit", reason="Plainer words",
                              patient_text="Walk for 10 minutes every day, then a bit more."))
    return Review(
        decisions=tuple(decisions),
        added=(AddedRecommendation(domain="rest", title="Desk set-up",
                                   patient_text="Raise your screen to eye level.",
                                   reason="Neck flexion at work"),),
        signed_by=SIGNER, signed_on=TODAY,
    )


@pytest.fixture(scope="module")
def example() -> tuple[Intake, CarePlan, Review, dict[str, Any]]:
    intake = make_intake()
    plan = build_plan(intake=intake, today=TODAY)
    review = signed_review(plan)
    data = bundle(intake=intake, plan=plan, review=review, signed_by=SIGNER, signed_on=TODAY)
    return intake, plan, review, data


def round_trip(intake: Intake) -> Intake:
    plan = build_plan(intake=intake, today=TODAY)
    data = bundle(intake=intake, plan=plan, review=None, signed_by=None, signed_on=None)
    response = json.loads(to_json(the(data, "QuestionnaireResponse")))
    result = import_response(response)
    assert result.unmapped == ()
    return validate_intake(result.draft, today=TODAY)


def response_with(*items: dict[str, Any], **top: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed",
                            "questionnaire": f"{QUESTIONNAIRE_URL}|0.1.0"}
    base.update(top)
    base["item"] = list(items)
    return base


def answered(link_id: str, *answers: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": list(answers)}


# ------------------------------------------------------------------ the Questionnaire


def test_questionnaire_validates_and_has_one_item_per_intake_field() -> None:
    data = questionnaire()
    parsed = Questionnaire.model_validate(data)
    assert parsed.model_dump(mode="json", exclude_none=True) == data
    assert data["url"] == QUESTIONNAIRE_URL
    assert data["status"] == "active"
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["version"])
    items = {item["linkId"]: item for item in walk(data["item"])}
    assert len(items) == len(list(walk(data["item"])))  # linkIds are unique
    fields = intake_fields()
    assert set(items) == set(fields)
    for path, kind in fields.items():
        item = items[path]
        assert (item["type"] == "group") == kind.startswith("group"), path
        assert item.get("repeats", False) == (kind in ("list", "groups")), path
    assert fields["history.medications"] == "groups"
    assert [i["linkId"] for i in items["history.medications"]["item"]] == [
        "history.medications.name", "history.medications.dose", "history.medications.started"]


def test_questionnaire_types_choices_required_and_enable_when() -> None:
    items = {item["linkId"]: item for item in walk(questionnaire()["item"])}
    assert {p for p, i in items.items() if i.get("required") and i["type"] != "group"} == {
        "patient.name", "patient.date_of_birth", "visit.date"}
    for path, codes in ENUMS.items():
        options = [o["valueCoding"] for o in items[path]["answerOption"]]
        assert items[path]["type"] == "choice"
        assert [o["code"] for o in options] == list(codes)
        assert {o["system"] for o in options} == {option_system(path)}
    assert {p for p, i in items.items() if i["type"] == "choice"} == set(ENUMS)
    expected_types = {"patient.date_of_birth": "date", "visit.date": "date",
                      "history.medications.started": "date", "visit.reason": "text",
                      "history.notes": "text", "patient.name": "string",
                      "history.allergies": "string", "history.pain_now": "integer",
                      "risk_factors.sleep_hours": "decimal",
                      "risk_factors.alcohol_units_per_week": "decimal",
                      "red_flags.dark_urine": "boolean", "risk_factors.pregnant": "boolean"}
    for path, kind in expected_types.items():
        assert items[path]["type"] == kind, path
    assert items["risk_factors.pregnancy_weeks"]["enableWhen"] == [
        {"question": "risk_factors.pregnant", "operator": "=", "answerBoolean": True}]
    assert [p for p, i in items.items() if "enableWhen" in i] == ["risk_factors.pregnancy_weeks"]


def test_questionnaire_carries_the_loinc_codes() -> None:
    items = {item["linkId"]: item for item in walk(questionnaire()["item"])}
    coded = {p: i["code"] for p, i in items.items() if "code" in i}
    assert set(coded) == set(LOINC_ITEMS)
    for path, code in LOINC_ITEMS.items():
        assert coded[path][0]["system"] == "http://loinc.org"
        assert coded[path][0]["code"] == code


def test_only_the_fhir_package_imports_fhir_resources() -> None:
    sources = [*ROOT.glob("careplan/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"),
               ROOT / "app.py"]
    users = {p.relative_to(ROOT).as_posix() for p in sources
             if re.search(r"^\s*(from|import)\s+fhir\b", p.read_text(encoding="utf-8"), re.M)}
    assert users == {"careplan/fhir/_bundle.py", "careplan/fhir/_importer.py",
                     "careplan/fhir/_questionnaire.py"}


# ------------------------------------------------------------------ the Bundle


def test_example_bundle_validates_entry_by_entry(example: Any) -> None:
    _, _, _, data = example
    assert Bundle.model_validate(data).model_dump(mode="json", exclude_none=True) == data
    assert data["type"] == "collection"
    assert data["timestamp"] == "2026-11-25T00:00:00Z"
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds[:2] == ["Patient", "QuestionnaireResponse"]
    assert kinds[-1] == "CarePlan"
    full_urls = set()
    for entry in data["entry"]:
        resource = entry["resource"]
        parsed = MODELS[resource["resourceType"]].model_validate_json(json.dumps(resource))
        assert parsed.model_dump(mode="json", exclude_none=True) == resource
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        full_urls.add(entry["fullUrl"])
    assert len(full_urls) == len(data["entry"])
    references = re.findall(r'"reference": "([^"]+)"', json.dumps(data))
    assert references
    assert set(references) <= full_urls  # every reference resolves inside the bundle


def test_example_bundle_matches_the_golden_file(example: Any, update_golden: bool) -> None:
    text = to_json(example[3])
    if update_golden:
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_bundle_is_deterministic_and_ids_follow_the_content(example: Any) -> None:
    intake, plan, review, data = example
    again = bundle(intake=intake, plan=plan, review=review, signed_by=SIGNER, signed_on=TODAY)
    assert to_json(again) == to_json(data)
    other = make_intake({"patient.mrn": "B-1"})
    changed = bundle(intake=other, plan=build_plan(intake=other, today=TODAY), review=review,
                     signed_by=SIGNER, signed_on=TODAY)
    assert the(changed, "Patient")["id"] != the(data, "Patient")["id"]
    assert changed["id"] != data["id"]


def test_patient_and_response(example: Any) -> None:
    intake, _, _, data = example
    patient = the(data, "Patient")
    assert patient["name"] == [{"text": "Zoë Nguyễn"}]
    assert patient["birthDate"] == "1968-03-14"
    assert patient["gender"] == "female"
    assert patient["identifier"][0]["value"] == "A-100234"
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    response = the(data, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert response["questionnaire"].split("|")[0] == QUESTIONNAIRE_URL
    assert response["authored"] == intake.visit.date.isoformat()
    assert response["subject"]["reference"] == f"urn:uuid:{patient['id']}"
    questions = {i["linkId"]: i for i in walk(questionnaire()["item"])}
    for item in walk(response["item"]):
        assert item["linkId"] in questions
    assert not any(i["linkId"] == "risk_factors.pregnancy_weeks" for i in walk(response["item"]))


def test_unanswered_questions_are_left_out() -> None:
    intake = make_intake(unset=["history.pain_now", "risk_factors.phq4", "affected_areas"])
    data = bundle(intake=intake, plan=build_plan(intake=intake, today=TODAY), review=None,
                  signed_by=None, signed_on=None)
    link_ids = {i["linkId"] for i in walk(the(data, "QuestionnaireResponse")["item"])}
    assert "history.pain_now" not in link_ids
    assert not any(i.startswith("risk_factors.phq4") for i in link_ids)
    assert "affected_areas" not in link_ids
    codes = {c["code"] for o in resources(data, "Observation") for c in o["code"]["coding"]}
    assert not codes & {"72514-3", "70272-0", "55758-7", "phq4", "gad2", "phq2", "wpi"}


def test_score_observations(example: Any) -> None:
    intake, plan, _, data = example
    observations = {next(c["code"] for c in o["code"]["coding"] if "inomyalgia" in c["system"]):
                    o for o in resources(data, "Observation")}
    assert set(observations) == {"pain_now", "peg", "wpi", "sss", "phq4", "gad2", "phq2"}
    loinc = {k: [c["code"] for c in o["code"]["coding"] if c["system"] == "http://loinc.org"]
             for k, o in observations.items()}
    assert loinc == {"pain_now": ["72514-3"], "peg": [], "wpi": [], "sss": [],
                     "phq4": ["70272-0"], "gad2": [], "phq2": ["55758-7"]}
    response = the(data, "QuestionnaireResponse")
    for key, observation in observations.items():
        assert observation["status"] == "final"
        assert observation["effectiveDateTime"] == intake.visit.date.isoformat()
        assert observation["valueQuantity"]["value"] == plan.scores[key]
        assert observation["valueQuantity"]["code"] == "{score}"
        assert observation["derivedFrom"] == [{"reference": f"urn:uuid:{response['id']}"}]
        assert observation["code"]["text"]


def test_alerts_become_flags_and_a_rejected_alert_is_inactive() -> None:
    intake = make_intake({"red_flags.dark_urine": True, "red_flags.fever_or_chills": True})
    plan = build_plan(intake=intake, today=TODAY)
    assert len(plan.alerts) >= 2
    rejected = plan.alerts[-1].id
    review = Review(decisions=(Decision(item_id=rejected, action="reject", reason="Known"),))
    data = bundle(intake=intake, plan=plan, review=review, signed_by=None, signed_on=None)
    flags = resources(data, "Flag")
    assert [f["code"]["text"] for f in flags] == [a.title for a in plan.alerts]
    for flag, alert in zip(flags, plan.alerts, strict=True):
        assert flag["code"]["coding"] == [{"system": RULE_SYSTEM, "code": alert.id,
                                           "display": alert.title}]
        assert flag["category"][0]["coding"][0]["code"] == "clinical"
        assert flag["status"] == ("inactive" if alert.id == rejected else "active")
        assert flag["subject"]["reference"] == f"urn:uuid:{the(data, 'Patient')['id']}"
        Flag.model_validate(flag)


# An emergency (RF-RHABDO), an urgent (RF-MALIGNANCY) and a routine alert (RF-METABOLIC).
THREE_ALERTS = {"red_flags.dark_urine": True, "red_flags.night_pain": True,
                "history.conditions": ["hypothyroidism"]}
ACKED = datetime(2026, 11, 25, 10, 2, 31, tzinfo=UTC)


def acknowledged_bundle(
    changes: dict[str, Any] = THREE_ALERTS, by: str = SIGNER,
) -> tuple[CarePlan, dict[str, Any]]:
    """A signed plan whose emergency and urgent alerts ``by`` acknowledged at ``ACKED``."""
    intake = make_intake(changes)
    plan = build_plan(intake=intake, today=TODAY)
    review = Review(decisions=tuple(Decision(item_id=r.id, action="accept")
                                    for r in plan.recommendations),
                    signed_by=SIGNER, signed_on=TODAY)
    for alert in plan.alerts:
        if needs_acknowledgement(alert):
            review = review.acknowledging(alert, by=by, at=ACKED)
    return plan, bundle(intake=intake, plan=plan, review=review, signed_by=SIGNER,
                        signed_on=TODAY)


def test_an_acknowledged_alert_has_a_provenance_beside_its_flag() -> None:
    """Who acknowledged an alert and when travels with it: a Provenance right after the
    alert's Flag, its target that Flag, the clinician its performer, the moment its occurred
    and recorded time."""
    plan, data = acknowledged_bundle()
    assert [a.severity for a in plan.alerts] == ["emergency", "urgent", "routine"]
    test_example_bundle_validates_entry_by_entry((None, None, None, data))
    entries = [e["resource"] for e in data["entry"]]
    acknowledged: dict[str, dict[str, Any]] = {}  # alert id -> the Provenance after its Flag
    for flag, after in pairwise(entries):
        if flag["resourceType"] == "Flag" and after["resourceType"] == "Provenance":
            acknowledged[flag["code"]["coding"][0]["code"]] = after
            assert after["target"] == [{"reference": f"urn:uuid:{flag['id']}",
                                        "display": flag["code"]["text"]}]
    assert len(resources(data, "Provenance")) == len(acknowledged)
    # the routine alert needs no acknowledgement and has none
    assert list(acknowledged) == [a.id for a in plan.alerts if a.severity != "routine"]
    for provenance in acknowledged.values():
        assert provenance["occurredDateTime"] == "2026-11-25T10:02:31Z"
        assert provenance["recorded"] == "2026-11-25T10:02:31Z"
        assert provenance["activity"]["coding"] == [{"system": ACTIVITY_SYSTEM,
                                                     "code": "acknowledge",
                                                     "display": "Alert acknowledged"}]
        (agent,) = provenance["agent"]
        assert agent["who"] == {"display": SIGNER}
        assert agent["type"]["coding"] == [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "performer", "display": "Performer"}]


def test_no_provenance_without_an_acknowledgement_of_the_alert_as_it_stands() -> None:
    """A draft nobody acknowledged, and an acknowledgement of the alert before it changed
    (another fingerprint), export no Provenance."""
    intake = make_intake(THREE_ALERTS)
    plan = build_plan(intake=intake, today=TODAY)
    draft = bundle(intake=intake, plan=plan, review=None, signed_by=None, signed_on=None)
    assert resources(draft, "Provenance") == []
    stale = Review(acknowledged=(Acknowledgement(alert_id=plan.alerts[0].id, alert="0" * 16,
                                                 by=SIGNER, at=ACKED),))
    data = bundle(intake=intake, plan=plan, review=stale, signed_by=None, signed_on=None)
    assert resources(data, "Provenance") == []


def test_acknowledgements_change_the_bundle_and_keep_it_deterministic() -> None:
    _, first = acknowledged_bundle()
    _, again = acknowledged_bundle()
    assert to_json(first) == to_json(again)
    _, other = acknowledged_bundle(by="Dr. B. Okafor")
    assert other["id"] != first["id"]
    assert ([p["agent"][0]["who"]["display"] for p in resources(other, "Provenance")]
            == ["Dr. B. Okafor"] * 2)


def test_an_acknowledging_clinicians_name_is_exported_as_typed() -> None:
    name = 'O\'Brien "the" <b>Ann</b> & Co'
    _, data = acknowledged_bundle(by=name)
    assert {p["agent"][0]["who"]["display"] for p in resources(data, "Provenance")} == {name}
    assert json.loads(to_json(data)) == data


def test_a_bundle_with_acknowledgements_imports_its_response_only() -> None:
    """The importer reads the intake back (a draft), not the review: acknowledgements, like
    decisions and the signature, are made again by a clinician in this system."""
    _, data = acknowledged_bundle()
    result = import_response(to_json(data))
    assert result.unmapped == ()
    assert validate_intake(result.draft, today=TODAY) == make_intake(THREE_ALERTS)


def test_signed_care_plan_shows_what_the_patient_sees(example: Any) -> None:
    _, plan, review, data = example
    care_plan = the(data, "CarePlan")
    assert care_plan["status"] == "active"
    assert care_plan["intent"] == "plan"
    assert care_plan["author"] == {"display": SIGNER}
    assert care_plan["created"] == TODAY.isoformat()
    shown = shown_recommendations(plan, review)
    activities = [a["detail"] for a in care_plan["activity"]]
    assert len(activities) == len(shown)
    for detail, rec in zip(activities, shown, strict=True):
        assert detail["status"] == "not-started"
        assert detail["description"] == rec.patient_text
        assert detail["code"]["text"] == rec.title
        assert detail["extension"][0]["valueCoding"]["code"] == rec.domain
        if rec.id.startswith("ADDED-"):
            assert "coding" not in detail["code"]
        else:
            assert detail["code"]["coding"] == [{"system": RULE_SYSTEM, "code": rec.id,
                                                 "display": rec.title}]
    rule_ids = [c["code"] for d in activities for c in d["code"].get("coding", [])]
    assert "REST-HEAT" not in rule_ids  # rejected
    assert "SLEEP-ROUTINE" not in rule_ids  # undecided
    edited = next(d for d in activities if d["code"].get("coding", [{}])[0].get("code")
                  == "PT-EXERCISE")
    assert edited["description"] == "Walk for 10 minutes every day, then a bit more."
    assert "Raise your screen to eye level." in [d["description"] for d in activities]


def test_unsigned_care_plan_is_a_draft_by_the_visit_clinician() -> None:
    intake = make_intake()
    plan = build_plan(intake=intake, today=TODAY)
    care_plan = the(bundle(intake=intake, plan=plan, review=None, signed_by=None,
                           signed_on=None), "CarePlan")
    assert care_plan["status"] == "draft"
    assert care_plan["author"] == {"display": "Dr. A. Rivera"}
    assert care_plan["created"] == plan.generated_on.isoformat()
    assert [a["detail"]["code"]["coding"][0]["code"] for a in care_plan["activity"]] == [
        r.id for r in plan.recommendations]
    with pytest.raises(ValueError, match="signature"):
        bundle(intake=intake, plan=plan, review=None, signed_by=SIGNER, signed_on=None)


# ------------------------------------------------------------------ import


def test_export_then_import_round_trips_the_example(example: Any) -> None:
    intake, _, _, data = example
    result = import_response(to_json(the(data, "QuestionnaireResponse")))
    assert result.unmapped == ()
    assert validate_intake(result.draft, today=TODAY) == intake
    assert result.draft == example_data()  # the shared example in the current form


@pytest.mark.parametrize("changes", [
    {"risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 20, "patient.sex": "female"},
    {"history.medications": [], "history.allergies": [], "affected_areas": [],
     "history.character": []},
    {"red_flags.dark_urine": True, "history.triggers": ["none_identified"],
     "risk_factors.sleep_hours": 7.25, "patient.preferred_language": "es"},
    {"history.medications": [{"name": "Zocor 40mg"}, {"name": "ibuprofen", "dose": "400 mg"}]},
])
def test_round_trip_of_variants(changes: dict[str, Any]) -> None:
    intake = make_intake(changes)
    assert round_trip(intake) == intake


def test_round_trip_of_a_minimal_intake() -> None:
    minimal = {"patient": {"name": "Ann", "date_of_birth": "1990-01-02"},
               "visit": {"date": "2026-11-01"}}
    intake = validate_intake(minimal, today=TODAY)
    assert round_trip(intake) == intake


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intakes())
def test_any_valid_intake_round_trips(data: dict[str, Any]) -> None:
    intake = validate_intake(data, today=TODAY)
    assert round_trip(intake) == intake


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    ("[1, 2]", "got a JSON list"),
    ('{"resourceType": "Patient", "id": "p"}', "got a Patient"),
    ('{"status": "completed"}', "got no resourceType"),
    (json.dumps(response_with(status="bogus")), "status 'bogus'"),
    (json.dumps(response_with({"text": "no linkId"})), "not a valid FHIR R4 QuestionnaireResponse"),
    (json.dumps(response_with(status=None)), "not a valid FHIR R4 QuestionnaireResponse"),
    (json.dumps(response_with(unknownField=1)), "not a valid FHIR R4 QuestionnaireResponse"),
    (json.dumps(response_with(status="entered-in-error")), "entered-in-error"),
    (json.dumps(response_with(questionnaire="http://loinc.org/q/44249-1")),
     "answers another questionnaire"),
    (json.dumps(response_with(questionnaire=None)), "does not say which questionnaire"),
])
def test_bad_input_is_refused_in_one_line(data: str | bytes, message: str) -> None:
    with pytest.raises(FhirImportError, match=re.escape(message)) as caught:
        import_response(data)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, CareplanError)


def test_a_foreign_response_is_refused_even_with_our_link_ids(example: Any) -> None:
    response = dict(the(example[3], "QuestionnaireResponse"))
    response["questionnaire"] = "https://example.org/fhir/Questionnaire/intake|0.1.0"
    with pytest.raises(FhirImportError, match="another questionnaire"):
        import_response(response)


def test_unknown_and_wrongly_typed_answers_are_listed_not_dropped() -> None:
    coding = {"system": option_system("history.onset"), "code": "sudden"}
    response = response_with(
        {"linkId": "patient", "item": [answered("patient.name", {"valueString": "Ann"}),
                                       answered("patient.shoe_size", {"valueInteger": 42})]},
        answered("history.pain_now", {"valueString": "6"}),
        answered("history.pain_worst_week", {"valueInteger": 7}),
        answered("history.onset", {"valueCoding": coding}),
        answered("history.pattern", {"valueCoding": {"system": "http://snomed.info/sct",
                                                     "code": "constant"}}),
        answered("red_flags.rash", {"valueBoolean": "yes"}),
        answered("red_flags.night_pain", {"valueBoolean": True}, {"valueBoolean": False}),
        answered("history.character", {"valueCoding": {
            "system": option_system("history.character"), "code": "aching"}},
            {"valueCoding": {"system": option_system("history.character"), "code": "itchy"}}),
        answered("history.medications.name", {"valueString": "loose"}),
        answered("visit.date", {"valueDate": "2026-11"}),
        answered("mystery", {"valueString": "?"}),
    )
    result = import_response(response)
    assert result.draft == {
        "patient": {"name": "Ann"},
        "history": {"pain_worst_week": 7, "onset": "sudden", "character": ["aching"]},
    }
    listed = "\n".join(result.unmapped)
    for link_id in ("patient.shoe_size", "history.pain_now", "history.pattern", "red_flags.rash",
                    "red_flags.night_pain", "history.character", "history.medications.name",
                    "visit.date", "mystery"):
        assert re.search(rf"^{re.escape(link_id)}: ", listed, re.M), link_id
    assert len(result.unmapped) == 9


def test_a_second_answer_to_the_same_question_is_listed() -> None:
    result = import_response(response_with(answered("history.pain_now", {"valueInteger": 3}),
                                            answered("history.pain_now", {"valueInteger": 4})))
    assert result.draft == {"history": {"pain_now": 3}}
    assert result.unmapped == ("history.pain_now: answered more than once (4)",)


def test_the_draft_is_not_validated_here() -> None:
    response = response_with(answered("history.pain_now", {"valueInteger": 11}))
    result = import_response(response)
    assert result.draft == {"history": {"pain_now": 11}}
    with pytest.raises(IntakeError, match=r"history\.pain_now: must be between 0 and 10"):
        validate_intake(result.draft, today=TODAY)


# ------------------------------------------------------------------ the command




def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_command_prints_the_unsigned_bundle() -> None:
    result = run("fhir", EXAMPLE_PATH, "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    intake = make_intake()
    expected = bundle(intake=intake, plan=build_plan(intake=intake, today=TODAY), review=None,
                      signed_by=None, signed_on=None)
    assert result.stdout == to_json(expected)
    assert the(json.loads(result.stdout), "CarePlan")["status"] == "draft"


def test_command_writes_the_bundle_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    out.write_text("old", encoding="utf-8")
    result = run("fhir", EXAMPLE_PATH, "--today", TODAY.isoformat(), "--bundle", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    assert leftovers(tmp_path) == []


def test_command_bad_intake_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    intake = tmp_path / "intake.json"
    data = example_data()
    data["history"]["pain_now"] = 11
    intake.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "bundle.json"
    result = run("fhir", intake, "--today", TODAY.isoformat(), "--bundle", out)
    assert result.returncode == 2
    assert "history.pain_now: must be between 0 and 10" in result.stderr.splitlines()
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_import_command_prints_the_draft_and_lists_unmapped(tmp_path: Path) -> None:
    response = response_with(answered("history.pain_now", {"valueInteger": 5}),
                             answered("mystery", {"valueString": "?"}))
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    result = run("fhir-import", path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"history": {"pain_now": 5}}
    assert result.stderr.splitlines() == ["unmapped: mystery: not a question of the intake form"]
    out = tmp_path / "draft.json"
    result = run("fhir-import", path, "--json", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8")) == {"history": {"pain_now": 5}}
    assert leftovers(tmp_path) == []


def test_import_command_round_trips_the_exported_response(tmp_path: Path) -> None:
    exported = run("fhir", EXAMPLE_PATH, "--today", TODAY.isoformat())
    response = the(json.loads(exported.stdout), "QuestionnaireResponse")
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    result = run("fhir-import", path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert validate_intake(result.stdout, today=TODAY) == make_intake()


@pytest.mark.parametrize("content", [
    "{broken",
    json.dumps({"resourceType": "Patient"}),
    json.dumps(response_with(status="bogus")),
    json.dumps(response_with(questionnaire="http://example.org/Questionnaire/other")),
])
def test_import_command_refuses_bad_input_and_writes_nothing(tmp_path: Path, content: str
                                                             ) -> None:
    path = tmp_path / "response.json"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "draft.json"
    out.write_text("kept", encoding="utf-8")
    result = run("fhir-import", path, "--json", out)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"{path}: ")
    assert out.read_text(encoding="utf-8") == "kept"
    assert leftovers(tmp_path) == []


def test_import_command_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("fhir-import", tmp_path / "absent.json")
    assert result.returncode == 2
    assert "cannot read the file" in result.stderr


def test_questionnaire_asks_the_new_fields() -> None:
    items = {item["linkId"]: item for item in walk(questionnaire()["item"])}
    assert items["history.grapefruit"]["type"] == "boolean"
    assert items["risk_factors.alcohol_drinks_per_week"]["type"] == "decimal"
    assert items["red_flags.saddle_numbness_or_bladder_bowel_change"]["type"] == "boolean"
    assert items["red_flags.limb_numbness_or_tingling"]["type"] == "boolean"
    assert "red_flags.numbness_or_bladder_bowel_change" not in items


def test_an_old_form_numbness_answer_is_imported_and_read_the_safer_way() -> None:
    response = response_with(
        answered("patient.name", {"valueString": "Ann"}),
        answered("patient.date_of_birth", {"valueDate": "1970-01-01"}),
        answered("visit.date", {"valueDate": "2026-11-20"}),
        answered("red_flags.numbness_or_bladder_bowel_change", {"valueBoolean": True}))
    result = import_response(response)
    assert result.unmapped == ()
    intake = validate_intake(result.draft, today=TODAY)
    assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is True
    plan = build_plan(intake=intake, today=TODAY)
    assert "RF-CAUDA" in {a.id for a in plan.alerts}
    assert plan.intake_notes == intake.legacy_notes != ()


def _response(items: list[dict[str, object]]) -> dict[str, object]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": QUESTIONNAIRE_URL, "item": items}


def test_a_deeply_nested_response_is_refused_in_one_line() -> None:
    from careplan.errors import FhirImportError
    from careplan.fhir import import_response

    item: dict[str, object] = {"linkId": "x"}
    for _ in range(150):
        item = {"linkId": "x", "item": [item]}
    with pytest.raises(FhirImportError, match="nests more than 40 levels"):
        import_response(json.dumps(_response([item])))


def test_a_huge_file_is_refused_before_it_is_read_as_json() -> None:
    from careplan.errors import FhirImportError
    from careplan.fhir import import_response

    huge = json.dumps(_response([{"linkId": "history.notes",
                                  "answer": [{"valueString": "x" * 2_000_000}]}]))
    with pytest.raises(FhirImportError, match="bytes; a response to the intake form"):
        import_response(huge.encode())


def test_control_characters_in_a_link_id_are_shown_as_codes() -> None:
    from careplan.fhir import import_response

    result = import_response(json.dumps(_response(
        [{"linkId": "evil\x1b[2J\nline", "answer": [{"valueString": "x"}]}])))
    assert result.unmapped == ("evil\\u001b[2J\\u000aline: not a question of the intake form",)
    assert all(line.isprintable() for line in result.unmapped)


# ------------------------------------------------------------------ the patient's language


def spanish_bundle() -> dict[str, Any]:
    intake = make_intake({"patient.preferred_language": "es"})
    plan = build_plan(intake=intake, today=TODAY)
    data: dict[str, Any] = json.loads(to_json(bundle(intake=intake, plan=plan, review=None,
                                                     signed_by=None, signed_on=None)))
    return data


def without_language(response: dict[str, Any]) -> dict[str, Any]:
    """The response with no answer to patient.preferred_language."""
    patient = next(i for i in response["item"] if i["linkId"] == "patient")
    patient["item"] = [i for i in patient["item"]
                       if i["linkId"] != "patient.preferred_language"]
    return response


def test_the_patients_language_is_exported_as_its_communication() -> None:
    patient = the(spanish_bundle(), "Patient")
    assert patient["communication"] == [{
        "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]},
        "preferred": True,
    }]


def test_an_exported_bundle_imports_back_with_its_language() -> None:
    data = spanish_bundle()
    result = import_response(data)
    assert result.unmapped == ()
    assert result.draft["patient"]["preferred_language"] == "es"
    assert validate_intake(result.draft, today=TODAY) == make_intake(
        {"patient.preferred_language": "es"})


def test_the_patients_communication_gives_the_language_the_response_does_not() -> None:
    data = spanish_bundle()
    without_language(the(data, "QuestionnaireResponse"))
    result = import_response(json.dumps(data))
    assert result.unmapped == ()
    assert result.draft["patient"]["preferred_language"] == "es"


def test_a_contained_patient_gives_the_language() -> None:
    response = without_language(the(spanish_bundle(), "QuestionnaireResponse"))
    response["contained"] = [{
        "resourceType": "Patient", "id": "p1",
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}},
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-MX"}]},
             "preferred": True}],
    }]
    response["subject"] = {"reference": "#p1"}
    result = import_response(response)
    assert result.unmapped == ()
    assert result.draft["patient"]["preferred_language"] == "es-MX"  # the preferred one


def test_a_language_that_disagrees_or_cannot_be_read_is_listed() -> None:
    data = spanish_bundle()
    the(data, "Patient")["communication"][0]["language"]["coding"][0]["code"] = "pt-BR"
    result = import_response(data)
    assert result.draft["patient"]["preferred_language"] == "es"  # the response's answer
    assert result.unmapped == ("Patient.communication: pt-BR differs from the response's "
                               'patient.preferred_language "es"; the response\'s answer is kept',)
    data = spanish_bundle()
    without_language(the(data, "QuestionnaireResponse"))
    the(data, "Patient")["communication"] = [{"language": {"text": "Spanish"}}]
    result = import_response(data)
    assert "preferred_language" not in result.draft["patient"]  # not asked: English
    assert result.unmapped == ('Patient.communication: language {"text": "Spanish"} has no '
                               "BCP 47 code (urn:ietf:bcp:47)",)


def test_a_bundle_needs_exactly_one_response_to_the_form() -> None:
    data = spanish_bundle()
    data["entry"] = [e for e in data["entry"]
                     if e["resource"]["resourceType"] != "QuestionnaireResponse"]
    with pytest.raises(FhirImportError, match="the Bundle holds 0 responses"):
        import_response(data)
    with pytest.raises(FhirImportError, match="not a valid FHIR R4 Bundle"):
        import_response({"resourceType": "Bundle", "type": "collection", "entry": "x"})


def test_import_command_reads_an_exported_bundle(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(spanish_bundle()), encoding="utf-8")
    result = run("fhir-import", path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patient"]["preferred_language"] == "es"
    assert result.stderr == ""
