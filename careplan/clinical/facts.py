"""The closed vocabulary of facts the rules may read, and how each is put in words.

Why a closed vocabulary: a rule that names a fact nobody computes would never
fire and nobody would notice. The loader checks every rule against
``CATALOGUE``; the engine derives exactly these facts from an intake.
Unknown facts are ``None`` ("not asked") and make comparisons unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final, Literal

from careplan.clinical.medications import (
    CLASSES,
    GENERICS,
    MedicationMatch,
    MedicationReview,
    over_the_counter,
)
from careplan.clinical.scoring import Scores
from careplan.intake import model

Kind = Literal["bool", "number", "enum", "set"]
FactValue = bool | int | float | str | frozenset[str] | None


@dataclass(frozen=True, slots=True)
class FactSpec:
    """What a fact is: its kind, allowed values, and a phrase for ``because``.

    ``label`` is the phrase shown when a boolean fact is true, or a template
    with ``{value}`` for the other kinds.
    """

    kind: Kind
    label: str
    values: tuple[str, ...] = ()


def _b(label: str) -> FactSpec:
    return FactSpec("bool", label)


def _n(label: str) -> FactSpec:
    return FactSpec("number", label)


def _reported(label: str) -> str:
    """A red-flag question as a clinician reads a reason: "Rash" -> "reports rash"."""
    return f"reports {label[0].lower()}{label[1:]}"



CATALOGUE: Final[dict[str, FactSpec]] = {
    "age": _n("age {value}"),
    "sex": FactSpec("enum", "sex {value}", model.SEXES),
    "pregnant": _b("pregnant"),
    "pregnancy_weeks": _n("pregnant, {value} weeks"),
    "onset": FactSpec("enum", "{value} onset", model.ONSETS),
    "duration_weeks": _n("pain for {value} weeks"),
    "pattern": FactSpec("enum", "{value} pain", model.PATTERNS),
    "pain_now": _n("pain now {value}/10"),
    "pain_worst_week": _n("worst pain this week {value}/10"),
    "peg": _n("PEG {value}"),
    "peg_enjoyment": _n("pain interferes with enjoyment {value}/10"),
    "peg_activity": _n("pain interferes with activity {value}/10"),
    "wpi": _n("Widespread Pain Index {value}"),
    "generalized_pain": _b("generalised pain (4 or more of 5 regions)"),
    "sss": _n("Symptom Severity Scale {value}"),
    "fibromyalgia_criteria_met": _b("ACR 2016 fibromyalgia criteria met"),
    "phq4": _n("PHQ-4 {value}"),
    "gad2": _n("GAD-2 {value}"),
    "phq2": _n("PHQ-2 {value}"),
    "gad2_positive": _b("GAD-2 positive (3 or more)"),
    "phq2_positive": _b("PHQ-2 positive (3 or more)"),
    "sleep_screen": FactSpec(
        "enum", "sleep screen: {value}", ("likely_problem", "possible_problem", "no_problem")
    ),
    "sleep_hours": _n("sleeps {value} hours a night"),
    "sleep_quality": FactSpec("enum", "rates sleep as {value}", model.SLEEP_QUALITIES),
    "waking_unrefreshed": _n("waking unrefreshed {value}/3"),
    "fatigue": _n("fatigue {value}/3"),
    "stress_level": _n("stress {value}/10"),
    "sedentary": _b("mostly sedentary"),
    "desk_hours_per_day": _n("{value} desk hours a day"),
    "repetitive_tasks": _b("does repetitive tasks"),
    "poor_posture": _b("poor posture reported"),
    "physical_labour": _b("does physical labour"),
    "smoker": _b("smokes"),
    "water_glasses_per_day": _n("drinks {value} glasses of water a day"),
    "protein_each_meal": _b("eats protein with each meal"),
    "no_protein_each_meal": _b("does not eat protein with each meal"),
    "alcohol_units_per_week": _n("{value} units of alcohol a week"),
    "alcohol_drinks_per_week": _n("{value} drinks of alcohol a week"),
    "grapefruit": _b("drinks grapefruit juice or eats grapefruit"),
    "character": FactSpec("set", "describes {value}", model.CHARACTERS),
    "triggers": FactSpec("set", "worse with {value}", model.TRIGGERS),
    "recent_unaccustomed_exertion": _b("recent unaccustomed exertion"),
    "morning_stiffness_minutes": _n("morning stiffness {value} minutes"),
    "conditions": FactSpec("set", "has {value}", model.CONDITIONS),
    "affected_areas": FactSpec("set", "pain in {value}", model.AREAS),
    "bilateral_shoulder_pain": _b("pain in both shoulders"),
    "hip_girdle_pain": _b("pain in the hip girdle"),
    "spinal_pain": _b("pain in the neck or back"),
    "medication_list_taken": _b("medication list taken"),
    "no_medication_list": _b("no medication list taken"),
    "screens_not_done": _n("{value} screen(s) not done"),
    "red_flags_not_asked": _n("{value} red-flag question(s) not asked"),
    "no_red_flags_asked": _b("no red-flag question asked"),
    "medications": FactSpec("set", "taking {value}", tuple(sorted(GENERICS))),
    "medication_classes": FactSpec("set", "taking {value}", CLASSES),
    "unrecognised_medications": _n("{value} medication name(s) not recognised"),
    "medications_read_as": _n("{value} misspelt medication name(s) read as a near name"),
    "nsaid_prescribed": _b("takes a prescribed NSAID (or one above over-the-counter strength)"),
    "nsaid_over_the_counter": _b("takes an over-the-counter NSAID"),
    "nsaids_taken": _n("{value} NSAID medicines taken by mouth"),
    "acetaminophen_products": _n("{value} products containing acetaminophen"),
    "serotonergic_drugs": _n("{value} serotonergic drugs"),
    "cns_active_drugs": _n("{value} CNS-active drugs (Beers 2023 list)"),
    "simvastatin_dose_mg": _n("simvastatin {value} mg"),
    "lovastatin_dose_mg": _n("lovastatin {value} mg"),
    "doxepin_dose_mg": _n("doxepin {value} mg"),
    "niacin_dose_mg": _n("niacin {value} mg"),
    "simvastatin_weeks": _n("on simvastatin for {value} weeks"),
    "sams_ci_partial": _n("SAMS-CI partial score {value}"),
    "alert_emergency": _b("an emergency alert is active"),
    "alert_urgent": _b("an urgent alert is active"),
    "activity_on_hold": _b("an emergency alert holds back activity advice"),
    "review_in_weeks": _n("review in {value} weeks"),
    **{f"red_flags.{name}": _b(_reported(label)) for name, label in model.RED_FLAG_LABELS.items()},
}

# Facts the engine only knows after the red-flag stage; alert rules may not read them.
SECOND_STAGE: Final = frozenset(
    {"alert_emergency", "alert_urgent", "activity_on_hold", "review_in_weeks"}
)

_WORDS: Final[dict[str, str]] = {
    "peptic_ulcer_or_gi_bleed": "a past peptic ulcer or GI bleed",
    "chronic_kidney_disease": "chronic kidney disease",
    "other_inflammatory_disease": "another inflammatory disease",
    "hiv": "HIV",
    "likely_problem": "likely problem",
    "possible_problem": "possible problem",
    "no_problem": "no problem",
    "tender_spots": "tender spots",
    "none_identified": "no trigger identified",
}


def words(value: str) -> str:
    """A vocabulary value as a clinician reads it (``shoulder_left`` -> ``left shoulder``)."""
    if value in _WORDS:
        return _WORDS[value]
    for side in ("left", "right"):
        if value.endswith(f"_{side}"):
            return f"{side} {value.removesuffix(f'_{side}').replace('_', ' ')}"
    return value.replace("_", " ")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True, slots=True)
class Facts:
    """The facts of one intake, with what is needed to explain them."""

    values: Mapping[str, FactValue]
    medication_text: Mapping[str, tuple[str, ...]]  # class or generic -> "atorvastatin 40 mg ..."

    def get(self, name: str) -> FactValue:
        return self.values.get(name)

    def with_values(self, **extra: FactValue) -> Facts:
        return Facts({**self.values, **extra}, self.medication_text)

    def describe_missing(self, name: str) -> str:
        """Words for a fact that was not asked (a rule may fire on exactly that)."""
        return f"not asked: {words(name.removeprefix('red_flags.'))}"

    def describe(self, ref: str) -> str | None:
        """Words for a ``because`` reference (``fact`` or ``fact:member``); None if not true."""
        name, _, member = ref.partition(":")
        value = self.values.get(name)
        if value is None or value is False:
            return None
        if member and name in _MEDICINE_FACTS:
            if not isinstance(value, frozenset) or member not in value:
                return None
            return "taking " + "; ".join(self.medication_text.get(member, (member,)))
        return _described(ref, value)


_MEDICINE_FACTS: Final = frozenset({"medications", "medication_classes"})


@lru_cache(maxsize=8192, typed=True)  # typed: True and 1 are different answers
def _described(ref: str, value: FactValue) -> str | None:
    """``Facts.describe`` for any fact but a named medicine: its words depend only on the
    reference and the value, and plans repeat them (each answer rebuilds the plan)."""
    name, _, member = ref.partition(":")
    spec = CATALOGUE[name]
    if spec.kind == "bool":
        return spec.label
    if spec.kind == "number" and isinstance(value, int | float):
        return spec.label.format(value=_number(value))
    if spec.kind == "enum" and isinstance(value, str):
        return spec.label.format(value=words(value))
    if isinstance(value, frozenset):
        if member:
            return spec.label.format(value=words(member)) if member in value else None
        if not value:
            return None
        return spec.label.format(value=", ".join(words(v) for v in sorted(value)))
    return None

def derive_facts(
    *, intake: model.Intake, scores: Scores, medications: MedicationReview,
    screens: tuple[str, ...],
) -> Facts:
    """Every catalogue fact for one intake (second-stage facts are added by the engine)."""
    history, risks, areas = intake.history, intake.risk_factors, intake.affected_areas
    area_set = None if areas is None else frozenset(areas)
    meds_by_name = {m.name: m for m in history.medications or []}
    generics: set[str] = set()
    classes: set[str] = set()
    text: dict[str, list[str]] = {}
    simva_weeks: float | None = None
    for match in medications.recognised:
        entry = meds_by_name.get(match.entered)
        line = match.entered
        if match.read_as:  # a misspelling read as a near name: the clinician must confirm it
            line += f" (read as {match.read_as} — check)"
        if entry is not None and entry.dose:
            line += f" {entry.dose}"
        if entry is not None and entry.started:
            line += f" since {entry.started.isoformat()}"
        if match.route != "local":  # a cream or eye drop is listed, but is not systemic
            generics.update(match.generics)
        classes.update(match.classes)
        for key in (*match.generics, *match.classes):
            text.setdefault(key, []).append(line)
        if "simvastatin" in match.generics and entry is not None and entry.started is not None:
            simva_weeks = _weeks(entry.started, intake.visit.date)
    taken = history.medications is not None
    unasked = sum(1 for name in model.RED_FLAGS if getattr(intake.red_flags, name) is None)
    values: dict[str, FactValue] = {
        "age": intake.age,
        "sex": intake.patient.sex,
        "pregnant": risks.pregnant,
        "pregnancy_weeks": risks.pregnancy_weeks,
        "onset": history.onset,
        "duration_weeks": history.duration_weeks,
        "pattern": history.pattern,
        "pain_now": history.pain_now,
        "pain_worst_week": history.pain_worst_week,
        "peg": None if scores.peg is None else scores.peg.score,
        "peg_enjoyment": history.peg.enjoyment,
        "peg_activity": history.peg.activity,
        "wpi": None if scores.wpi is None else scores.wpi.score,
        "generalized_pain": None if scores.wpi is None else scores.wpi.generalized,
        "sss": None if scores.sss is None else scores.sss.score,
        "fibromyalgia_criteria_met": None if scores.fibromyalgia is None
        else scores.fibromyalgia.met,
        "phq4": None if scores.phq4 is None else scores.phq4.total,
        "gad2": scores.gad2,
        "phq2": scores.phq2,
        "gad2_positive": None if scores.gad2 is None else scores.gad2 >= 3,
        "phq2_positive": None if scores.phq2 is None else scores.phq2 >= 3,
        "sleep_screen": None if scores.sleep is None else scores.sleep.result,
        "sleep_hours": risks.sleep_hours,
        "sleep_quality": risks.sleep_quality,
        "waking_unrefreshed": intake.symptom_severity.waking_unrefreshed,
        "fatigue": intake.symptom_severity.fatigue,
        "stress_level": risks.stress_level,
        "sedentary": risks.sedentary,
        "desk_hours_per_day": risks.desk_hours_per_day,
        "repetitive_tasks": risks.repetitive_tasks,
        "poor_posture": risks.poor_posture,
        "physical_labour": risks.physical_labour,
        "smoker": risks.smoker,
        "water_glasses_per_day": risks.water_glasses_per_day,
        "protein_each_meal": risks.protein_each_meal,
        "no_protein_each_meal": None if risks.protein_each_meal is None
        else not risks.protein_each_meal,
        "alcohol_units_per_week": _alcohol(risks)[0],
        "alcohol_drinks_per_week": _alcohol(risks)[1],
        "grapefruit": history.grapefruit,
        "character": _set(history.character),
        "triggers": _set(history.triggers),
        "recent_unaccustomed_exertion": history.recent_unaccustomed_exertion,
        "morning_stiffness_minutes": history.morning_stiffness_minutes,
        "conditions": _set(history.conditions),
        "affected_areas": area_set,
        "bilateral_shoulder_pain": None if area_set is None
        else {"shoulder_left", "shoulder_right"} <= area_set,
        "hip_girdle_pain": None if area_set is None
        else bool({"hip_left", "hip_right"} & area_set),
        "spinal_pain": None if area_set is None
        else bool({"neck", "upper_back", "lower_back"} & area_set),
        "medication_list_taken": taken,
        "no_medication_list": not taken,
        "screens_not_done": len(screens),
        "red_flags_not_asked": unasked,
        "no_red_flags_asked": unasked == len(model.RED_FLAGS),
        "medications": frozenset(generics) if taken else None,
        "medication_classes": frozenset(classes) if taken else None,
        "unrecognised_medications": len(medications.unrecognised) if taken else None,
        "medications_read_as": sum(1 for m in medications.recognised if m.read_as)
        if taken else None,
        "nsaid_prescribed": any(
            _systemic_nsaid(m) and not over_the_counter(m) for m in medications.recognised
        ) if taken else None,
        "nsaid_over_the_counter": any(
            _systemic_nsaid(m) and over_the_counter(m) for m in medications.recognised
        ) if taken else None,
        # Each line counts: Advil and Motrin are both ibuprofen, and taken together, twice.
        "nsaids_taken": sum(1 for m in medications.recognised if _systemic_nsaid(m))
        if taken else None,
        "acetaminophen_products": sum(
            1 for m in medications.recognised if "acetaminophen" in m.classes
        ) if taken else None,
        "serotonergic_drugs": medications.count_with_class("serotonergic") if taken else None,
        "cns_active_drugs": medications.count_with_class("cns_active") if taken else None,
        **{
            f"{generic}_dose_mg": _dose(medications, generic)
            for generic in ("simvastatin", "lovastatin", "doxepin", "niacin")
        },
        "simvastatin_weeks": simva_weeks,
        "sams_ci_partial": None if scores.sams is None or not scores.sams.applicable
        else scores.sams.partial,
        **{
            f"red_flags.{name}": getattr(intake.red_flags, name)
            for name in model.RED_FLAGS
        },
    }
    return Facts(values, {key: tuple(lines) for key, lines in text.items()})


def _systemic_nsaid(match: MedicationMatch) -> bool:
    return "nsaid" in match.classes and match.route != "local"


def _dose(medications: MedicationReview, generic: str) -> float | None:
    """Highest daily-dose figure of one ingredient; unknown if any entry's dose is unknown.

    Unknown wins on purpose: a dose-limit rule must then ask rather than assume.
    """
    doses = [m.dose_of(generic) for m in medications.recognised if generic in m.generics]
    if not doses or None in doses:
        return None
    return max(d for d in doses if d is not None)


def _alcohol(risks: model.RiskFactors) -> tuple[float | None, float | None]:
    """(UK units, US drinks) a week: each as given, else converted from the other."""
    units, drinks = risks.alcohol_units_per_week, risks.alcohol_drinks_per_week
    if units is None and drinks is not None:
        units = model.drinks_to_units(drinks)
    if drinks is None and units is not None:
        drinks = model.units_to_drinks(units)
    return units, drinks


def _set(values: Sequence[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _weeks(start: date, end: date) -> float:
    return round((end - start).days / 7, 1)
