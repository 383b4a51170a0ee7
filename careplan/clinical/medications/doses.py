"""Reading strengths and doses out of free text ("40 mg", "10/40", "1,000 mg").

Why apart from the vocabulary: these are rules of writing, not clinical data;
the same patterns serve the name ("Zocor 40 mg") and the dose field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

NUMBER: Final[str] = r"(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:[.,]\d+)?|[.,]\d+)"
UNIT: Final[str] = (
    r"(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|grams?|gm|g|ml|l|iu|units?|%)"
)
_DOSE_MG_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\d.,])({NUMBER})\s*(mg|milligrams?|grams?|gm|g)(?![^\W\d_])"
)
_THOUSANDS_RE: Final[re.Pattern[str]] = re.compile(r"\d{1,3}(?:,\d{3})+")

# One strength in a slash-separated list: a number and perhaps its own unit.
_PART = rf"(?:{NUMBER})(?:\s*{UNIT}(?![^\W_]))?"
_PART_RE: Final[re.Pattern[str]] = re.compile(rf"\s*({NUMBER})(?:\s*({UNIT}))?\s*")
# "10/40 mg", "10 mg/40 mg", "10mg / 40mg", "250/250/65". "5-325" is not read.
_SLASH_GROUP_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\w.,/]){_PART}(?:\s*/\s*{_PART})+(?!\w)"
)
_MASS_AMOUNT_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\d.,])(?:{NUMBER})\s*(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|grams?|gm|g)"
    r"(?![^\W\d_])"
)
_FRACTION_MAX: Final[float] = 4.0

Strength = tuple[float | None, str | None]


def to_number(text: str) -> float | None:
    """A number as written: "1,000" is a thousand, "0,5" is a half."""
    text = text.replace(",", "" if _THOUSANDS_RE.fullmatch(text) else ".")
    try:
        return float(text)
    except ValueError:  # pragma: no cover - the patterns only admit numbers
        return None


def to_mg(value: float | None, unit: str | None) -> float | None:
    """``value`` in ``unit`` as milligrams; ``None`` for a non-mass unit (IU, ml, %)."""
    if value is None or unit is None:
        return None
    if unit in ("mg", "milligram", "milligrams"):
        return value
    if unit in ("g", "gm", "gram", "grams"):
        return value * 1000.0
    if unit in ("mcg", "µg", "μg", "ug", "microgram", "micrograms"):
        return value / 1000.0
    return None


def parse_dose_mg(text: str) -> float | None:
    """The first mass strength in ``text``, in mg ("1 g" -> 1000.0), or ``None``."""
    match = _DOSE_MG_RE.search(unicodedata.normalize("NFC", text).lower())
    if match is None:
        return None
    number, unit = match.groups()
    return to_mg(to_number(number), "mg" if unit.startswith("m") else "g")


def has_mass_amount(text: str) -> bool:
    """Whether ``text`` gives a strength by mass anywhere ("2 tablets of 5 mg")."""
    return _MASS_AMOUNT_RE.search(unicodedata.normalize("NFC", text).lower()) is not None


def slash_strengths(text: str, *, need_unit: bool) -> list[Strength] | None:
    """The first slash-separated list of strengths in ``text``, as (number, unit).

    A list with no unit at all is skipped when ``need_unit`` (in free dose
    text "3/2020" is more likely a date), and so is a fraction such as
    "1/2" (half a tablet).
    """
    normalised = unicodedata.normalize("NFC", text).lower()
    for group in _SLASH_GROUP_RE.finditer(normalised):
        strengths: list[Strength] = []
        for part in group.group(0).split("/"):
            match = _PART_RE.fullmatch(part)
            if match is None:  # pragma: no cover - the group pattern admits only parts
                break
            strengths.append((to_number(match.group(1)), match.group(2)))
        else:
            units = [unit for _, unit in strengths]
            if need_unit and all(unit is None for unit in units):
                continue
            if _is_fraction(strengths):
                continue
            return strengths
    return None


def _is_fraction(strengths: list[Strength]) -> bool:
    if len(strengths) != 2 or any(unit is not None for _, unit in strengths):
        return False
    (top, _), (bottom, _) = strengths
    if top is None or bottom is None:
        return False
    return top.is_integer() and bottom.is_integer() and 0 < top < bottom <= _FRACTION_MAX
