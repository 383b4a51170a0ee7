"""The names of drug classes and routes, as types.

Why a Literal: mypy checks every class name the code and the rules use. The
classes' labels and implications are data (``classes.toml``); the loader refuses
a file whose class names differ from ``MedClass`` in either direction, so the
two cannot drift.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

MedClass = Literal[
    "ace_inhibitor_or_arb",
    "acetaminophen",
    "amiodarone",
    "anticoagulant",
    "antidepressant",
    "antiepileptic",
    "antihistamine_sedating",
    "antiplatelet",
    "antipsychotic",
    "aromatase_inhibitor",
    "benzodiazepine",
    "bisphosphonate",
    "checkpoint_inhibitor",
    "cns_active",
    "colchicine",
    "cyclosporine",
    "cyp3a4_pgp_inhibitor",
    "danazol",
    "daptomycin",
    "diuretic",
    "fibrate",
    "fluoroquinolone",
    "gabapentinoid",
    "glucocorticoid",
    "hiv_protease_inhibitor",
    "hydroxychloroquine",
    "isotretinoin",
    "laxative",
    "magnesium",
    "maoi",
    "methotrexate",
    "muscle_relaxant",
    "myotoxic_antiviral",
    "niacin",
    "nsaid",
    "oestrogen",
    "opioid",
    "ppi",
    "quinine",
    "red_yeast_rice",
    "retinoid",
    "serotonergic",
    "simvastatin_limit_10",
    "simvastatin_limit_20",
    "ssri_snri",
    "statin",
    "strong_anticholinergic",
    "strong_cyp1a2_inhibitor",
    "strong_cyp3a4_inhibitor",
    "topical_nsaid",
    "tricyclic",
    "triptan",
    "valproate",
    "vitamin_d",
    "warfarin",
    "z_drug",
]

# How a product reaches the body, as far as the rules care (see routes.toml):
# "oral" (the default), "local" (keeps no systemic class), "transdermal" and
# "other" (injection, infusion, suppository, ...; both keep every class).
Route = Literal["oral", "local", "transdermal", "other"]

CLASSES: Final[tuple[MedClass, ...]] = tuple(sorted(get_args(MedClass)))
ROUTES: Final[tuple[Route, ...]] = get_args(Route)
