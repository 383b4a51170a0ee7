"""Build a care plan from an intake: pure, deterministic, red flags first.

Order matters clinically: the alert rules run first on the intake facts; their
outcome (any emergency or urgent alert, activity on hold) becomes a fact the
recommendation rules may read. Then precedence (``careplan.clinical.rules.topics``):
on every topic the strictest stance of any matched item wins and weaker items
are withheld, so an alert that holds exercise holds back every exercise, heat
and stretching item, and "do not take ibuprofen" is never printed beside
"take the lowest dose".
The clock is passed in (``today``) so the same intake always gives the same plan.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Final

from careplan.clinical.facts import Facts, derive_facts
from careplan.clinical.medications import MedicationReview, over_the_counter, review
from careplan.clinical.plan import (
    DOMAINS,
    SEVERITIES,
    TIMEFRAMES,
    CarePlan,
    Withheld,
)
from careplan.clinical.rules import LABS, Rule, RuleBase
from careplan.clinical.rules.conditions import Found
from careplan.clinical.rules.loader import MEDICINES_PLACEHOLDER, shipped_rule_base
from careplan.clinical.rules.topics import resolve
from careplan.clinical.rules.wording import Language, join_words
from careplan.clinical.scoring import compute_scores, flat_scores, score_details, screens_not_done
from careplan.intake.model import Intake

_YOUR_MEDICINE: Final[dict[Language, str]] = {"en": "your medicine", "es": "su medicina"}
ACUTE_WEEKS: Final = 4
CHRONIC_WEEKS: Final = 12


@cache
def default_rule_base() -> RuleBase:
    """The shipped rule base, checked once and cached on disk by its sources' digest."""
    return shipped_rule_base()


def review_interval_weeks(*, duration_weeks: int | None, escalated: bool) -> int:
    """Weeks to the review visit: sooner after an alert; 2-4 acute, 4-8 chronic (NG193, [M])."""
    if escalated:
        return 1
    if duration_weeks is None:
        return 4
    if duration_weeks < ACUTE_WEEKS:
        return 2
    if duration_weeks <= CHRONIC_WEEKS:
        return 4
    return 6


def build_plan(*, intake: Intake, today: date, rule_base: RuleBase | None = None) -> CarePlan:
    """The care plan of the contract for one validated intake."""
    rules = rule_base or default_rule_base()
    meds = _review_medications(intake)
    scores = compute_scores(intake=intake, medications=meds)
    screens = screens_not_done(intake)
    facts = derive_facts(intake=intake, scores=scores, medications=meds, screens=screens)

    # Each condition is evaluated once, recording the facts whose tests came out true:
    # the 'because' of each rule that fires (``compile_test``).
    reasons: dict[str, Found] = {}
    fired_alerts = _matching(rules.alerts, facts, reasons)
    fired_alerts.sort(key=lambda r: (SEVERITIES.index(r.severity or "routine"),
                                     TIMEFRAMES.index(r.timeframe or "routine")))
    emergency = any(r.severity == "emergency" for r in fired_alerts)
    urgent = any(r.severity == "urgent" for r in fired_alerts)
    holding = [r.id for r in fired_alerts if ("activity", "hold") in r.speaks]
    weeks = review_interval_weeks(
        duration_weeks=intake.history.duration_weeks, escalated=emergency or urgent
    )
    facts = facts.with_values(
        alert_emergency=emergency,
        alert_urgent=urgent,
        activity_on_hold=bool(holding),
        review_in_weeks=weeks,
    )

    matched = _matching(rules.recommendations, facts, reasons)
    verdict = resolve((*fired_alerts, *matched), rules.texts, rules.topics)
    withheld = tuple(
        _withheld(rule.id, verdict.held[rule.id], rules)
        for rule in (*fired_alerts, *matched) if rule.id in verdict.held
    )
    shown_alerts = [rule for rule in fired_alerts if rule.id not in verdict.held]
    kept = [rule for rule in matched if rule.id not in verdict.held]
    kept.sort(key=lambda r: (DOMAINS.index(r.domain or "follow_up"), r.priority))

    # Labs come from every matched item, withheld or not: holding back a weaker message to
    # the patient must not hide a test the clinician should consider.
    labs = {lab for rule in (*fired_alerts, *matched) for lab in rule.labs}
    said: dict[str, str | None] = {}  # each 'because' reference described once a plan
    # The plan is validated once, as a whole, from plain data: one pass of pydantic-core
    # over the tree costs half of building each item as a model on its own.
    return CarePlan.model_validate({
        "patient": {
            "name": intake.patient.name,
            "date_of_birth": intake.patient.date_of_birth,
            "age": intake.age,
            "sex": intake.patient.sex,
            "mrn": intake.patient.mrn,
            "preferred_language": intake.patient.preferred_language,
        },
        "visit": {
            "date": intake.visit.date,
            "clinician": intake.visit.clinician,
            "reason": intake.visit.reason,
            "notes": intake.history.notes,
        },
        "generated_on": today,
        "rule_base": {"version": rules.version, "digest": rules.digest},
        "scores": flat_scores(scores),
        "score_details": score_details(scores),
        "alerts": [_alert(rule, facts, meds, reasons[rule.id], said) for rule in shown_alerts],
        "recommendations": [
            _recommendation(rule, facts, meds, reasons[rule.id], said) for rule in kept
        ],
        "withheld": withheld,
        "medications": _medication_lines(intake, meds),
        "screens_not_done": screens,
        "affected_areas": tuple(intake.affected_areas or ()),
        "intake_notes": intake.legacy_notes,
        "follow_up": {
            "review_in_weeks": weeks,
            "labs_to_consider": tuple(lab for lab in LABS if lab in labs),
        },
    })

