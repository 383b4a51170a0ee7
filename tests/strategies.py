"""Hypothesis strategies that generate any valid intake of the contract."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from careplan import intake as model
from careplan.medications import GENERICS

TODAY = date(2026, 11, 25)

_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Zl", "Zp"),
        exclude_characters="\u200b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
        "\ufff9\ufffa\ufffb\x85",
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Either the value or None: every optional answer may be 'not asked'."""
    return st.one_of(st.none(), strategy)


def _unique(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=len(values))


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


_medication_names = st.one_of(
    st.sampled_from(sorted(GENERICS)),
    st.sampled_from(["Zocor 40mg", "Lipitor", "Advil", "Aleve", "Coumadin", "Eliquis",
                     "Flexeril", "Norco", "Percocet", "Cipro", "Keytruda", "Unknownol"]),
    _text,
)


@st.composite
def intakes(draw: st.DrawFn, /, **fixed: Any) -> dict[str, Any]:
    """A valid intake as JSON-like data; ``fixed`` sets sections' fields (e.g. red flags)."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seen = draw(st.dates(min_value=born, max_value=TODAY))
    pregnant = draw(maybe(st.booleans()))
    rating = st.integers(0, 10)
    item3 = st.integers(0, 3)
    medications = draw(maybe(st.lists(
        st.fixed_dictionaries(
            {"name": _medication_names},
            optional={
                "dose": st.sampled_from(["10 mg daily", "40 mg", "1 g", "81 mg", "as needed"]),
                "started": st.dates(min_value=born, max_value=seen).map(date.isoformat),
            },
        ),
        max_size=6,
    )))
    units = draw(maybe(st.floats(0, 300, allow_nan=False)))
    drinks = draw(maybe(st.floats(0, 300, allow_nan=False)))
    if units is not None and drinks is not None:  # both given: they must agree
        drinks = model.units_to_drinks(units)
    triggers = draw(maybe(st.one_of(
        st.just(["none_identified"]),
        _unique(tuple(t for t in model.TRIGGERS if t != "none_identified")),
    )))
    data: dict[str, Any] = {
        "patient": _drop_none({
            "name": draw(_text),
            "date_of_birth": born.isoformat(),
            "sex": draw(maybe(st.sampled_from(model.SEXES))),
            "mrn": draw(maybe(st.from_regex(r"[A-Z][0-9A-Z-]{0,10}", fullmatch=True))),
        }),
        "visit": _drop_none({"date": seen.isoformat(), "clinician": draw(maybe(_text))}),
        "history": _drop_none({
            "onset": draw(maybe(st.sampled_from(model.ONSETS))),
            "duration_weeks": draw(maybe(st.integers(0, 600))),
            "pattern": draw(maybe(st.sampled_from(model.PATTERNS))),
            "pain_now": draw(maybe(rating)),
            "pain_worst_week": draw(maybe(rating)),
            "peg": _drop_none({k: draw(maybe(rating)) for k in ("pain", "enjoyment", "activity")}),
            "character": draw(maybe(_unique(model.CHARACTERS))),
            "triggers": triggers,
            "recent_unaccustomed_exertion": draw(maybe(st.booleans())),
            "morning_stiffness_minutes": draw(maybe(st.integers(0, 1440))),
            "conditions": draw(maybe(_unique(model.CONDITIONS))),
            "medications": medications,
            "grapefruit": draw(maybe(st.booleans())),
            "notes": draw(maybe(_text)),
        }),
        "affected_areas": draw(maybe(_unique(model.AREAS))),
        "symptom_severity": _drop_none({
            "fatigue": draw(maybe(item3)),
            "waking_unrefreshed": draw(maybe(item3)),
            "cognitive_symptoms": draw(maybe(item3)),
            "headaches": draw(maybe(st.booleans())),
            "lower_abdominal_pain": draw(maybe(st.booleans())),
            "depression": draw(maybe(st.booleans())),
        }),
        "risk_factors": _drop_none({
            "sedentary": draw(maybe(st.booleans())),
            "desk_hours_per_day": draw(maybe(st.floats(0, 24, allow_nan=False))),
            "stress_level": draw(maybe(rating)),
            "phq4": _drop_none({k: draw(maybe(item3))
                                for k in ("anxious", "worry", "little_interest", "down")}),
            "sleep_hours": draw(maybe(st.floats(0, 24, allow_nan=False))),
            "sleep_quality": draw(maybe(st.sampled_from(model.SLEEP_QUALITIES))),
            "water_glasses_per_day": draw(maybe(st.integers(0, 50))),
            "protein_each_meal": draw(maybe(st.booleans())),
            "smoker": draw(maybe(st.booleans())),
            "alcohol_units_per_week": units,
            "alcohol_drinks_per_week": drinks,
            "pregnant": pregnant,
            "pregnancy_weeks": draw(maybe(st.integers(0, 45))) if pregnant else None,
        }),
        "red_flags": _drop_none({name: draw(maybe(st.booleans())) for name in model.RED_FLAGS}),
    }
    for path, value in fixed.items():
        section, _, field = path.partition(".")
        data.setdefault(section, {})[field] = value
    return data

