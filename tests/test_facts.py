"""derive_facts yields exactly the catalogued facts: no rule reads a fact nobody computes, and
nothing is computed that no catalogue entry describes."""

from __future__ import annotations

from typing import Any

import pytest

from careplan.clinical import engine
from careplan.clinical import facts as facts_module
from careplan.clinical.facts import CATALOGUE, SECOND_STAGE, Facts, FactValue
from careplan.intake.validation import validate_intake
from factories import TODAY, make_intake

FIRST_STAGE = set(CATALOGUE) - SECOND_STAGE

WALK_IN = {"patient": {"name": "Walk In", "date_of_birth": "1990-05-01"},
           "visit": {"date": "2026-11-20"}}


def facts_the_engine_derives(intake: Any, monkeypatch: pytest.MonkeyPatch) -> Facts:
    """The Facts the engine's own call of derive_facts returned while building a plan."""
    seen: list[Facts] = []

    def spy(**kwargs: Any) -> Facts:
        facts = engine_derive(**kwargs)
        seen.append(facts)
        return facts

    engine_derive = facts_module.derive_facts
    monkeypatch.setattr(engine, "derive_facts", spy)
    engine.build_plan(intake=intake, today=TODAY)
    assert len(seen) == 1
    return seen[0]


def kind_of(value: FactValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "enum"
    return "set"


@pytest.mark.parametrize(
    "intake",
    [make_intake(), validate_intake(WALK_IN, today=TODAY)],
    ids=["example-intake", "only-the-required-fields"],
)
def test_derive_facts_yields_exactly_the_catalogued_first_stage_facts(
    intake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = facts_the_engine_derives(intake, monkeypatch)
    derived = set(facts.values)
    assert not derived - FIRST_STAGE, f"not in the catalogue: {sorted(derived - FIRST_STAGE)}"
    assert not FIRST_STAGE - derived, f"never derived: {sorted(FIRST_STAGE - derived)}"
    for name, value in facts.values.items():
        if value is not None:
            spec = CATALOGUE[name]
            assert kind_of(value) == spec.kind, (name, value)
            if spec.kind == "enum" and spec.values:
                assert value in spec.values, (name, value)


def test_the_example_answers_most_facts_and_the_walk_in_almost_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = facts_the_engine_derives(make_intake(), monkeypatch).values
    walk_in = facts_the_engine_derives(validate_intake(WALK_IN, today=TODAY), monkeypatch).values
    known = {name for name, value in example.items() if value is not None}
    assert len(known) > len(FIRST_STAGE) / 2
    assert {"medications", "medication_classes"} <= known
    assert walk_in["red_flags.dark_urine"] is None  # not asked stays unknown, never False
    assert walk_in["medications"] is None
