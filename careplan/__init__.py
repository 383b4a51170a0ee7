"""Inomyalgia Care: intake in, an explained care plan out (decision support).

The public API below is what the pages, the headless command, storage and
FHIR build on. Nothing here imports streamlit.

The names are loaded on first use (PEP 562), so importing a light module of the package
(``careplan.storage`` for the sign-in form, ``careplan.settings``) does not load the rule
engine and the pydantic models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careplan.engine import build_plan, default_rule_base, review_interval_weeks
    from careplan.errors import CareplanError, IntakeError, Problem, RuleBaseError
    from careplan.intake import Intake
    from careplan.plan import Alert, CarePlan, Recommendation
    from careplan.scoring import Scores, compute_scores, screens_not_done
    from careplan.validation import validate_intake

_HOME = {
    "Alert": "plan",
    "CarePlan": "plan",
    "CareplanError": "errors",
    "Intake": "intake",
    "IntakeError": "errors",
    "Problem": "errors",
    "Recommendation": "plan",
    "RuleBaseError": "errors",
    "Scores": "scoring",
    "build_plan": "engine",
    "compute_scores": "scoring",
    "default_rule_base": "engine",
    "review_interval_weeks": "engine",
    "screens_not_done": "scoring",
    "validate_intake": "validation",
}

__all__ = [
    "Alert",
    "CarePlan",
    "CareplanError",
    "Intake",
    "IntakeError",
    "Problem",
    "Recommendation",
    "RuleBaseError",
    "Scores",
    "build_plan",
    "compute_scores",
    "default_rule_base",
    "review_interval_weeks",
    "screens_not_done",
    "validate_intake",
]


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'careplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"careplan.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
