"""The form registry covers the intake model exactly, and everything that shows it agrees.

The model side is read here independently of careplan.intake.form (its leaves from
``model_fields``, its bounds from what it accepts and refuses), so a registry that
read the model wrongly fails.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from apps import app, create_patient, each_section, no_trouble, show
from careplan.errors import IntakeError
from careplan.fhir import ALL_QUESTIONS, questionnaire
from careplan.intake import form
from careplan.intake.model import LANGUAGES, Intake
from careplan.intake.validation import validate_intake
from factories import TODAY, apply

WALK_IN = {"patient": {"name": "Walk In", "date_of_birth": "1990-05-01"},
           "visit": {"date": "2026-11-20"}}
# Asked elsewhere than a widget of its own: the medicines' add form.
NOT_A_WIDGET = {"history.medications.name", "history.medications.dose",
                "history.medications.started"}


def _args(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [a for arg in get_args(annotation) for a in _args(arg)]
    if hasattr(annotation, "__metadata__"):
        return _args(get_args(annotation)[0])
    if origin is list:
        return _args(get_args(annotation)[0])
    return [annotation]


def model_leaves(model: type[BaseModel] = Intake, prefix: str = "") -> dict[str, list[Any]]:
    """Every answerable field of the model by path (list items without an index)."""
    leaves: dict[str, list[Any]] = {}
    for name, info in model.model_fields.items():
        inner = [a for a in _args(info.annotation) if a is not type(None)]
        nested = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested:
            leaves |= model_leaves(nested[0], f"{prefix}{name}.")
        else:
            leaves[f"{prefix}{name}"] = inner
    return leaves


def test_every_model_field_has_exactly_one_registry_entry() -> None:
    paths = [entry.path for entry in form.ENTRIES]
    assert len(paths) == len(set(paths)), "a path is in the registry twice"
    assert paths == list(model_leaves()), "the registry must follow the model, in its order"


# A free BCP 47 tag in the model, asked on the pages as a choice of the handout's languages.
OFFERED = {"patient.preferred_language": LANGUAGES}


def test_options_are_the_models_literal_values() -> None:
    for path, inner in model_leaves().items():
        entry = form.entry(path)
        literal = [a for a in inner if get_origin(a) is Literal]
        if path in OFFERED:
            assert (entry.kind, entry.options) == ("choice", OFFERED[path])
            assert not literal, path  # the model itself takes any tag (es-MX, pt-BR)
            continue
        expected = get_args(literal[0]) if literal else ()
        assert entry.options == expected, path
        assert entry.kind in (("choice", "multi") if literal else (
            "text", "textarea", "lines", "int", "float", "date", "yesno")), path
        for code in entry.options:
            assert entry.option_label(code).strip(), (path, code)


def _problems(path: str, value: Any) -> list[str]:
    changes = {"risk_factors.pregnant": True} if path == "risk_factors.pregnancy_weeks" else {}
    try:
        validate_intake(apply(WALK_IN, {**changes, path: value}), today=TODAY)
    except IntakeError as error:
        return [p.message for p in error.problems if p.path == path]
    return []


@pytest.mark.parametrize("entry", [e for e in form.ENTRIES if e.kind in ("int", "float")],
                         ids=lambda e: e.path)
def test_number_bounds_are_what_the_model_accepts(entry: form.Entry) -> None:
    assert entry.bounds is not None, f"{entry.path}: a number without bounds"
    low, high = entry.bounds
    step = 1 if entry.kind == "int" else 0.01
    number = int if entry.kind == "int" else float
    for inside in (low, high):
        assert _problems(entry.path, number(inside)) == [], (entry.path, inside)
    for outside in (low - step, high + step):
        found = _problems(entry.path, number(outside))
        assert any("must be between" in message for message in found), (entry.path, outside)


def test_only_numbers_have_bounds_and_required_is_the_contracts() -> None:
    assert {e.path for e in form.ENTRIES if e.bounds} == {
        e.path for e in form.ENTRIES if e.kind in ("int", "float")}
    required = {e.path for e in form.ENTRIES if e.required}
    assert required == {"patient.name", "patient.date_of_birth", "visit.date",
                        "history.medications.name"}


def test_text_lengths_are_what_the_model_accepts() -> None:
    for entry in form.ENTRIES:
        if entry.max_length is None or entry.in_list is not None:
            continue
        ok = "x" * entry.max_length
        too_long = ok + "x"
        value: Any = [ok] if entry.kind == "lines" else ok
        bad: Any = [too_long] if entry.kind == "lines" else too_long
        where = f"{entry.path}[0]" if entry.kind == "lines" else entry.path
        data = apply(WALK_IN, {entry.path: value})
        validate_intake(data, today=TODAY)
        with pytest.raises(IntakeError) as refused:
            validate_intake(apply(WALK_IN, {entry.path: bad}), today=TODAY)
        assert [p.path for p in refused.value.problems] == [where], entry.path


def test_every_entry_is_on_a_tab_of_the_intake_page() -> None:
    assert form.SECTIONS == ("Visit and history", "Body map", "Symptoms",
                             "Risk factors and screens", "Red flags", "Medicines")
    assert {e.section for e in form.ENTRIES} == set(form.SECTIONS)


@pytest.mark.parametrize(("path", "label"), [
    ("visit.date", "Visit date"),
    ("patient.name", "Patient name"),
    ("history.peg.enjoyment", "Interference with enjoyment of life"),
    ("red_flags.rash", "Rash"),
    ("history.medications[0].started", "Started (medicine 1)"),
    ("history.medications[2].name", "Medicine name (medicine 3)"),
    ("history.medications[1]", "Medicine 2"),
    ("history.medications", "Medicines"),
    ("history.allergies[2]", "Allergies (item 3)"),
    ("history.peg", "PEG-3"),
    ("risk_factors.phq4.down", "Down or hopeless"),
    ("history.no_such_field", "history.no_such_field"),
    ("", "The intake"),
])
def test_label_of_names_nested_and_list_paths(path: str, label: str) -> None:
    assert form.label_of(path) == label


def test_problems_list_in_form_order() -> None:
    paths = ["red_flags.rash", "visit.date", "history.medications[0].name", "zzz",
             "patient.name"]
    assert sorted(paths, key=form.order_of) == [
        "patient.name", "visit.date", "history.medications[0].name", "red_flags.rash", "zzz"]


def _questionnaire_items() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            found[item["linkId"]] = item
            walk(item.get("item", []))

    walk(questionnaire()["item"])
    return found


def test_questionnaire_items_are_the_registry() -> None:
    items = _questionnaire_items()
    leaves = {k: v for k, v in items.items() if v["type"] != "group"}
    assert list(leaves) == [e.path for e in form.ENTRIES]
    assert {k for k, v in items.items() if v["type"] == "group"} == {g.path for g in form.GROUPS}
    for entry in form.ENTRIES:
        item = items[entry.path]
        assert item["text"] == entry.text
        assert item.get("repeats", False) == entry.repeats
        assert [o["valueCoding"]["code"] for o in item.get("answerOption", [])] == list(
            entry.options)
        assert [o["valueCoding"]["display"].lower() for o in item.get("answerOption", [])] == [
            entry.option_label(code).lower() for code in entry.options]
        bounds = [next(v for k, v in ext.items() if k.startswith("value"))
                  for ext in item.get("extension", [])]
        assert bounds == (list(entry.bounds) if entry.bounds else []), entry.path
        assert item.get("required", False) == (entry.required and entry.in_list is None)
    for group in form.GROUPS:
        assert items[group.path]["text"] == group.text
    assert {q.link_id for q in ALL_QUESTIONS} == set(items)


def test_the_intake_page_shows_the_registrys_labels(database: str) -> None:
    create_patient()
    test = app("intake", patient=1, visit=1)
    no_trouble(test)
    shown: dict[str, str] = {}
    for page in each_section(test):
        for kind in ("text_input", "text_area", "number_input", "date_input", "selectbox",
                     "multiselect"):
            for widget in getattr(page, kind):
                if widget.key and widget.key.startswith("f:"):
                    shown[widget.key.removeprefix("f:")] = widget.label
        for widget in page.get("button_group"):  # segmented controls (yes/no)
            key = getattr(widget, "key", None) or ""
            if key.startswith("f:"):
                shown[key.removeprefix("f:")] = str(getattr(widget, "label", ""))
    expected = {e.path for e in form.ENTRIES} - NOT_A_WIDGET
    assert set(shown) == expected
    for path, label in shown.items():
        entry = form.entry(path)
        assert label.removesuffix(" *").removesuffix(" (one per line)") == entry.label, path
        assert label.endswith(" *") == entry.required, path
    tabs = [tab.label for tab in test.tabs]
    assert tabs == list(form.SECTIONS)
    show(test, "patient.date_of_birth")
    test.text_input(key="f:patient.date_of_birth").input("2099-01-01").run()
    show(test, "risk_factors.pregnancy_weeks")
    test.number_input(key="f:risk_factors.pregnancy_weeks").set_value(12).run()
    no_trouble(test)
    finish = next(i.value for i in test.info if "finish or correct" in i.value)
    assert finish == ("To build the plan, finish or correct: Date of birth, "
                      "Pregnancy \\(weeks\\)."), finish
    errors = [e.value for e in test.error]
    assert "Pregnancy (weeks): is only recorded when 'pregnant' is true" in errors, errors
