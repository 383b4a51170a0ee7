"""The intake form's number fields have exactly the model's bounds.

The page's bounds are read from what the Intake page draws (AppTest), not from its source,
and the model's bounds from what it accepts: the page's minimum and maximum validate, one
step beyond either is refused with "must be between". And every number the model holds
has a field on the page.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from apps import app, create_patient, each_section, no_trouble
from careplan.errors import IntakeError
from careplan.intake import form
from careplan.intake.model import Intake
from careplan.intake.validation import validate_intake
from factories import TODAY, apply


def _leaf_types(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [t for arg in get_args(annotation) for t in _leaf_types(arg)]
    if origin is not None and get_args(annotation) and hasattr(annotation, "__metadata__"):
        return _leaf_types(get_args(annotation)[0])
    return [annotation]


def model_number_paths(model: type[BaseModel] = Intake, prefix: str = "") -> dict[str, type]:
    """Every int/float field of the model (not bool, not inside lists), by dotted path."""
    found: dict[str, type] = {}
    for name, info in model.model_fields.items():
        for leaf in _leaf_types(info.annotation):
            if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                found |= model_number_paths(leaf, f"{prefix}{name}.")
            elif leaf in (int, float):
                found[f"{prefix}{name}"] = leaf
    return found


def page_number_bounds(test: Any) -> dict[str, tuple[float, float]]:
    bounds: dict[str, tuple[float, float]] = {}
    for shown in each_section(test):
        for widget in shown.number_input:
            if widget.key and widget.key.startswith("f:"):
                assert widget.min is not None, widget.key
                assert widget.max is not None, widget.key
                bounds[widget.key.removeprefix("f:")] = (widget.min, widget.max)
        for scale in shown.segmented_control:  # one-tap scales: one button a value
            path = str(scale.key).removeprefix("f:")
            if scale.key and scale.key.startswith("f:") and form.entry(path).scale:
                values = form.entry(path).scale_values
                assert len(scale.options) == len(values), path
                bounds[path] = (values[0], values[-1])
    return bounds


@pytest.fixture
def intake_page(database: str) -> Any:
    create_patient()
    test = app("intake", patient=1, visit=1)
    no_trouble(test)
    return test


def test_every_number_the_model_holds_has_a_field_with_the_models_bounds(
    intake_page: Any,
) -> None:
    page = page_number_bounds(intake_page)
    model = model_number_paths()
    assert set(page) == set(model), (
        f"on the page only: {sorted(set(page) - set(model))}; "
        f"in the model only: {sorted(set(model) - set(page))}"
    )
    for path, (low, high) in page.items():
        step = 1 if model[path] is int else 0.01
        changes = {"risk_factors.pregnant": True} if path == "risk_factors.pregnancy_weeks" else {}
        for inside in (low, high):
            value = int(inside) if model[path] is int else float(inside)
            assert not problems_with(path, value, changes), (path, value)
        for outside in (low - step, high + step):
            value = int(outside) if model[path] is int else float(outside)
            found = problems_with(path, value, changes)
            assert any("must be between" in p for p in found), (path, value, found)


# Only the required answers, so no other answer (alcohol in units and in drinks, say) is
# checked against the one under test.
WALK_IN = {"patient": {"name": "Walk In", "date_of_birth": "1990-05-01"},
           "visit": {"date": "2026-11-20"}}


def problems_with(path: str, value: float, changes: dict[str, Any]) -> list[str]:
    data = apply(WALK_IN, {**changes, path: value})
    try:
        validate_intake(data, today=TODAY)
    except IntakeError as error:
        return [str(p) for p in error.problems if str(p).startswith(f"{path}:")]
    return []
