"""The care plan the engine returns: the contract's plan JSON as typed models.

Why models rather than dicts: the pages, the PDF, storage and FHIR all read the
same plan, so its shape is checked once here and serialised one way
(``plan.model_dump(mode="json")``).
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal, get_args

from pydantic import BaseModel, ConfigDict

Severity = Literal["emergency", "urgent", "routine"]
Timeframe = Literal["now", "same_day", "within_days", "routine"]
Domain = Literal[
    "rest", "physical_therapy", "medication_review", "sleep", "nutrition", "stress", "follow_up"
]

SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)
TIMEFRAMES: Final[tuple[Timeframe, ...]] = get_args(Timeframe)
DOMAINS: Final[tuple[Domain, ...]] = get_args(Domain)

DISCLAIMER: Final = (
    "Decision support for a clinician, not a prescription. Every item needs clinical review."
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Alert(_Frozen):
    """A red flag or drug safety problem: escalate, do not self-manage."""

    id: str
    severity: Severity
    timeframe: Timeframe
    title: str
    action: str
    patient_text: str
    because: tuple[str, ...]
    source: str
    labs: tuple[str, ...] = ()
    speaks: dict[str, str] = {}
    patient_text_es: str | None = None  # None: none written (a plan from before Spanish)


class Recommendation(_Frozen):
    """One self-management or review item, with why it fired and what it rests on."""

    id: str
    domain: Domain
    title: str
    patient_text: str
    clinician_note: str
    because: tuple[str, ...]
    source: str
    priority: int
    labs: tuple[str, ...] = ()
    speaks: dict[str, str] = {}
    # The patient text in Spanish. None: a text the clinician wrote or edited (printed as
    # typed in either language) or a plan made before the handout had Spanish.
    patient_text_es: str | None = None


class Withheld(_Frozen):
    """An item the rules matched but a stricter item held back, or that only repeats an item
    printed before it (``reason`` says which): shown to the clinician only.

    ``by`` names the alert or item (or fixed handout text) that held it back, so the
    clinician can see which rule won and undo the decision in review if it is wrong.
    """

    id: str
    reason: str
    by: tuple[str, ...] = ()


class ScoreDetail(_Frozen):
    """A score with its band and source, for the clinician summary."""

    id: str
    name: str
    value: float | int | str | None
    band: str | None
    note: str
    source: str


class MedicationLine(_Frozen):
    """A medication as entered and what the vocabulary recognised in it.

    ``read_as`` is the known name a misspelt entry was read as ("Lipitor" for
    "Lipiter"): recognised, so the rules check it, but shown to be checked.
    """

    entered: str
    dose: str | None
    started: date | None
    generics: tuple[str, ...]
    classes: tuple[str, ...]
    recognised: bool
    read_as: str | None = None
    over_the_counter: bool = False  # an OTC pain reliever at an OTC strength


class FollowUp(_Frozen):
    review_in_weeks: int
    labs_to_consider: tuple[str, ...]


class PatientSummary(_Frozen):
    name: str
    date_of_birth: date
    age: int
    sex: str | None
    mrn: str | None
    preferred_language: str


class VisitSummary(_Frozen):
    date: date
    clinician: str | None
    reason: str | None
    notes: str | None = None


class RuleBase(_Frozen):
    version: str
    digest: str


class CarePlan(_Frozen):
    """Scores, alerts (first), recommendations and follow-up for one intake."""

    patient: PatientSummary
    visit: VisitSummary
    generated_on: date
    rule_base: RuleBase
    scores: dict[str, float | int | bool | str | None]
    score_details: tuple[ScoreDetail, ...]
    alerts: tuple[Alert, ...]
    recommendations: tuple[Recommendation, ...]
    withheld: tuple[Withheld, ...]
    medications: tuple[MedicationLine, ...]
    screens_not_done: tuple[str, ...]
    affected_areas: tuple[str, ...] = ()
    intake_notes: tuple[str, ...] = ()  # how old-form intake fields were read
    follow_up: FollowUp
    disclaimer: str = DISCLAIMER

    def by_domain(self, domain: Domain) -> tuple[Recommendation, ...]:
        """The recommendations of one domain, in plan order."""
        return tuple(r for r in self.recommendations if r.domain == domain)
