"""Turn raw intake input (JSON text or a mapping) into an ``Intake`` or clear problems.

Why a module of its own: the headless command, the pages and the storage layer
all need the same messages ("history.pain_now: must be between 0 and 10"), and
pydantic's own wording ("Input should be less than or equal to 10") is written
for programmers, not clinicians.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from careplan.errors import IntakeError, Problem
from careplan.intake.model import Intake

_MESSAGES: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a field of the intake",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "finite_number": "must be a finite number (not NaN or infinity)",
    "date_type": "must be a date written YYYY-MM-DD",
}


def path_of(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic location as ``history.medications[0].started``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from(error: ValidationError) -> list[Problem]:
    """One plain-language ``Problem`` per pydantic error, in field order."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        ctx = item.get("ctx") or {}
        if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
            message = "is required and must not be blank"
        elif kind in ("string_too_long", "too_long"):
            unit = "items" if isinstance(item.get("input"), list | tuple) else "characters"
            message = f"must be at most {ctx.get('max_length')} {unit}"
        elif kind == "literal_error":
            message = f"must be one of {ctx.get('expected')}"
        elif kind == "string_pattern_mismatch":
            message = "has characters or a format that is not allowed"
        else:
            message = _MESSAGES.get(kind, item["msg"])
        problem = Problem(path_of(tuple(item["loc"])), message)
        if problem not in problems:
            problems.append(problem)
    return problems


class _Constant(str):
    """NaN, Infinity or -Infinity as read: kept to say where it was, then refused."""


def _first_constant(data: Any, path: str = "") -> tuple[str, str] | None:
    """The field path and name of the first NaN/Infinity in document order, if any."""
    if isinstance(data, _Constant):
        return path, str(data)
    if isinstance(data, dict):
        for key, value in data.items():
            found = _first_constant(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = _first_constant(value, f"{path}[{index}]")
            if found:
                return found
    return None


def _position(text: str, name: str) -> tuple[int, int]:
    """Line and column (from 1) of the first ``name`` outside a JSON string."""
    in_string = escaped = False
    line, column = 1, 1
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif text.startswith(name, index):
            return line, column
        line, column = (line + 1, 1) if char == "\n" else (line, column + 1)
    return line, column


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def parse_json(text: str | bytes) -> Any:
    """Strict JSON: no NaN/Infinity, no duplicate keys (the last would silently win)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IntakeError([Problem("", f"the file is not UTF-8 text ({exc.reason})")]) from None
    try:
        data = json.loads(text, parse_constant=_Constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise IntakeError(
            [Problem("", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None
    except (ValueError, RecursionError) as exc:
        raise IntakeError([Problem("", f"invalid JSON: {exc}")]) from None
    found = _first_constant(data)
    if found is not None:
        path, name = found
        line, column = _position(text, name)
        raise IntakeError([Problem(path, f"{name} at line {line} column {column} is not a "
                                         "number JSON allows")])
    return data


def validate_intake(data: Mapping[str, Any] | str | bytes, *, today: date) -> Intake:
    """Validate raw input against the contract; ``today`` bounds dates in the future."""
    raw = parse_json(data) if isinstance(data, str | bytes) else data
    if not isinstance(raw, Mapping):
        raise IntakeError([Problem("", "the intake must be a JSON object")])
    try:
        return Intake.model_validate(dict(raw), context={"today": today})
    except ValidationError as exc:
        raise IntakeError(problems_from(exc)) from None
