"""The intake form as Questionnaire items, made from the form registry (careplan.intake.form).

Why apart from the Questionnaire: the Bundle writes its QuestionnaireResponse and the importer
reads one against the same items, so all three share this one tree. It needs no
fhir.resources model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from careplan.intake import form, model

ItemType = Literal["group", "string", "text", "date", "integer", "decimal", "boolean", "choice"]


@dataclass(frozen=True, slots=True)
class Question:
    """One item of the intake Questionnaire; ``link_id`` is the contract's dotted path."""

    link_id: str
    text: str
    type: ItemType
    options: tuple[str, ...] = ()
    repeats: bool = False
    required: bool = False
    loinc: tuple[str, str] | None = None  # (code, display)
    bounds: tuple[float, float] | None = None
    max_length: int | None = None
    enable_when: tuple[str, bool] | None = None  # (question, answer) that shows this one
    items: tuple[Question, ...] = field(default=())

    @property
    def key(self) -> str:
        return self.link_id.rsplit(".", 1)[-1]


def _group(link_id: str, text: str, *items: Question, repeats: bool = False,
           required: bool = False) -> Question:
    return Question(link_id, text, "group", items=items, repeats=repeats, required=required)


def _yes(link_id: str, text: str) -> Question:
    return Question(link_id, text, "boolean")


_TYPES: Final[dict[form.Kind, ItemType]] = {
    "text": "string", "textarea": "text", "lines": "string", "int": "integer",
    "float": "decimal", "date": "date", "choice": "choice", "multi": "choice",
    "yesno": "boolean",
}
# LOINC codes, only where they are certain.
_LOINC: Final[dict[str, tuple[str, str]]] = {
    "history.pain_now": ("72514-3",
                         "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
    "risk_factors.phq4.anxious": ("69725-0", "Feeling nervous, anxious or on edge"),
    "risk_factors.phq4.worry": ("68509-9", "Over the past 2 weeks have you not been able to "
                                "stop or control worrying"),
    "risk_factors.phq4.little_interest": ("44250-9",
                                          "Little interest or pleasure in doing things"),
    "risk_factors.phq4.down": ("44255-8", "Feeling down, depressed, or hopeless"),
}


def _question(entry: form.Entry) -> Question:
    kind = _TYPES[entry.kind]
    return Question(
        entry.path, entry.text, kind, options=entry.options, repeats=entry.repeats,
        # Inside a repeating group a required item would forbid the empty group, which means
        # "asked: none" (the medicines); the intake model refuses a medicine without a name.
        required=entry.required and entry.in_list is None,
        loinc=_LOINC.get(entry.path), bounds=entry.bounds,
        max_length=entry.max_length if kind in ("string", "text") else None,
        enable_when=entry.asked_when,
    )


def _child_of(prefix: str, path: str) -> str | None:
    """The item directly under ``prefix`` that holds ``path`` (itself or a group)."""
    if prefix and not path.startswith(f"{prefix}."):
        return None
    rest = path.removeprefix(f"{prefix}.") if prefix else path
    return f"{prefix}.{rest.split('.')[0]}" if prefix else rest.split(".")[0]


def _items_under(prefix: str) -> tuple[Question, ...]:
    groups = {g.path: g for g in form.GROUPS}
    children = dict.fromkeys(c for e in form.ENTRIES if (c := _child_of(prefix, e.path)))
    out: list[Question] = []
    for child in children:
        group = groups.get(child)
        if group is None:
            out.append(_question(form.entry(child)))
        else:
            out.append(_group(child, group.text, *_items_under(child), repeats=group.repeats,
                              required=group.required))
    return tuple(out)


# The intake form, made from the registry (careplan.intake.form) in the model's order.
FORM: Final[tuple[Question, ...]] = _items_under("")


def _flatten(questions: tuple[Question, ...]) -> tuple[Question, ...]:
    out: list[Question] = []
    for question in questions:
        out.append(question)
        out.extend(_flatten(question.items))
    return tuple(out)


ALL_QUESTIONS: Final = _flatten(FORM)
BY_LINK_ID: Final[dict[str, Question]] = {q.link_id: q for q in ALL_QUESTIONS}
# Items of earlier versions of the form that are still read. Each is placed at its old
# contract path, and the intake model reads it (and says so in the plan).
LEGACY_QUESTIONS: Final[dict[str, Question]] = {
    f"red_flags.{model.LEGACY_NUMBNESS}": _yes(
        f"red_flags.{model.LEGACY_NUMBNESS}", "Numbness, or a change in bladder or bowel control"
    ),
}


def option_display(question: Question, code: str) -> str:
    """The label of a choice answer as shown to a receiver (its first letter capitalised)."""
    label = form.entry(question.link_id).option_label(code)
    return label[:1].upper() + label[1:]
