"""The intake form's registry: every question once, with its label, kind, bounds and options.

Why: the Intake page, the FHIR Questionnaire, the validation messages and the test
strategies all need the same questions. The model (careplan.intake.model) is the truth for
*what* may be answered (types, bounds, options, lengths, what is required); this module
adds only what a person reads (labels, help, the tab a question sits on) and reads the
rest from the model, so the two cannot drift. Built at import; a model field without
words here (or words here without a field) stops the import.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from careplan.intake.model import EARLIEST_DATE, LANGUAGES, Between, Intake
from careplan.intake.vocabulary import AREA_LABELS, RED_FLAG_LABELS

__all__ = [
    "CARRIED",
    "ENTRIES",
    "GROUPS",
    "SECTIONS",
    "Entry",
    "Group",
    "Kind",
    "Section",
    "entry",
    "group",
    "in_group",
    "label_of",
    "order_of",
    "section_of",
]

# How a question is answered. "lines" is a list of free-text items, one per line;
# "group" is a set of questions, "repeats" on a Group means one set per item (medicines).
Kind = Literal["text", "textarea", "lines", "int", "float", "date", "choice", "multi", "yesno"]
Section = Literal["Visit and history", "Body map", "Symptoms", "Risk factors and screens",
                  "Red flags", "Medicines"]
SECTIONS: Final[tuple[Section, ...]] = get_args(Section)


@dataclass(frozen=True, slots=True)
class Entry:
    """One question of the intake, at its contract path (list items without an index).

    ``label`` is what the clinician sees beside the widget; ``question`` the full wording
    where there is room (the FHIR Questionnaire), the label when not given. Bounds,
    options, lengths and ``required`` come from the model.
    """

    path: str
    label: str
    kind: Kind
    section: Section
    required: bool = False
    bounds: tuple[float, float] | None = None
    options: tuple[str, ...] = ()
    option_labels: Mapping[str, str] = field(default_factory=dict)
    max_length: int | None = None  # characters (of each line, for "lines")
    max_items: int | None = None  # for "multi" and "lines"
    help: str = ""
    question: str = ""
    asked_when: tuple[str, bool] | None = None  # (yes/no question, answer) that asks this one
    in_list: str | None = None  # the repeating group this question belongs to
    scale: tuple[str, ...] = ()  # a one-tap answer: the words of each value, low to high
    carried: bool = False  # stable between visits: a returning visit starts from the last one

    @property
    def scale_values(self) -> tuple[int, ...]:
        """The values a one-tap scale offers (its bounds, every whole number)."""
        if not self.scale or self.bounds is None:
            return ()
        return tuple(range(int(self.bounds[0]), int(self.bounds[1]) + 1))

    @property
    def text(self) -> str:
        """The full wording (the Questionnaire's item text)."""
        return self.question or self.label

    @property
    def repeats(self) -> bool:
        return self.kind in ("multi", "lines")

    def option_label(self, code: str) -> str:
        """An option as the clinician reads it (``tender_spots`` -> ``tender spots``)."""
        return self.option_labels.get(code, code.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Group:
    """A set of questions (a submodel): its title, and the noun for one item of a list."""

    path: str
    title: str
    note: str = ""  # the instructions shown after the title, e.g. "past week, 0-10"
    required: bool = False
    repeats: bool = False
    item: str = ""  # "Medicine": how one item of a repeating group is named

    @property
    def text(self) -> str:
        return f"{self.title} ({self.note})" if self.note else self.title


@dataclass(frozen=True, slots=True)
class _Words:
    label: str
    kind: Kind | None = None  # only where the model cannot tell (a long text is a textarea)
    help: str = ""
    question: str = ""
    asked_when: tuple[str, bool] | None = None


# The words of each question, by path. Everything else is read from the model.
_WORDS: Final[dict[str, _Words]] = {
    "patient.name": _Words("Patient name"),
    "patient.date_of_birth": _Words("Date of birth"),
    "patient.sex": _Words("Sex"),
    "patient.mrn": _Words("MRN", question="Medical record number (MRN)"),
    "patient.preferred_language": _Words(
        "Preferred language", question="Preferred language (BCP-47 tag, e.g. en)",
        help="The handout's language, as a BCP-47 tag (en, es)."),
    "visit.date": _Words("Visit date"),
    "visit.clinician": _Words("Clinician"),
    "visit.reason": _Words("Reason for the visit", kind="textarea"),
    "history.onset": _Words("Onset"),
    "history.duration_weeks": _Words("How long (weeks)",
                                     question="How long the pain has lasted (weeks)"),
    "history.pattern": _Words("Pattern"),
    "history.pain_now": _Words("Pain now (0-10)"),
    "history.pain_worst_week": _Words("Worst pain this week (0-10)"),
    "history.peg.pain": _Words("Average pain"),
    "history.peg.enjoyment": _Words("Interference with enjoyment of life"),
    "history.peg.activity": _Words("Interference with general activity"),
    "history.character": _Words("Character of the pain"),
    "history.triggers": _Words("Triggers"),
    "history.recent_unaccustomed_exertion": _Words("Recent unaccustomed exertion"),
    "history.morning_stiffness_minutes": _Words(
        "Morning stiffness (minutes)", question="Morning stiffness (minutes, 0 if none)"),
    "history.conditions": _Words("Conditions"),
    "history.medications.name": _Words("Medicine name",
                                       question="Medicine name (generic or brand)"),
    "history.medications.dose": _Words("Dose"),
    "history.medications.started": _Words("Started"),
    "history.grapefruit": _Words("Grapefruit or grapefruit juice regularly"),
    "history.allergies": _Words("Allergies"),
    "history.prior_treatments": _Words("Prior treatments"),
    "history.notes": _Words("Notes", kind="textarea"),
    "affected_areas": _Words("Painful areas (Widespread Pain Index)",
                             question="Painful areas (Widespread Pain Index regions)"),
    "symptom_severity.fatigue": _Words("Fatigue (0-3)"),
    "symptom_severity.waking_unrefreshed": _Words("Waking unrefreshed (0-3)"),
    "symptom_severity.cognitive_symptoms": _Words("Cognitive symptoms (0-3)"),
    "symptom_severity.headaches": _Words("Headaches (past 6 months)"),
    "symptom_severity.lower_abdominal_pain": _Words(
        "Lower abdominal pain or cramps (past 6 months)"),
    "symptom_severity.depression": _Words("Depression (past 6 months)"),
    "risk_factors.sedentary": _Words("Mostly sedentary"),
    "risk_factors.desk_hours_per_day": _Words("Desk hours a day"),
    "risk_factors.repetitive_tasks": _Words("Repetitive tasks"),
    "risk_factors.poor_posture": _Words("Poor posture"),
    "risk_factors.physical_labour": _Words("Physical labour"),
    "risk_factors.stress_level": _Words("Stress (0-10)"),
    "risk_factors.phq4.anxious": _Words("Nervous, anxious or on edge",
                                        question="Feeling nervous, anxious or on edge"),
    "risk_factors.phq4.worry": _Words("Cannot stop worrying",
                                      question="Not being able to stop or control worrying"),
    "risk_factors.phq4.little_interest": _Words(
        "Little interest or pleasure", question="Little interest or pleasure in doing things"),
    "risk_factors.phq4.down": _Words("Down or hopeless",
                                     question="Feeling down, depressed or hopeless"),
    "risk_factors.sleep_hours": _Words("Sleep (hours a night)"),
    "risk_factors.sleep_quality": _Words("Sleep quality"),
    "risk_factors.water_glasses_per_day": _Words("Glasses of water a day"),
    "risk_factors.protein_each_meal": _Words("Protein with each meal"),
    "risk_factors.smoker": _Words("Smokes"),
    "risk_factors.alcohol_units_per_week": _Words(
        "Alcohol: UK units a week (8 g)", question="Alcohol (UK units a week, 8 g each)"),
    "risk_factors.alcohol_drinks_per_week": _Words(
        "Alcohol: standard drinks a week",
        question="Alcohol (US standard drinks a week, 14 g each)",
        help="US standard drink: 14 g of alcohol (12 oz beer, 5 oz wine, 1.5 oz spirits)"),
    "risk_factors.pregnant": _Words("Pregnant"),
    "risk_factors.pregnancy_weeks": _Words("Pregnancy (weeks)",
                                           asked_when=("risk_factors.pregnant", True)),
    **{f"red_flags.{name}": _Words(label) for name, label in RED_FLAG_LABELS.items()},
}

_GROUP_WORDS: Final[dict[str, Group]] = {g.path: g for g in (
    Group("patient", "Patient"),
    Group("visit", "Visit"),
    Group("history", "History"),
    Group("history.peg", "PEG-3", note="past week, 0-10"),
    Group("history.medications", "Medicines", note="one group per medicine", item="Medicine"),
    Group("symptom_severity", "Symptom Severity Scale", note="past week; 0 none to 3 severe"),
    Group("risk_factors", "Risk factors and screens"),
    Group("risk_factors.phq4", "PHQ-4", note="past 2 weeks; 0 not at all to 3 nearly every day"),
    Group("red_flags", "Red flags"),
)}

# Free text in the model (any BCP 47 tag, per the contract) that the pages ask as a choice
# of what we can print: the handout's languages.
_OFFERED: Final[dict[str, tuple[str, ...]]] = {"patient.preferred_language": LANGUAGES}

# One-tap answers with the instrument's own wording, each value low to high. A 0-10 rating
# shows its numbers (the anchors are in the group's note or the label); the 0-3 items show
# their validated words: PHQ-4 (Kroenke 2009) and the ACR 2016 symptom severity items.
_ZERO_TO_TEN: Final = tuple(str(n) for n in range(11))
_PHQ4_WORDS: Final = ("Not at all", "Several days", "More than half the days",
                      "Nearly every day")
_SSS_WORDS: Final = ("No problem", "Slight or mild, now and then", "Moderate, often",
                     "Severe, all the time")
_SCALES: Final[dict[str, tuple[str, ...]]] = {
    "history.pain_now": _ZERO_TO_TEN,
    "history.pain_worst_week": _ZERO_TO_TEN,
    "history.peg.pain": _ZERO_TO_TEN,
    "history.peg.enjoyment": _ZERO_TO_TEN,
    "history.peg.activity": _ZERO_TO_TEN,
    "risk_factors.stress_level": _ZERO_TO_TEN,
    "symptom_severity.fatigue": _SSS_WORDS,
    "symptom_severity.waking_unrefreshed": _SSS_WORDS,
    "symptom_severity.cognitive_symptoms": _SSS_WORDS,
    "risk_factors.phq4.anxious": _PHQ4_WORDS,
    "risk_factors.phq4.worry": _PHQ4_WORDS,
    "risk_factors.phq4.little_interest": _PHQ4_WORDS,
    "risk_factors.phq4.down": _PHQ4_WORDS,
}

# What a returning visit starts from (the last visit's answer, to confirm with the patient):
# what stays true between visits. Never carried: today's pain and scores, the body map, the
# screens (PHQ-4, symptom severity), red flags, pregnancy (it changes, and a stale "no" is
# unsafe), stress and the visit's own reason and notes.
_CARRIED: Final[frozenset[str]] = frozenset({
    "patient.sex", "patient.preferred_language",
    "history.onset", "history.pattern", "history.character", "history.triggers",
    "history.conditions", "history.medications", "history.grapefruit", "history.allergies",
    "history.prior_treatments",
    "risk_factors.sedentary", "risk_factors.desk_hours_per_day",
    "risk_factors.repetitive_tasks", "risk_factors.poor_posture",
    "risk_factors.physical_labour", "risk_factors.sleep_hours", "risk_factors.sleep_quality",
    "risk_factors.water_glasses_per_day", "risk_factors.protein_each_meal",
    "risk_factors.smoker", "risk_factors.alcohol_units_per_week",
    "risk_factors.alcohol_drinks_per_week",
})

# The Intake page's tab of each question: the longest matching path prefix wins.
_SECTION_OF: Final[dict[str, Section]] = {
    "patient": "Visit and history",
    "visit": "Visit and history",
    "history": "Visit and history",
    "history.medications": "Medicines",
    "history.grapefruit": "Medicines",
    "history.allergies": "Medicines",
    "history.prior_treatments": "Medicines",
    "affected_areas": "Body map",
    "symptom_severity": "Symptoms",
    "risk_factors": "Risk factors and screens",
    "red_flags": "Red flags",
}

# Options as the clinician reads them, where replacing "_" by " " is not enough.
_OPTION_WORDS: Final[dict[str, str]] = {
    "peptic_ulcer_or_gi_bleed": "past peptic ulcer or GI bleed",
    "other_inflammatory_disease": "other inflammatory disease",
    "hiv": "HIV",
    "none_identified": "no trigger identified",
    "en": "English",
    "es": "Spanish (español)",
}


# ------------------------------------------------------------------ reading the model


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """The type under ``X | None`` and ``Annotated``, its metadata, and whether None is allowed."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            if len(args) != 1:
                raise TypeError(f"the form cannot ask for a union: {annotation}")
            annotation = args[0]
        elif origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        else:
            break
    flat: list[Any] = []
    for item in metadata:
        flat.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return annotation, flat, optional


def _limits(metadata: list[Any]) -> tuple[tuple[float, float] | None, int | None]:
    bounds = next(((m.low, m.high) for m in metadata if isinstance(m, Between)), None)
    lengths = [m.max_length for m in metadata if getattr(m, "max_length", None) is not None]
    return bounds, (min(lengths) if lengths else None)


def section_of(path: str) -> Section:
    """The Intake section that asks ``path`` (a question, a group or a list)."""
    return _section(path)


def _section(path: str) -> Section:
    parts = path.split(".")
    for size in range(len(parts), 0, -1):
        section = _SECTION_OF.get(".".join(parts[:size]))
        if section is not None:
            return section
    raise KeyError(f"no Intake tab for {path}")


def _leaf(path: str, annotation: Any, info: FieldInfo, *, required: bool,
          in_list: str | None) -> Entry:
    words = _WORDS.get(path)
    if words is None:
        raise RuntimeError(f"the intake field {path} has no words in careplan.intake.form")
    base, metadata, optional = _unwrap(annotation)
    metadata = [*info.metadata, *metadata]
    bounds, max_length = _limits(metadata)
    max_items: int | None = None
    options: tuple[str, ...] = ()
    kind: Kind
    if get_origin(base) is list:
        max_items = max_length
        item, item_metadata, _ = _unwrap(get_args(base)[0])
        _, max_length = _limits(item_metadata)
        if get_origin(item) is Literal:
            kind, options = "multi", get_args(item)
        elif item is str:
            kind = "lines"
        else:
            raise TypeError(f"the form cannot ask for a list of {item} ({path})")
    elif get_origin(base) is Literal:
        kind, options = "choice", get_args(base)
    elif path in _OFFERED:  # a free tag in the model, a choice of ours on the pages
        kind, options = "choice", _OFFERED[path]
    elif base is bool:
        kind = "yesno"
    elif base is int:
        kind = "int"
    elif base is float:
        kind = "float"
    elif base is date:
        kind = "date"
    elif base is str:
        kind = "text"
    else:
        raise TypeError(f"the form cannot ask for {base} ({path})")
    if words.kind is not None:
        if (words.kind, kind) != ("textarea", "text"):
            raise RuntimeError(f"{path}: the model asks for {kind}, the form says {words.kind}")
        kind = words.kind
    labels = AREA_LABELS if path == "affected_areas" else {
        code: _OPTION_WORDS[code] for code in options if code in _OPTION_WORDS}
    scale = _SCALES.get(path, ())
    if scale and (kind != "int" or bounds is None or len(scale) != bounds[1] - bounds[0] + 1):
        raise RuntimeError(f"{path}: a scale needs one word for each whole number of its bounds")
    return Entry(
        path=path, label=words.label, kind=kind, section=_section(path),
        required=required and info.is_required() and not optional, bounds=bounds,
        options=tuple(str(o) for o in options), option_labels=labels, max_length=max_length,
        max_items=max_items, help=words.help, question=words.question,
        asked_when=words.asked_when, in_list=in_list, scale=scale,
        carried=(path if in_list is None else in_list) in _CARRIED,
    )


def _walk(model: type[BaseModel], prefix: str, *, required: bool, in_list: str | None,
          entries: list[Entry], groups: list[Group]) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        base, _, _ = _unwrap(info.annotation)
        many = get_origin(base) is list
        inner = _unwrap(get_args(base)[0])[0] if many else base
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            words = _GROUP_WORDS.get(path)
            if words is None:
                raise RuntimeError(f"the intake group {path} has no title in careplan.intake.form")
            here = required and info.is_required()
            groups.append(Group(path, words.title, note=words.note, required=here,
                                repeats=many, item=words.item))
            _walk(inner, f"{path}.", required=here or many, in_list=path if many else in_list,
                  entries=entries, groups=groups)
        else:
            entries.append(_leaf(path, info.annotation, info, required=required,
                                 in_list=in_list))


def _build() -> tuple[tuple[Entry, ...], tuple[Group, ...]]:
    entries: list[Entry] = []
    groups: list[Group] = []
    _walk(Intake, "", required=True, in_list=None, entries=entries, groups=groups)
    unused = (set(_WORDS) - {e.path for e in entries}) | (
        set(_GROUP_WORDS) - {g.path for g in groups})
    unused |= (set(_SCALES) | _CARRIED) - {e.path for e in entries} - {
        e.in_list for e in entries if e.in_list}
    if unused:
        raise RuntimeError(f"form.py has words for fields the model lacks: {sorted(unused)}")
    return tuple(entries), tuple(groups)


ENTRIES, GROUPS = _build()
_BY_PATH: Final[dict[str, Entry]] = {e.path: e for e in ENTRIES}
_GROUP_BY_PATH: Final[dict[str, Group]] = {g.path: g for g in GROUPS}
_ORDER: Final[dict[str, int]] = {e.path: i for i, e in enumerate(ENTRIES)}


# The dates a calendar offers: from the model's earliest date to a year no visit reaches
# (a date of birth or a medicine's start is also checked against the visit date).
FIRST_DATE: Final = EARLIEST_DATE
LAST_DATE: Final = date(2100, 1, 1)
CARRIED: Final[tuple[str, ...]] = tuple(sorted(_CARRIED))  # the paths a new visit carries


def entry(path: str) -> Entry:
    """The question at a dotted path (``history.pain_now``; list items without an index)."""
    return _BY_PATH[path]


def group(path: str) -> Group:
    """The group at a dotted path (``history.peg``)."""
    return _GROUP_BY_PATH[path]


def in_group(path: str) -> tuple[Entry, ...]:
    """The questions directly inside a group (``red_flags``), in the model's order."""
    return tuple(e for e in ENTRIES if e.path.rpartition(".")[0] == path)


_INDEX: Final = re.compile(r"\[(\d+)\]")


def label_of(path: str) -> str:
    """A problem's path in the clinician's words.

    ``visit.date`` -> "Visit date"; ``history.medications[0].started`` -> "Started
    (medicine 1)"; ``history.allergies[2]`` -> "Allergies (item 3)". A path the form
    does not know (a field that is not in the intake) is returned as it is.
    """
    indexes = [int(i) for i in _INDEX.findall(path)]
    bare = _INDEX.sub("", path)
    if bare == "":
        return "The intake"
    question = _BY_PATH.get(bare)
    group = _GROUP_BY_PATH.get(bare)
    if question is not None:
        label = question.label
        owner = _GROUP_BY_PATH.get(question.in_list or "")
    elif group is not None:
        if indexes and group.repeats and group.item:
            return f"{group.item} {indexes[0] + 1}"
        label, owner = group.title, None
    else:
        return path
    if indexes and owner is not None and owner.item:
        return f"{label} ({owner.item.lower()} {indexes[0] + 1})"
    if indexes:
        return f"{label} (item {indexes[0] + 1})"
    return label


def order_of(path: str) -> int:
    """Where a path's question comes in the form (unknown paths last), to list problems."""
    return _ORDER.get(_INDEX.sub("", path), len(_ORDER))
