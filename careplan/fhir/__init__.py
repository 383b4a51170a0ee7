"""FHIR R4 interoperability: the intake form as a Questionnaire, a visit as a Bundle, and back.

Why a package of its own: an electronic record or a patient app speaks FHIR, not our
contract JSON. Only this package imports ``fhir.resources`` (its R4B models, which
serve R4 servers), so the rest of careplan never depends on it. Import from
``careplan.fhir``; the modules inside are private (``_bundle`` is not ``bundle()``):
``_codes`` (systems and URLs), ``_items`` (the form as items), ``_questionnaire``,
``_bundle``, ``_importer``, ``_output`` (dict and JSON text).

- ``questionnaire()``: the intake form, one item per contract field, ``linkId`` =
  the contract's dotted path, made from the form registry (careplan.intake.form), LOINC codes
  only where they are certain.
- ``bundle(...)``: a ``collection`` Bundle with the Patient, the intake as a
  QuestionnaireResponse, one Observation per score that was computed, one Flag per
  alert (with a Provenance beside it when a clinician acknowledged the alert: who, when),
  and the CarePlan with one activity per recommendation the patient sees.
- ``import_response(...)``: a QuestionnaireResponse back to an intake draft; every
  answer it cannot place is listed in ``unmapped``, never dropped in silence.

Output is deterministic: no clock is read and ids are uuid5 values derived from the
intake and the plan, so the same input always gives the same bytes. Every resource
is checked against the fhir.resources model before it is returned.

Conventions a receiver needs to know: an absent item or answer means "not asked";
a list question that is present with no answers (or the medication group with no
items) means "asked: none".
"""

from __future__ import annotations

from careplan.fhir._bundle import (
    SCORES,
    bundle,
)
from careplan.fhir._codes import (
    ACTIVITY_SYSTEM,
    BASE,
    DOMAIN_EXTENSION,
    DOMAIN_SYSTEM,
    LOINC,
    MRN_SYSTEM,
    QUESTIONNAIRE_URL,
    RULE_SYSTEM,
    SCORE_SYSTEM,
    SEVERITY_SYSTEM,
    UCUM,
    JsonDict,
    option_system,
)
from careplan.fhir._importer import (
    ImportResult,
    import_response,
)
from careplan.fhir._items import (
    ALL_QUESTIONS,
    BY_LINK_ID,
    FORM,
    LEGACY_QUESTIONS,
    ItemType,
    Question,
)
from careplan.fhir._output import (
    to_json,
)
from careplan.fhir._questionnaire import (
    form_version,
    questionnaire,
    questionnaire_canonical,
    questionnaire_resource,
)

__all__ = [
    "ACTIVITY_SYSTEM",
    "ALL_QUESTIONS",
    "BASE",
    "BY_LINK_ID",
    "DOMAIN_EXTENSION",
    "DOMAIN_SYSTEM",
    "FORM",
    "LEGACY_QUESTIONS",
    "LOINC",
    "MRN_SYSTEM",
    "QUESTIONNAIRE_URL",
    "RULE_SYSTEM",
    "SCORES",
    "SCORE_SYSTEM",
    "SEVERITY_SYSTEM",
    "UCUM",
    "ImportResult",
    "ItemType",
    "JsonDict",
    "Question",
    "bundle",
    "form_version",
    "import_response",
    "option_system",
    "questionnaire",
    "questionnaire_canonical",
    "questionnaire_resource",
    "to_json",
]
