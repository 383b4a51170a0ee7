"""Drug vocabulary: generic and brand names (US and UK) mapped to drug classes.

Why it exists: the care-plan rules reason over drug *classes* ("statin",
"strong CYP3A4 inhibitor", "oral NSAID"), never over the names people type.
This module turns a free-text medication name (brand or generic, with or
without a strength) into its ingredients and their classes. Matching is by
whole words only, so "nystatin" is never a statin. A name that is not
recognised is returned in ``MedicationReview.unrecognised`` so a clinician
reviews it by hand; nothing is silently ignored.

``review`` also reads a plain misspelling ("Lipiter", "ibuprophen") as the
one known name it is close to, so the interaction rules still run; such a
match says what it was read as (``MedicationMatch.read_as``) and is shown
to the clinician to check, never silently.

Generic names in results are canonical (US spelling where US and UK differ,
e.g. "acetaminophen" for paracetamol, "furosemide" for frusemide). ``GENERICS``
holds exactly the canonical names a result can contain.

The vocabulary is data (the ``*.toml`` files in this folder, loaded and checked by
``vocabulary.py``); the modules here read names against it: ``names`` and
``doses`` read the text typed, ``matching`` and ``spelling`` identify it, ``otc``
tells over-the-counter pain relievers apart.
"""

from __future__ import annotations

from typing import Final

from careplan.clinical.medications.classes import CLASSES, MedClass, Route
from careplan.clinical.medications.matching import (
    MedicationMatch,
    MedicationReview,
    identify,
    normalise_name,
    review,
)
from careplan.clinical.medications.otc import over_the_counter
from careplan.clinical.medications.vocabulary import VOCABULARY

CLASS_LABELS: Final[dict[MedClass, str]] = VOCABULARY.class_labels
GENERICS: Final[frozenset[str]] = frozenset(VOCABULARY.classes_of)

__all__ = [
    "CLASSES",
    "CLASS_LABELS",
    "GENERICS",
    "MedClass",
    "MedicationMatch",
    "MedicationReview",
    "Route",
    "identify",
    "normalise_name",
    "over_the_counter",
    "review",
]
