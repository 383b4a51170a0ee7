"""The compiled conditions decide and explain exactly as the reference evaluator does."""

from __future__ import annotations

import pickle
import random
from typing import Any

from careplan.clinical.facts import CATALOGUE, FactValue
from careplan.clinical.rules import RuleBase
from careplan.clinical.rules.conditions import (
    Condition,
    _compile,
    compile_condition,
    evaluate,
    true_facts,
)

# Values around every threshold a rule compares with, plus the edges of the scales.
_NUMBERS = (0, 1, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 18, 20, 30, 40, 50, 60, 65, 70, 80, 100)


def _random_facts(rng: random.Random) -> dict[str, FactValue]:
    values: dict[str, FactValue] = {}
    for name, spec in CATALOGUE.items():
        if rng.random() < 0.25:
            continue  # not asked
        if spec.kind == "bool":
            values[name] = rng.random() < 0.5
        elif spec.kind == "number":
            values[name] = rng.choice(_NUMBERS)
        elif spec.kind == "enum":
            values[name] = rng.choice(spec.values)
        else:
            size = rng.randint(0, min(3, len(spec.values)))
            values[name] = frozenset(rng.sample(spec.values, size))
    return values


def _reference(condition: Condition, values: dict[str, FactValue]) -> tuple[Any, dict[str, str]]:
    result = evaluate(condition, values.get)
    return result, (true_facts(condition, values.get) if result is True else {})


def test_every_shipped_rule_agrees_with_the_reference(rule_base: RuleBase) -> None:
    rng = random.Random(11)  # noqa: S311 - test data, not secrets
    fired = 0
    for _ in range(300):
        values = _random_facts(rng)
        for rule in rule_base.rules:
            found: dict[str, str] = {}
            result = rule.test(values.get, found)
            expected, because = _reference(rule.when, values)
            assert (result is True) is (expected is True), rule.id
            assert _compile(rule.when, "exact")(values.get, None) is expected, rule.id
            if result is True:
                fired += 1
                assert found == because, rule.id
                assert list(found) == list(because), rule.id  # the same order too
    assert fired > 300  # the random intakes make many rules fire, not a vacuous pass


def test_any_records_every_true_branch_and_negations_record_nothing() -> None:
    from careplan.clinical.rules.conditions import compile_test

    condition = compile_condition(
        ["any", ["all", ["is", "smoker"], ["ge", "age", 90]], ["ge", "age", 50],
         ["is", "smoker"], ["not", ["is_not", "smoker"]], ["unless", ["ge", "pain_now", 9]]],
        where="test",
    )
    values: dict[str, FactValue] = {"smoker": True, "age": 60, "pain_now": 9}
    found: dict[str, str] = {}
    assert compile_test(condition)(values.get, found) is True
    assert found == true_facts(condition, values.get) == {"smoker": "is", "age": "ge"}
    assert compile_test(condition)(values.get, None) is True


def test_a_rule_read_back_from_a_pickle_is_compiled_again(rule_base: RuleBase) -> None:
    copy = pickle.loads(pickle.dumps(rule_base))  # noqa: S301 - our own bytes
    assert copy == rule_base
    assert copy.get("RF-RHABDO").test is not rule_base.get("RF-RHABDO").test
    values: dict[str, FactValue] = {"red_flags.dark_urine": True}
    for original, again in zip(rule_base.rules, copy.rules, strict=True):
        assert again.test(values.get, None) is original.test(values.get, None)
        assert again.reads == original.reads
