"""Exceptions of the care-plan package, one tree so callers catch what they mean.

    CareplanError
     ├── IntakeError        the intake is invalid; carries one Problem per field
     └── RuleBaseError      the rule files break the rule schema (found at load time)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One invalid field: a dotted path a clinician can find and a plain message."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CareplanError(Exception):
    """Base of every error this package raises on purpose."""


class IntakeError(CareplanError):
    """The intake failed validation; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class RuleBaseError(CareplanError):
    """A rule file is malformed: an unknown fact, operator, value or missing source."""
