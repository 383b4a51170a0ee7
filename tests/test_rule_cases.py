"""Every rule has named cases that fire, stay quiet and are withheld, and each behaves.

Case files in tests/rule_cases/ mirror the rule files: ``[[case]]`` tables with
``rule``, ``name``, ``expect`` and the intake changes (``set``, ``unset``) made
to the contract's example intake. ``expect`` says what the case means:

- ``fires``: the item is shown (an alert, or a recommendation in the plan);
- ``withheld``: the rule matched but a stricter item held it back, or an item printed
  before it says the same (``topics.resolve``); ``by`` names that item, and the item
  must appear in the plan's withheld list with it;
- ``quiet``: the rule did not match at all (neither shown nor withheld).

A rule without a firing and a quiet case, or without a source, fails here (the
idea of datasette's test_docs.py). A withheld case counts as neither.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from careplan.clinical.engine import build_plan, default_rule_base
from careplan.clinical.plan import CarePlan
from factories import TODAY, make_intake

CASES_DIR = Path(__file__).parent / "rule_cases"
EXPECT = ("fires", "withheld", "quiet")


def _load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            unknown = set(case) - {"rule", "name", "expect", "by", "set", "unset"}
            assert not unknown, f"{path.name}: unknown case keys {unknown}"
            assert case.get("expect") in EXPECT, f"{path.name}: {case['name']}: expect"
            assert ("by" in case) is (case["expect"] == "withheld"), (
                f"{path.name}: {case['name']}: 'by' goes with expect = 'withheld' only"
            )
            cases.append({**case, "file": path.name})
    return cases


CASES = _load_cases()


def _plan(case: dict[str, Any]) -> CarePlan:
    intake = make_intake(case.get("set", {}), unset=case.get("unset", []))
    return build_plan(intake=intake, today=TODAY)


def outcome(plan: CarePlan, rule_id: str) -> tuple[str, tuple[str, ...]]:
    """What happened to one rule in a plan: fires, withheld (and by whom) or quiet."""
    if rule_id in {a.id for a in plan.alerts} | {r.id for r in plan.recommendations}:
        return "fires", ()
    for held in plan.withheld:
        if held.id == rule_id:
            return "withheld", held.by
    return "quiet", ()


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rule']}:{c['name']}" for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    got, by = outcome(_plan(case), case["rule"])
    assert got == case["expect"], f"{case['rule']}: expected {case['expect']}, got {got} {by}"
    if got == "withheld":
        assert case["by"] in by, f"{case['rule']} withheld by {by}, not {case['by']}"


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    rules = {rule.id for rule in default_rule_base().rules}
    firing = {c["rule"] for c in CASES if c["expect"] == "fires"}
    quiet = {c["rule"] for c in CASES if c["expect"] == "quiet"}
    assert not rules - firing, f"rules without a firing case: {sorted(rules - firing)}"
    assert not rules - quiet, f"rules without a quiet case: {sorted(rules - quiet)}"


def test_withheld_cases_are_told_apart_from_firing_ones() -> None:
    """A withheld case must not pass as fired: the outcome of a held rule is 'withheld'."""
    case = next(c for c in CASES if c["expect"] == "withheld")
    plan = _plan(case)
    assert case["rule"] not in {r.id for r in plan.recommendations}
    assert outcome(plan, case["rule"])[0] == "withheld"


def test_cases_name_only_real_rules() -> None:
    rules = {rule.id for rule in default_rule_base().rules}
    assert {c["rule"] for c in CASES} <= rules
    assert {c["by"] for c in CASES if "by" in c} <= rules, "'by' names an unknown rule"


def test_every_rule_cites_a_source_with_a_year() -> None:
    for rule in default_rule_base().rules:
        assert any(ch.isdigit() for ch in rule.source), rule.id
        assert len(rule.source) > 10, rule.id


def test_no_rule_cites_the_clinical_reference_as_a_source() -> None:
    """The clinical reference is a digest: each rule cites the primary guideline, label or paper."""
    for rule in default_rule_base().rules:
        assert "clinical reference" not in rule.source.lower(), rule.id
