"""Whether a recognised pain reliever is one a patient buys over the counter.

Why: "do not take ibuprofen unless we say so" is right for pills a patient buys,
wrong for one a doctor prescribed (that is reviewed with the prescriber, never
stopped by the handout). The ingredients and strengths are in ``doses.toml``.
"""

from __future__ import annotations

from careplan.medications.matching import MedicationMatch
from careplan.medications.vocabulary import VOCABULARY


def over_the_counter(match: MedicationMatch) -> bool:
    """A pain reliever as sold over the counter: OTC ingredients at an OTC strength.

    A strength not given counts as over the counter only for the ingredients in
    ``doses.toml``; a prescription-only NSAID (meloxicam, celecoxib) never does.
    """
    max_mg, companions = VOCABULARY.otc_max_mg, VOCABULARY.otc_companions
    pain = [g for g in match.generics if g in max_mg]
    if not pain or any(g not in max_mg and g not in companions for g in match.generics):
        return False
    for generic in pain:
        dose = match.dose_of(generic)
        if dose is None and len(match.generics) == 1:
            dose = match.dose_mg
        if dose is not None and dose > max_mg[generic]:
            return False
    return True
