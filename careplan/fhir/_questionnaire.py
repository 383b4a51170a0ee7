"""The intake form as a FHIR R4 Questionnaire, versioned with the project.

Why: a receiver needs the form our QuestionnaireResponse answers; its canonical URL carries
the version so an answer can be read against the form it was given on.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from functools import cache
from pathlib import Path
from typing import Final

from fhir.resources.R4B.questionnaire import Questionnaire

from careplan.fhir._codes import LOINC, QUESTIONNAIRE_URL, JsonDict, option_system
from careplan.fhir._items import FORM, Question, option_display
from careplan.fhir._output import dump

_MIN_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"


@cache
def form_version() -> str:
    """The project's version: installed metadata, else ``pyproject.toml`` beside the package."""
    try:
        return importlib.metadata.version("inomyalgia-care")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0.0.0"


def questionnaire_canonical() -> str:
    return f"{QUESTIONNAIRE_URL}|{form_version()}"


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
            {"valueCoding": {"system": system, "code": code,
                             "display": option_display(question, code)}}
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
    return dump(questionnaire_resource())