def _withheld(rule_id: str, held: tuple[str, str, tuple[str, ...]], rules: RuleBase) -> Withheld:
    """The clinician's record of a held item: the topic, the stance that won and who holds it.

    An item held at a stance it takes itself was not overruled: it repeats what ``by``
    prints (``topics.resolve``), and the reason says so rather than naming a stance.
    """
    topic, stance, by = held
    label = rules.topics[topic].label
    said = "the same" if held[:2] in rules.get(rule_id).speaks else stance.replace("_", " ")
    reason = f"held back: on {label}, {', '.join(by)} says {said}"
    return Withheld(id=rule_id, reason=reason, by=by)


def _review_medications(intake: Intake) -> MedicationReview:
    return review((m.name, m.dose) for m in intake.history.medications or [])


def _matching(candidates: tuple[Rule, ...], facts: Facts, reasons: dict[str, Found]) -> list[Rule]:
    """The rules whose condition is true; each one's true tests go into ``reasons``."""
    matched = []
    get = facts.values.get  # what Facts.get does, without a call in between
    for rule in candidates:
        found: Found = {}
        if rule.test(get, found) is True:
            matched.append(rule)
            reasons[rule.id] = found
    return matched


def _because(
    rule: Rule, facts: Facts, matched: Found, said: dict[str, str | None]
) -> tuple[str, ...]:
    """Report a fact the condition tested only if its test was true; context facts always.

    ``said`` holds this plan's words for each reference already described: rules share
    their reasons (age, a condition, a medicine), and one plan describes each once.
    """
    tested = rule.reads
    described: dict[str, None] = {}  # an ordered set: the same words once
    for ref, name in rule.because_names:
        if matched.get(name) == "unknown":
            text: str | None = facts.describe_missing(name)
        elif name in matched or name not in tested:
            text = said[ref] if ref in said else said.setdefault(ref, facts.describe(ref))
        else:
            continue
        if text:
            described[text] = None
    return tuple(described)


def _patient_text(
    rule: Rule, facts: Facts, meds: MedicationReview, language: Language = "en"
) -> str:
    text = rule.text_in(language)
    if "{" not in text:
        return text
    return text.format_map(_Placeholders(rule, facts, meds, language))


class _Placeholders(dict[str, str]):
    """What ``{name}`` in patient text stands for, worked out only for the names it uses:
    a number fact as plain digits, or ``{medicines}``; anything else is a KeyError."""

    def __init__(
        self, rule: Rule, facts: Facts, meds: MedicationReview, language: Language
    ) -> None:
        super().__init__()
        self._rule, self._facts, self._meds, self._language = rule, facts, meds, language

    def __missing__(self, name: str) -> str:
        if name == MEDICINES_PLACEHOLDER:
            return _medicines(self._rule, self._facts, self._meds, self._language)
        value = self._facts.values.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _plain(value)
        raise KeyError(name)


def _medicines(rule: Rule, facts: Facts, meds: MedicationReview, language: Language) -> str:
    """The patient's own medicines a rule is about, as typed: 'Zocor and clarithromycin'
    ('Zocor y claritromicina' in Spanish: only the joining word is the handout's)."""
    wanted = {
        member for ref in rule.because
        for name, _, member in [ref.partition(":")]
        if name in ("medications", "medication_classes") and member and facts.describe(ref)
    }
    prescribed_only = "nsaid_prescribed" in rule.reads  # not the NSAID bought over the counter
    names = [
        m.entered for m in meds.recognised
        if wanted & {*m.generics, *m.classes}
        and not (prescribed_only and "nsaid" in m.classes and over_the_counter(m))
    ]
    names = list(dict.fromkeys(names)) or [_YOUR_MEDICINE[language]]
    return join_words(names, language)


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _alert(
    rule: Rule, facts: Facts, meds: MedicationReview, found: Found, said: dict[str, str | None]
) -> dict[str, object]:
    """An ``Alert``'s fields (validated with the whole plan)."""
    return {
        "id": rule.id,
        "severity": rule.severity or "routine",
        "timeframe": rule.timeframe or "routine",
        "title": rule.title,
        "action": rule.clinician_note,
        "patient_text": _patient_text(rule, facts, meds),
        "because": _because(rule, facts, found, said),
        "source": rule.source,
        "labs": rule.labs,
        "speaks": dict(rule.speaks),
        "patient_text_es": _patient_text(rule, facts, meds, "es"),
    }


def _recommendation(
    rule: Rule, facts: Facts, meds: MedicationReview, found: Found, said: dict[str, str | None]
) -> dict[str, object]:
    """A ``Recommendation``'s fields (validated with the whole plan)."""
    return {
        "id": rule.id,
        "domain": rule.domain or "follow_up",
        "title": rule.title,
        "patient_text": _patient_text(rule, facts, meds),
        "clinician_note": rule.clinician_note,
        "because": _because(rule, facts, found, said),
        "source": rule.source,
        "priority": rule.priority,
        "labs": rule.labs,
        "speaks": dict(rule.speaks),
        "patient_text_es": _patient_text(rule, facts, meds, "es"),
    }


def _medication_lines(intake: Intake, meds: MedicationReview) -> list[dict[str, object]]:
    """Each ``MedicationLine``'s fields (validated with the whole plan)."""
    matches = {m.entered: m for m in meds.recognised}
    lines: list[dict[str, object]] = []
    for med in intake.history.medications or []:
        match = matches.get(med.name)
        lines.append({
            "entered": med.name,
            "dose": med.dose,
            "started": med.started,
            "generics": match.generics if match else (),
            "classes": tuple(sorted(match.classes)) if match else (),
            "recognised": match is not None,
            "read_as": match.read_as if match else None,
            "over_the_counter": match is not None and over_the_counter(match),
        })
    return lines
