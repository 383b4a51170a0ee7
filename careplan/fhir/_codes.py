"""The addresses a receiver reads: our code systems and URLs, LOINC and UCUM.

Why a module of its own: the Questionnaire, the Bundle and the importer must name the same
systems, and an import is only accepted when it answers exactly our ``QUESTIONNAIRE_URL``.
"""

from __future__ import annotations

from typing import Any, Final

JsonDict = dict[str, Any]

BASE: Final = "https://inomyalgia.care/fhir"
QUESTIONNAIRE_URL: Final = f"{BASE}/Questionnaire/intake"
RULE_SYSTEM: Final = f"{BASE}/CodeSystem/rule"
SCORE_SYSTEM: Final = f"{BASE}/CodeSystem/score"
DOMAIN_SYSTEM: Final = f"{BASE}/CodeSystem/domain"
SEVERITY_SYSTEM: Final = f"{BASE}/CodeSystem/alert-severity"
ACTIVITY_SYSTEM: Final = f"{BASE}/CodeSystem/review-activity"  # 'acknowledge' (an alert)
DOMAIN_EXTENSION: Final = f"{BASE}/StructureDefinition/recommendation-domain"
MRN_SYSTEM: Final = f"{BASE}/sid/mrn"
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"


def option_system(link_id: str) -> str:
    """The CodeSystem of a choice question's answers, named after the field."""
    return f"{BASE}/CodeSystem/{link_id.rsplit('.', 1)[-1]}"
