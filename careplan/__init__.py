"""Inomyalgia Care: intake in, an explained care plan out (decision support).

The public API below is what the pages, the headless command, storage and
FHIR build on. Nothing here imports streamlit.
"""

from careplan.engine import build_plan, default_rule_base, review_interval_weeks
from careplan.errors import CareplanError, IntakeError, Problem, RuleBaseError
from careplan.intake import Intake
from careplan.plan import Alert, CarePlan, Recommendation
from careplan.scoring import Scores, compute_scores, screens_not_done
from careplan.validation import validate_intake

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
