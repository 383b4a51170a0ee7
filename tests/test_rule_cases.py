"""Every rule has named firing and non-firing cases, and each case behaves.

Case files in tests/rule_cases/ mirror the rule files: ``[[case]]`` tables with
``rule``, ``name``, ``fires`` and the intake changes (``set``, ``unset``) made
to the contract's example intake. A rule without both kinds of case, or
without a source, fails here (the idea of datasette's test_docs.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from careplan.engine import build_plan, default_rule_base
from factories import TODAY, make_intake

CASES_DIR = Path(__file__).parent / "rule_cases"


def _load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            unknown = set(case) - {"rule", "name", "fires", "set", "unset"}
            assert not unknown, f"{path.name}: unknown case keys {unknown}"
            cases.append({**case, "file": path.name})
    return cases


CASES = _load_cases()


def _fired_ids(case: dict[str, Any]) -> set[str]:
    intake = make_intake(case.get("set", {}), unset=case.get("unset", []))
    plan = build_plan(intake=intake, today=TODAY)
    return (
        {a.id for a in plan.alerts}
        | {r.id for r in plan.recommendations}
        | {w.id for w in plan.withheld}
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rule']}:{c['name']}" for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    fired = case["rule"] in _fired_ids(case)
    assert fired is case["fires"], f"{case['rule']} {'did not fire' if case['fires'] else 'fired'}"


def test_every_rule_has_a_firing_and_a_non_firing_case() -> None:
    rules = {rule.id for rule in default_rule_base().rules}
    firing = {c["rule"] for c in CASES if c["fires"]}
    quiet = {c["rule"] for c in CASES if not c["fires"]}
    assert not rules - firing, f"rules without a firing case: {sorted(rules - firing)}"
    assert not rules - quiet, f"rules without a non-firing case: {sorted(rules - quiet)}"


def test_cases_name_only_real_rules() -> None:
    rules = {rule.id for rule in default_rule_base().rules}
    assert {c["rule"] for c in CASES} <= rules


def test_every_rule_cites_a_source_with_a_year() -> None:
    for rule in default_rule_base().rules:
        assert any(ch.isdigit() for ch in rule.source), rule.id
        assert len(rule.source) > 10, rule.id
