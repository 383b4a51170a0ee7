"""What a half-filled intake already tells: field problems, live scores, early alerts.

Why: the clinician fills the intake in any order while talking to the patient.
Every answer is saved as typed; this module reads that draft as it stands, names
each bad field so the page can show the message next to it, and scores what is
valid so far, treating bad or missing answers as "not asked".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from careplan.clinical.engine import build_plan
from careplan.clinical.plan import CarePlan
from careplan.errors import IntakeError
from careplan.intake.model import Intake
from careplan.intake.validation import validate_intake

REQUIRED: Final = ("patient.name", "patient.date_of_birth", "visit.date")
_STAND_IN: Final = {"patient.name": "(name not yet given)", "patient.date_of_birth": "1900-01-01"}


@dataclass(frozen=True, slots=True)
class Preview:
    """The draft as it stands: per-field problems and, when possible, a provisional plan."""

    problems: dict[str, str]
    plan: CarePlan | None
    complete: bool  # the draft itself is a valid intake

    def scores(self) -> dict[str, float | None] | None:
        """The numeric scores of a complete draft, for the trends (``None`` otherwise);
        storage keeps the ones it has columns for."""
        if not self.complete or self.plan is None:
            return None
        return {name: float(value) for name, value in self.plan.scores.items()
                if isinstance(value, int | float) and not isinstance(value, bool)}


def field_problems(data: dict[str, Any], *, today: date) -> dict[str, str]:
    """``{"history.pain_now": "must be between 0 and 10"}`` for every invalid field."""
    try:
        validate_intake(data, today=today)
    except IntakeError as exc:
        return {p.path: p.message for p in exc.problems}
    return {}


def preview(data: dict[str, Any], *, today: date) -> Preview:
    """Problems by field, and a plan from the valid answers (bad ones count as not asked).

    A draft costs one validation and one plan build, complete or not
    (tests/test_visits.py counts): a required answer not given yet (the usual gap while
    the form is filled) is named here and stood in for before the one validation. Only a
    wrong answer saved as typed (a birth date after the visit) costs a second validation,
    without it.
    """
    filled, missing = _stand_ins(data, today=today)
    try:
        intake = validate_intake(filled, today=today)
    except IntakeError as exc:
        problems = {**missing, **{p.path: p.message for p in exc.problems}}
        usable = _usable(filled, problems, today=today)
        plan = None if usable is None else build_plan(intake=usable, today=today)
        return Preview(problems, plan, False)
    return Preview(missing, build_plan(intake=intake, today=today), not missing)


def _stand_ins(data: dict[str, Any], *, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The draft with a stand-in for each required answer not given (scores do not depend
    on who or when), and each one's problem. Copies only the objects on those paths."""
    filled = dict(data)
    missing: dict[str, str] = {}
    for path in REQUIRED:
        if _get(filled, path) not in (None, ""):
            continue
        section, leaf = path.split(".")
        node = filled.get(section, {})
        if not isinstance(node, dict):
            continue  # not an object at all: validation names it
        missing[path] = "is required"
        filled[section] = {**node, leaf: _STAND_IN.get(path, today.isoformat())}
    return filled, missing


def _usable(data: dict[str, Any], problems: dict[str, str], *, today: date) -> Intake | None:
    """Drop the wrong answers (up to a few rounds) so the rest can still be scored."""
    trimmed = copy.deepcopy(data)
    for _ in range(4):
        for path in problems:
            _drop(trimmed, path)
        trimmed, _ = _stand_ins(trimmed, today=today)  # again, for any a wrong answer took
        try:
            return validate_intake(trimmed, today=today)
        except IntakeError as exc:
            problems = {p.path: p.message for p in exc.problems}
    return None

def _parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("]", "").split("."):
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes)
    return parts


def _get(data: Any, path: str) -> Any:
    node = data
    for part in _parts(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _drop(data: dict[str, Any], path: str) -> None:
    parts = _parts(path)
    if not parts:
        return
    node: Any = data
    for part in parts[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    leaf = parts[-1]
    if isinstance(node, dict):
        node.pop(leaf, None)
    elif isinstance(node, list) and isinstance(leaf, int) and leaf < len(node):
        node.pop(leaf)
