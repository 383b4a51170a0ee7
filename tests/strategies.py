"""Hypothesis strategies that generate any valid intake of the contract, from the form registry."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from careplan.clinical.medications import GENERICS
from careplan.intake import form, model

TODAY = date(2026, 11, 25)

_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Zl", "Zp"),
        exclude_characters="\u200b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
        "\ufff9\ufffa\ufffb\x85\u00ad\u061c\u200e\u200f\u2060\u2061\u2062\u2063\u2064",
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


def answer(entry: form.Entry) -> st.SearchStrategy[Any]:
    """Any valid answer to one question, from the registry's kind, bounds and options."""
    special = _SPECIAL.get(entry.path)
    if special is not None:
        return special
    if entry.kind == "choice":
        return st.sampled_from(entry.options)
    if entry.kind == "multi":
        return _unique(entry.options)
    if entry.kind == "yesno":
        return st.booleans()
    if entry.kind in ("int", "float"):
        assert entry.bounds is not None, entry.path
        low, high = entry.bounds
        if entry.kind == "int":
            return st.integers(int(low), int(high))
        return st.floats(low, high, allow_nan=False)
    if entry.kind == "lines":
        return st.lists(_text, max_size=3)
    if entry.kind in ("text", "textarea"):
        return _text  # at most 40 characters: within every text limit
    raise NotImplementedError(f"no strategy for {entry.kind} ({entry.path})")


_SPECIAL: dict[str, st.SearchStrategy[Any]] = {
    "patient.mrn": st.from_regex(r"[A-Z][0-9A-Z-]{0,10}", fullmatch=True),
    "patient.preferred_language": st.sampled_from(["en", "es"]),
}
# Answered below, where they depend on each other (dates in order, a medicine's dates).
_DRAWN_TOGETHER = {"patient.date_of_birth", "visit.date"}


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, name = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[name] = value


@st.composite
def intakes(draw: st.DrawFn, /, **fixed: Any) -> dict[str, Any]:
    """A valid intake as JSON-like data; ``fixed`` sets sections' fields (e.g. red flags).

    Every question of the form registry may be answered or not asked, within the
    registry's bounds and options; then the rules that tie answers together are kept.
    """
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seen = draw(st.dates(min_value=born, max_value=TODAY))
    data: dict[str, Any] = {"patient": {}, "visit": {}}
    for entry in form.ENTRIES:
        if entry.in_list is not None or entry.path in _DRAWN_TOGETHER:
            continue
        value = draw(answer(entry) if entry.required else maybe(answer(entry)))
        if value is not None:
            _put(data, entry.path, value)
    _put(data, "patient.date_of_birth", born.isoformat())
    _put(data, "visit.date", seen.isoformat())
    history, risks = data.get("history", {}), data.get("risk_factors", {})
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
    if medications is not None:
        _put(data, "history.medications", medications)
    if "none_identified" in history.get("triggers", []):  # never with another trigger
        history["triggers"] = ["none_identified"]
    units, drinks = risks.get("alcohol_units_per_week"), risks.get("alcohol_drinks_per_week")
    if units is not None and drinks is not None:  # both given: they must agree
        risks["alcohol_drinks_per_week"] = model.units_to_drinks(units)
    if risks.get("pregnant") is not True:  # weeks only when pregnant
        risks.pop("pregnancy_weeks", None)
    for path, value in fixed.items():
        section, _, field = path.partition(".")
        data.setdefault(section, {})[field] = value
    return data
