"""Whether a recognised pain reliever is one a patient buys over the counter.

Why: "do not take ibuprofen unless we say so" is right for pills a patient buys,
wrong for one a doctor prescribed (that is reviewed with the prescriber, never
stopped by the handout). The ingredients and strengths are in ``doses.toml``.
"""

from __future__ import annotations

import re
from typing import Final

from careplan.clinical.medications.matching import MedicationMatch
from careplan.clinical.medications.vocabulary import VOCABULARY

# A bare number in a product name is its strength in mg ("Motrin 800", "Naprosyn 500").
_BARE_NUMBER: Final = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.%])")


def over_the_counter(match: MedicationMatch) -> bool:
    """A pain reliever as sold over the counter: OTC ingredients at an OTC strength.

    A strength not given counts as over the counter only for the ingredients in
    ``doses.toml``; a prescription-only NSAID (meloxicam, celecoxib) never does.
    """
    max_mg, companions = VOCABULARY.otc_max_mg, VOCABULARY.otc_companions
    words = VOCABULARY.normalise(match.entered).split()
    if any(_contains(words, brand) for brand in VOCABULARY.prescription_only):
        return False
    pain = [g for g in match.generics if g in max_mg]
    if not pain or any(g not in max_mg and g not in companions for g in match.generics):
        return False
    for generic in pain:
        dose = match.dose_of(generic)
        if dose is None and len(match.generics) == 1:
            dose = match.dose_mg if match.dose_mg is not None else _bare_strength(match.entered)
        if dose is not None and dose > max_mg[generic]:
            return False
    return True


def _bare_strength(name: str) -> float | None:
    """The largest bare number in a one-ingredient product's name, read as mg: a
    prescription strength written "Motrin 800" must not pass for over the counter."""
    numbers = [float(n) for n in _BARE_NUMBER.findall(name)]
    return max(numbers, default=None)


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(words[i:i + size]) == phrase for i in range(len(words) - size + 1))
