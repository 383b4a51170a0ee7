"""The rule base as data: TOML files of rules, checked at load time.

Files: ``red_flags.toml`` (alerts, run first), ``medications.toml`` (medication
review alerts and recommendations), ``self_care.toml`` (the six self-management
domains and follow-up).
"""

from careplan.clinical.rules.loader import LABS, RULEBASE_VERSION, Rule, RuleBase, load_rule_base

__all__ = ["LABS", "RULEBASE_VERSION", "Rule", "RuleBase", "load_rule_base"]
