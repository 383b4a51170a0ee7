"""Rule conditions: a tiny, closed, checked language over intake facts.

A condition is a list whose head is an operator, written in the rule files as
``["all", ["is", "red_flags.dark_urine"], ["ge", "age", 50]]``. Evaluation is
three-valued (Kleene): a fact that was not asked is *unknown*, so ``ge age 50``
is unknown, ``all`` of anything unknown is unknown, and a rule fires only on
a definite ``True``. That is how "missing means not asked, never no" holds.
``unless`` is the one exception, used only so two overlapping rules do not
both speak: ``["unless", c]`` is true when ``c`` is not known to be true.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

from careplan.clinical.facts import CATALOGUE, FactValue
from careplan.errors import RuleBaseError

Tri = bool | None
Condition = tuple[Any, ...]

LOGICAL: Final = ("all", "any", "not", "unless")
_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}
OPERATORS: Final = (
    *LOGICAL, "is", "is_not", "known", "unknown", "eq", "ne", *_COMPARE,
    "between", "in", "has", "has_any", "has_all", "count_ge",
)


def facts_read(condition: Condition) -> set[str]:
    """Every fact name a (compiled) condition reads."""
    head, *args = condition
    if head in LOGICAL:
        return set().union(*(facts_read(arg) for arg in args))
    return {args[0]}


def true_facts(condition: Condition, get: Callable[[str], FactValue]) -> dict[str, str]:
    """Facts whose own test came out true (outside any negation), with the operator used.

    This is the real 'because': a fact tested but not true is not a reason.
    """
    head = condition[0]
    if head in ("all", "any"):
        found: dict[str, str] = {}
        for child in condition[1:]:
            found.update(true_facts(child, get))
        return found
    if head in ("not", "unless"):
        return {}
    return {condition[1]: head} if evaluate(condition, get) is True else {}


def compile_condition(raw: Any, *, where: str) -> Condition:
    """Check a condition from a rule file and return it as nested tuples."""
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], str):
        raise RuleBaseError(f"{where}: a condition is a list starting with an operator: {raw!r}")
    head, *args = raw
    if head not in OPERATORS:
        raise RuleBaseError(f"{where}: unknown operator {head!r}")
    if head in ("all", "any"):
        if not args:
            raise RuleBaseError(f"{where}: {head!r} needs at least one condition")
        return (head, *(compile_condition(a, where=where) for a in args))
    if head in ("not", "unless"):
        if len(args) != 1:
            raise RuleBaseError(f"{where}: {head!r} takes exactly one condition")
        return (head, compile_condition(args[0], where=where))
    if not args or not isinstance(args[0], str) or args[0] not in CATALOGUE:
        raise RuleBaseError(f"{where}: unknown fact {args[0] if args else None!r} in {head!r}")
    fact, literals = args[0], args[1:]
    spec = CATALOGUE[fact]
    expected = _ARITY[head]
    if len(literals) != expected:
        raise RuleBaseError(f"{where}: {head!r} on {fact!r} takes {expected} value(s)")
    allowed = _KINDS[head]
    if spec.kind not in allowed:
        raise RuleBaseError(f"{where}: {head!r} does not apply to {spec.kind} fact {fact!r}")
    for literal in literals:
        _check_literal(literal, fact=fact, op=head, where=where)
    if head == "between" and literals[0] > literals[1]:
        raise RuleBaseError(f"{where}: 'between' bounds are reversed on {fact!r}")
    converted = tuple(frozenset(v) if isinstance(v, list) else v for v in literals)
    return (head, fact, *converted)


_ARITY: Final[dict[str, int]] = {
    "is": 0, "is_not": 0, "known": 0, "unknown": 0, "eq": 1, "ne": 1, "ge": 1, "gt": 1,
    "le": 1, "lt": 1, "between": 2, "in": 1, "has": 1, "has_any": 1, "has_all": 1,
    "count_ge": 1,
}
_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "is": ("bool",), "is_not": ("bool",), "known": ("bool", "number", "enum", "set"),
    "unknown": ("bool", "number", "enum", "set"), "eq": ("number", "enum"),
    "ne": ("number", "enum"), "ge": ("number",), "gt": ("number",), "le": ("number",),
    "lt": ("number",), "between": ("number",), "in": ("enum",), "has": ("set",),
    "has_any": ("set",), "has_all": ("set",), "count_ge": ("set",),
}


def _check_literal(literal: Any, *, fact: str, op: str, where: str) -> None:
    spec = CATALOGUE[fact]
    if op == "count_ge" or spec.kind == "number":
        if isinstance(literal, bool) or not isinstance(literal, int | float):
            raise RuleBaseError(f"{where}: {op!r} on {fact!r} needs a number, got {literal!r}")
        return
    members = literal if op in ("in", "has_any", "has_all") else [literal]
    if not isinstance(members, list) or not members:
        raise RuleBaseError(f"{where}: {op!r} on {fact!r} needs a non-empty list")
    for member in members:
        if member not in spec.values:
            raise RuleBaseError(f"{where}: {member!r} is not a value of {fact!r}")


def evaluate(condition: Condition, get: Callable[[str], FactValue]) -> Tri:
    """Three-valued evaluation: True, False, or None when the facts were not asked."""
    head = condition[0]
    if head == "all":
        return _all(evaluate(c, get) for c in condition[1:])
    if head == "any":
        return _any(evaluate(c, get) for c in condition[1:])
    if head == "not":
        inner = evaluate(condition[1], get)
        return None if inner is None else not inner
    if head == "unless":  # "not known to be true": for excluding overlapping advice only
        return evaluate(condition[1], get) is not True
    value = get(condition[1])
    if head == "known":
        return value is not None
    if head == "unknown":
        return value is None
    if value is None:
        return None
    arg = condition[2] if len(condition) > 2 else None
    if head == "is":
        return value is True
    if head == "is_not":
        return value is False
    if head == "eq":
        return value == arg
    if head == "ne":
        return value != arg
    if head in _COMPARE:
        return _COMPARE[head](_num(value), _num(arg))
    if head == "between":
        return _num(arg) <= _num(value) <= _num(condition[3])
    if head == "in":
        return value in _members(arg)
    found = value if isinstance(value, frozenset) else frozenset()
    if head == "has":
        return arg in found
    if head == "has_any":
        return bool(found & _members(arg))
    if head == "has_all":
        return _members(arg) <= found
    return len(found) >= _num(arg)  # count_ge


def _num(value: Any) -> float:
    return float(value)


def _members(value: Any) -> frozenset[Any]:
    return value if isinstance(value, frozenset) else frozenset()


def _all(results: Sequence[Tri] | Any) -> Tri:
    unknown = False
    for result in results:
        if result is False:
            return False
        unknown = unknown or result is None
    return None if unknown else True


def _any(results: Sequence[Tri] | Any) -> Tri:
    unknown = False
    for result in results:
        if result is True:
            return True
        unknown = unknown or result is None
    return None if unknown else False


# ---------------------------------------------------------------- compiled form

Found = dict[str, str]  # fact -> operator of each test that came out true (the 'because')
Test = Callable[[Callable[[str], FactValue], Found | None], Tri]


def compile_test(condition: Condition) -> Test:
    """A rule's condition as one Python closure per node, made once when rules are loaded.

    ``test(get, found)`` is True exactly when ``evaluate(condition, get)`` is True, and
    then ``found`` holds what ``true_facts`` gives: one pass, so a matched rule's 'because'
    costs no second evaluation. When the rule does not fire, the result is False or None
    (not always the one ``evaluate`` gives: nothing but True is ever acted on) and
    ``found`` is to be thrown away.
    """
    return _compile(condition, "decide")


# How a node is evaluated, by where it sits:
# - "decide": the root, and ``all`` children of a deciding ``all``: a result that is not
#   True means the rule does not fire, so evaluation stops there;
# - "record": below an ``any``: every child is looked at, so every true test is recorded,
#   as ``true_facts`` does (a later true branch of an ``any`` is a reason too);
# - "exact": below ``not`` or ``unless``: Kleene logic with short cuts, nothing recorded.
_Mode = Literal["decide", "record", "exact"]


def _compile(condition: Condition, mode: _Mode) -> Test:
    head = condition[0]
    if head in ("not", "unless"):
        inner = _compile(condition[1], "exact")
        if head == "not":

            def negate(get: Callable[[str], FactValue], found: Found | None) -> Tri:
                result = inner(get, None)
                return None if result is None else not result

            return negate

        def unless(get: Callable[[str], FactValue], found: Found | None) -> Tri:
            return inner(get, None) is not True

        return unless
    if head not in ("all", "any"):
        return _leaf(condition, record=mode != "exact")
    if head == "all" and mode == "decide":
        deciding = tuple(_compile(child, "decide") for child in condition[1:])

        def all_or_nothing(get: Callable[[str], FactValue], found: Found | None) -> Tri:
            for child in deciding:  # noqa: SIM110 - a plain loop: all() over a generator is slower
                if child(get, found) is not True:
                    return False  # the rule cannot fire: no need to look further
            return True

        return all_or_nothing
    children = tuple(
        _compile(child, "exact" if mode == "exact" else "record") for child in condition[1:]
    )
    decisive = bool(head == "any")  # the child result that decides: True for any, False for all
    stop_early = mode == "exact"

    def combine(get: Callable[[str], FactValue], found: Found | None) -> Tri:
        unknown = decided = False
        for child in children:
            result = child(get, found)
            if result is decisive:
                if stop_early:
                    return decisive
                decided = True
            elif result is None:
                unknown = True
        if decided:
            return decisive
        return None if unknown else not decisive

    return combine


def _leaf(condition: Condition, *, record: bool) -> Test:
    head, fact = condition[0], condition[1]
    check = _check(condition)
    if not record:
        return lambda get, found: check(get(fact))

    def leaf(get: Callable[[str], FactValue], found: Found | None) -> Tri:
        result = check(get(fact))
        if result is True and found is not None:
            found[fact] = head
        return result

    return leaf


def _check(condition: Condition) -> Callable[[FactValue], Tri]:
    """One test of a fact's value, with ``evaluate``'s meaning (None: not asked)."""
    head = condition[0]
    arg = condition[2] if len(condition) > 2 else None
    if head == "known":
        return lambda value: value is not None
    if head == "unknown":
        return lambda value: value is None
    # Each test checks "not asked" (None) itself: one call a leaf, not two (plan build speed).
    if head == "is":
        return lambda value: None if value is None else value is True
    if head == "is_not":
        return lambda value: None if value is None else value is False
    if head == "eq":
        return lambda value: None if value is None else value == arg
    if head == "ne":
        return lambda value: None if value is None else value != arg
    if head in _COMPARE:
        compare, bound = _COMPARE[head], _num(arg)
        return lambda value: None if value is None else compare(_num(value), bound)
    if head == "between":
        low, high = _num(arg), _num(condition[3])
        return lambda value: None if value is None else low <= _num(value) <= high
    if head == "in":
        members = _members(arg)
        return lambda value: None if value is None else value in members
    if head == "has":
        return lambda value: None if value is None else arg in _found(value)
    if head == "has_any":
        members = _members(arg)
        return lambda value: None if value is None else bool(_found(value) & members)
    if head == "has_all":
        members = _members(arg)
        return lambda value: None if value is None else members <= _found(value)
    least = _num(arg)  # count_ge
    return lambda value: None if value is None else len(_found(value)) >= least


def _found(value: Any) -> frozenset[Any]:
    return value if isinstance(value, frozenset) else frozenset()
