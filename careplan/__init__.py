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
    from careplan.clinical.engine import build_plan, default_rule_base, review_interval_weeks
    from careplan.clinical.plan import Alert, CarePlan, Recommendation
    from careplan.clinical.scoring import Scores, compute_scores, screens_not_done
    from careplan.errors import CareplanError, IntakeError, Problem, RuleBaseError
    from careplan.intake.model import Intake
    from careplan.intake.validation import validate_intake

_HOME = {
    "Alert": "clinical.plan",
    "CarePlan": "clinical.plan",
    "CareplanError": "errors",
    "Intake": "intake.model",
    "IntakeError": "errors",
    "Problem": "errors",
    "Recommendation": "clinical.plan",
    "RuleBaseError": "errors",
    "Scores": "clinical.scoring",
    "build_plan": "clinical.engine",
    "compute_scores": "clinical.scoring",
    "default_rule_base": "clinical.engine",
    "review_interval_weeks": "clinical.engine",
    "screens_not_done": "clinical.scoring",
    "validate_intake": "intake.validation",
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
