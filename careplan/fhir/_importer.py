"""A QuestionnaireResponse to our intake form, read back into an intake draft.

Why careful: a response may come from another system. Anything that is not our form's
answer of the right type is listed in ``unmapped`` (one line each), never dropped in
silence; input that is not a response to our Questionnaire is refused with one line.

The response may come alone, inside a Bundle (as ``bundle()`` writes one: the Patient
beside it), or with its Patient ``contained``. The Patient's preferred ``communication``
language (a BCP 47 code) is the handout's language, ``patient.preferred_language``, unless
the response itself answers that question; a disagreement is listed, not settled silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from careplan.errors import FhirImportError, IntakeError
from careplan.fhir._codes import QUESTIONNAIRE_URL, JsonDict, option_system
from careplan.fhir._items import BY_LINK_ID, LEGACY_QUESTIONS, Question
from careplan.intake.validation import parse_json

_QR_STATUSES: Final = ("in-progress", "completed", "amended", "entered-in-error", "stopped")
_FULL_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_MEDICATIONS: Final = "history.medications"
_LANGUAGE: Final = "patient.preferred_language"
_BCP47: Final = "urn:ietf:bcp:47"
_TAG: Final = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # as the intake model's
# Far beyond any response to the intake form (a full one is ~30 KB, 4 levels deep), small
# enough that a hostile file costs neither memory nor a crash in the FHIR model.
MAX_BYTES: Final = 1_000_000
MAX_DEPTH: Final = 40


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The intake draft recovered from a response (not validated) and what did not fit."""

    draft: JsonDict
    unmapped: tuple[str, ...]


def _one_line(text: str) -> str:
    """One printable line: control characters (ESC, NUL, bidi overrides) shown as codes,
    so a crafted linkId cannot rewrite the terminal or the log it is printed to."""
    return " ".join(_printable(text).split())


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in text)


def _depth(data: Any) -> int:
    """How deeply objects and arrays nest (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, Mapping | list):
            deepest = max(deepest, level)
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return _one_line(f"{where}: {first['msg']}" if where else first["msg"])


def _read(data: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    """The JSON object, within the size and depth a response to the form can have."""
    if isinstance(data, str | bytes):
        size = len(data.encode() if isinstance(data, str) else data)
        if size > MAX_BYTES:
            raise FhirImportError(f"the file has {size:,} bytes; a response to the intake form "
                                  f"is far smaller (at most {MAX_BYTES:,} bytes are read)")
        try:
            raw = parse_json(data)
        except IntakeError as exc:
            raise FhirImportError(f"not valid JSON: {exc}") from None
    else:
        raw = data
    if not isinstance(raw, Mapping):
        raise FhirImportError("expected a FHIR QuestionnaireResponse object, got a JSON "
                              f"{type(raw).__name__}")
    if _depth(raw) > MAX_DEPTH:
        raise FhirImportError(f"the response nests more than {MAX_DEPTH} levels deep; a "
                              "response to the intake form nests a few levels")
    return raw


def _unbundle(raw: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
    """The one response to our form in a Bundle, and the Patient it is about (if there)."""
    try:
        Bundle.model_validate(dict(raw))
    except ValidationError as exc:
        raise FhirImportError(f"not a valid FHIR R4 Bundle: {_first_problem(exc)}") from None
    except (ValueError, TypeError) as exc:
        raise FhirImportError(f"not a valid FHIR R4 Bundle: {_one_line(str(exc))}") from None
    entries = [e for e in _list(raw.get("entry")) if isinstance(e, Mapping)]
    responses = [e for e in entries if isinstance(e.get("resource"), Mapping)
                 and e["resource"].get("resourceType") == "QuestionnaireResponse"
                 and str(e["resource"].get("questionnaire", "")).split("|", 1)[0]
                 == QUESTIONNAIRE_URL]
    if len(responses) != 1:
        raise FhirImportError(f"the Bundle holds {len(responses)} responses to "
                              f"{QUESTIONNAIRE_URL}; exactly one is read")
    response = responses[0]["resource"]
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    for entry in entries:
        resource = entry.get("resource")
        if not isinstance(resource, Mapping) or resource.get("resourceType") != "Patient":
            continue
        if reference in (entry.get("fullUrl"), f"Patient/{resource.get('id')}"):
            return response, resource
    return response, None


def _contained_patient(response: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A Patient carried inside the response, when its subject points to it ('#id')."""
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(reference, str) or not reference.startswith("#"):
        return None
    for resource in _list(response.get("contained")):
        if (isinstance(resource, Mapping) and resource.get("resourceType") == "Patient"
                and resource.get("id") == reference[1:]):
            return resource
    return None


def _parse(data: Mapping[str, Any] | str | bytes) -> tuple[JsonDict, Mapping[str, Any] | None]:
    """The checked response and the Patient it is about, when the input carries one."""
    raw = _read(data)
    kind = raw.get("resourceType")
    patient: Mapping[str, Any] | None = None
    if kind == "Bundle":
        raw, patient = _unbundle(raw)
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
    return dict(raw), patient or _contained_patient(raw)


def _communication(patient: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The Patient's preferred language as a BCP 47 tag, and what could not be read.

    The language marked ``preferred`` comes first, else the first listed; within it, the
    first coding in ``urn:ietf:bcp:47`` that is a tag.
    """
    languages = [c for c in _list(patient.get("communication")) if isinstance(c, Mapping)]
    languages.sort(key=lambda c: c.get("preferred") is not True)
    problems: list[str] = []
    for communication in languages:
        language = communication.get("language")
        codings = _list(language.get("coding")) if isinstance(language, Mapping) else []
        for coding in codings:
            if not isinstance(coding, Mapping):
                continue
            code = coding.get("code")
            if coding.get("system") == _BCP47 and isinstance(code, str) and _TAG.fullmatch(code):
                return code, problems
        shown = _show(language) if language is not None else "none"
        problems.append(f"Patient.communication: language {shown} has no BCP 47 code "
                        f"({_BCP47})")
    return None, problems


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

    ``data`` is the response, or a Bundle holding exactly one (with its Patient, as
    ``bundle()`` writes it). The Patient's preferred ``communication`` language, there or
    ``contained`` in the response, gives ``patient.preferred_language``.

    Raises ``FhirImportError`` (one line) for input that is not JSON, not a
    QuestionnaireResponse, invalid FHIR, or an answer to another questionnaire.
    The draft is not validated: callers run ``validate_intake`` on it.
    """
    try:
        raw, patient = _parse(data)
    except FhirImportError as exc:  # messages may quote the file: one printable line
        raise FhirImportError(_one_line(str(exc))) from None
    mapper = _Mapper()
    mapper.walk(_list(raw.get("item")), None)
    if patient is not None:
        tag, problems = _communication(patient)
        mapper.unmapped += problems
        answered = _get(mapper.draft, _LANGUAGE.split("."))
        if tag is not None and answered is None:
            _set(mapper.draft, _LANGUAGE.split("."), tag)
        elif tag is not None and answered != tag:
            mapper.unmapped.append(
                f"Patient.communication: {tag} differs from the response's {_LANGUAGE} "
                f"{_show(answered)}; the response's answer is kept")
    return ImportResult(draft=mapper.draft,
                        unmapped=tuple(_one_line(line) for line in mapper.unmapped))
