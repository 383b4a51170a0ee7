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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, get_args

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

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

# How a product reaches the body, as far as the rules care:
#   "oral"        swallowed (the default when nothing says otherwise);
#   "local"       applied where it acts, with minimal systemic exposure (gels,
#                 creams, eye/ear drops, nasal sprays, inhalers, NSAID and
#                 lidocaine patches); such a product keeps no systemic class;
#   "transdermal" a patch or gel made to deliver a systemic dose (fentanyl,
#                 buprenorphine, estradiol); keeps every class;
#   "other"       injection, infusion, suppository, enema, vaginal; keeps every class.
Route = Literal["oral", "local", "transdermal", "other"]

CLASSES: Final[tuple[MedClass, ...]] = tuple(sorted(get_args(MedClass)))

CLASS_LABELS: Final[dict[MedClass, str]] = {
    "ace_inhibitor_or_arb": "ACE inhibitor or ARB",
    "acetaminophen": "acetaminophen (paracetamol)",
    "amiodarone": "amiodarone",
    "anticoagulant": "anticoagulant",
    "antidepressant": "antidepressant",
    "antiepileptic": "antiepileptic",
    "antihistamine_sedating": "sedating (first-generation) antihistamine",
    "antiplatelet": "antiplatelet",
    "antipsychotic": "antipsychotic",
    "aromatase_inhibitor": "aromatase inhibitor",
    "benzodiazepine": "benzodiazepine",
    "bisphosphonate": "bisphosphonate",
    "checkpoint_inhibitor": "immune checkpoint inhibitor",
    "cns_active": "CNS-active drug (Beers 2023 count)",
    "colchicine": "colchicine",
    "cyclosporine": "cyclosporine (ciclosporin)",
    "cyp3a4_pgp_inhibitor": "CYP3A4 or P-gp inhibitor (colchicine label)",
    "danazol": "danazol",
    "daptomycin": "daptomycin",
    "diuretic": "diuretic",
    "fibrate": "fibrate",
    "fluoroquinolone": "fluoroquinolone",
    "gabapentinoid": "gabapentinoid",
    "glucocorticoid": "glucocorticoid",
    "hiv_protease_inhibitor": "HIV protease inhibitor",
    "hydroxychloroquine": "hydroxychloroquine or chloroquine",
    "isotretinoin": "isotretinoin",
    "laxative": "laxative",
    "magnesium": "magnesium",
    "maoi": "monoamine oxidase inhibitor",
    "methotrexate": "methotrexate",
    "muscle_relaxant": "skeletal muscle relaxant",
    "myotoxic_antiviral": "myotoxic antiviral",
    "niacin": "niacin",
    "nsaid": "oral NSAID",
    "oestrogen": "oestrogen",
    "opioid": "opioid",
    "ppi": "proton pump inhibitor",
    "quinine": "quinine",
    "red_yeast_rice": "red yeast rice",
    "retinoid": "oral retinoid",
    "serotonergic": "serotonergic drug",
    "simvastatin_limit_10": "limits simvastatin to 10 mg",
    "simvastatin_limit_20": "limits simvastatin to 20 mg",
    "ssri_snri": "SSRI or SNRI",
    "statin": "statin",
    "strong_anticholinergic": "strongly anticholinergic (Beers 2023)",
    "strong_cyp1a2_inhibitor": "strong CYP1A2 inhibitor",
    "strong_cyp3a4_inhibitor": "strong CYP3A4 inhibitor",
    "topical_nsaid": "topical NSAID",
    "tricyclic": "tricyclic antidepressant",
    "triptan": "triptan",
    "valproate": "valproate",
    "vitamin_d": "vitamin D",
    "warfarin": "warfarin",
    "z_drug": "Z-drug hypnotic",
}

# --------------------------------------------------------------------------
# Generic (ingredient) name -> classes. Canonical names, lower case.
# An empty tuple means "known drug, no class the rules need" (so it is
# recognised, not sent for manual review).
# --------------------------------------------------------------------------

_HIV_PI: Final[tuple[MedClass, ...]] = ("hiv_protease_inhibitor", "strong_cyp3a4_inhibitor")
_SEROTONERGIC_OPIOID: Final[tuple[MedClass, ...]] = ("opioid", "serotonergic")
_TRIPTAN: Final[tuple[MedClass, ...]] = ("triptan",)
_MAOI_ANTIDEPRESSANT: Final[tuple[MedClass, ...]] = ("antidepressant", "maoi")
_SEDATING_ANTIHISTAMINE: Final[tuple[MedClass, ...]] = ("antihistamine_sedating",)
_ANTIEPILEPTIC: Final[tuple[MedClass, ...]] = ("antiepileptic",)

# A class that always brings others with it, so each drug's entry below
# names only its own classes. Applied once, at import (see _CLASSES_OF).
#   SSRIs, SNRIs, tricyclics and MAOIs are antidepressants; SSRIs, SNRIs,
#     MAOIs and triptans are serotonergic (FDA 2016; Hunter criteria);
#   tricyclics are strongly anticholinergic, as are first-generation
#     antihistamines (Beers 2023 table of strong anticholinergics);
#   the Beers 2023 CNS-active list (avoid 3 or more): antiepileptics
#     (gabapentinoids included), antidepressants, antipsychotics,
#     benzodiazepines, Z-drugs, opioids, skeletal muscle relaxants;
#   every strong CYP3A4 inhibitor is a colchicine-label inhibitor (Colcrys
#     label lists all of them, HIV protease inhibitors and cobicistat included);
#   isotretinoin is a retinoid; valproate is an antiepileptic.
_IMPLIED_CLASSES: Final[dict[MedClass, tuple[MedClass, ...]]] = {
    "ssri_snri": ("antidepressant", "serotonergic"),
    "tricyclic": ("antidepressant", "strong_anticholinergic"),
    "maoi": ("serotonergic",),
    "triptan": ("serotonergic",),
    "antihistamine_sedating": ("strong_anticholinergic",),
    "valproate": ("antiepileptic",),
    "isotretinoin": ("retinoid",),
    "strong_cyp3a4_inhibitor": ("cyp3a4_pgp_inhibitor",),
    "antidepressant": ("cns_active",),
    "antiepileptic": ("cns_active",),
    "antipsychotic": ("cns_active",),
    "benzodiazepine": ("cns_active",),
    "gabapentinoid": ("cns_active",),
    "muscle_relaxant": ("cns_active",),
    "opioid": ("cns_active",),
    "z_drug": ("cns_active",),
}

_GENERIC_CLASSES: Final[dict[str, tuple[MedClass, ...]]] = {
    # Statins
    "atorvastatin": ("statin",),
    "fluvastatin": ("statin",),
    "lovastatin": ("statin",),
    "pitavastatin": ("statin",),
    "pravastatin": ("statin",),
    "rosuvastatin": ("statin",),
    "simvastatin": ("statin",),
    # Fibrates, niacin, red yeast rice
    "bezafibrate": ("fibrate",),
    "ciprofibrate": ("fibrate",),
    "fenofibrate": ("fibrate",),
    "fenofibric acid": ("fibrate",),
    "gemfibrozil": ("fibrate",),
    "niacin": ("niacin",),
    "red yeast rice": ("red_yeast_rice",),
    # Colchicine
    "colchicine": ("colchicine",),
    # Glucocorticoids (systemic)
    "betamethasone": ("glucocorticoid",),
    "budesonide": ("glucocorticoid",),
    "cortisone": ("glucocorticoid",),
    "deflazacort": ("glucocorticoid",),
    "dexamethasone": ("glucocorticoid",),
    "hydrocortisone": ("glucocorticoid",),
    "methylprednisolone": ("glucocorticoid",),
    "prednisolone": ("glucocorticoid",),
    "prednisone": ("glucocorticoid",),
    "triamcinolone": ("glucocorticoid",),
    # Glucocorticoids made only for local use (inhaled, nasal, skin); the
    # route is "local" unless the entry says otherwise (see _LOCAL_ROUTE_GENERICS).
    "beclomethasone": ("glucocorticoid",),
    "fluticasone": ("glucocorticoid",),
    "mometasone": ("glucocorticoid",),
    # Fluoroquinolones
    "ciprofloxacin": ("fluoroquinolone", "strong_cyp1a2_inhibitor"),
    "delafloxacin": ("fluoroquinolone",),
    "gemifloxacin": ("fluoroquinolone",),
    "levofloxacin": ("fluoroquinolone",),
    "moxifloxacin": ("fluoroquinolone",),
    "norfloxacin": ("fluoroquinolone",),
    "ofloxacin": ("fluoroquinolone",),
    # Anticoagulants
    "apixaban": ("anticoagulant",),
    "dabigatran": ("anticoagulant",),
    "dalteparin": ("anticoagulant",),
    "edoxaban": ("anticoagulant",),
    "enoxaparin": ("anticoagulant",),
    "fondaparinux": ("anticoagulant",),
    "heparin": ("anticoagulant",),
    "rivaroxaban": ("anticoagulant",),
    "tinzaparin": ("anticoagulant",),
    "warfarin": ("anticoagulant", "warfarin"),
    # Antiplatelets (aspirin is also an NSAID unless low dose; see identify)
    "aspirin": ("antiplatelet", "nsaid"),
    "cilostazol": ("antiplatelet",),
    "clopidogrel": ("antiplatelet",),
    "dipyridamole": ("antiplatelet",),
    "prasugrel": ("antiplatelet",),
    "ticagrelor": ("antiplatelet",),
    "ticlopidine": ("antiplatelet",),
    # SSRIs and SNRIs
    "citalopram": ("ssri_snri",),
    "desvenlafaxine": ("ssri_snri",),
    "duloxetine": ("ssri_snri",),
    "escitalopram": ("ssri_snri",),
    "fluoxetine": ("ssri_snri",),
    "fluvoxamine": ("ssri_snri", "strong_cyp1a2_inhibitor"),
    "levomilnacipran": ("ssri_snri",),
    "milnacipran": ("ssri_snri",),
    "paroxetine": ("ssri_snri", "strong_anticholinergic"),
    "sertraline": ("ssri_snri",),
    "venlafaxine": ("ssri_snri",),
    # Other antidepressants (serotonergic ones marked so)
    "bupropion": ("antidepressant",),
    "mirtazapine": ("antidepressant", "serotonergic"),
    "trazodone": ("antidepressant", "serotonergic"),
    "vilazodone": ("antidepressant", "serotonergic"),
    "vortioxetine": ("antidepressant", "serotonergic"),
    # MAOIs: antidepressant ones, and MAO-B inhibitors for Parkinson's disease
    "isocarboxazid": _MAOI_ANTIDEPRESSANT,
    "phenelzine": _MAOI_ANTIDEPRESSANT,
    "tranylcypromine": _MAOI_ANTIDEPRESSANT,
    "rasagiline": ("maoi",),
    "selegiline": ("maoi",),
    # Other serotonergic drugs (serotonin syndrome: FDA 2011 and 2016)
    "buspirone": ("serotonergic",),
    "dextromethorphan": ("serotonergic",),
    "linezolid": ("serotonergic",),
    "lithium": ("serotonergic",),
    "methylene blue": ("serotonergic",),
    "st john's wort": ("serotonergic",),
    # Triptans
    "almotriptan": _TRIPTAN,
    "eletriptan": _TRIPTAN,
    "frovatriptan": _TRIPTAN,
    "naratriptan": _TRIPTAN,
    "rizatriptan": _TRIPTAN,
    "sumatriptan": _TRIPTAN,
    "zolmitriptan": _TRIPTAN,
    # Tricyclics
    "amitriptyline": ("serotonergic", "tricyclic"),
    "clomipramine": ("serotonergic", "tricyclic"),
    "desipramine": ("tricyclic",),
    "dosulepin": ("tricyclic",),
    "doxepin": ("tricyclic",),
    "imipramine": ("serotonergic", "tricyclic"),
    "lofepramine": ("tricyclic",),
    "nortriptyline": ("tricyclic",),
    "protriptyline": ("tricyclic",),
    "trimipramine": ("tricyclic",),
    # NSAIDs (oral unless the product is local; see identify)
    "aceclofenac": ("nsaid",),
    "celecoxib": ("nsaid",),
    "dexketoprofen": ("nsaid",),
    "diclofenac": ("nsaid",),
    "diflunisal": ("nsaid",),
    "etodolac": ("nsaid",),
    "etoricoxib": ("nsaid",),
    "fenoprofen": ("nsaid",),
    "flurbiprofen": ("nsaid",),
    "ibuprofen": ("nsaid",),
    "indomethacin": ("nsaid",),
    "ketoprofen": ("nsaid",),
    "ketorolac": ("nsaid",),
    "mefenamic acid": ("nsaid",),
    "meloxicam": ("nsaid",),
    "nabumetone": ("nsaid",),
    "naproxen": ("nsaid",),
    "oxaprozin": ("nsaid",),
    "piroxicam": ("nsaid",),
    "salsalate": ("nsaid",),
    "sulindac": ("nsaid",),
    "tolmetin": ("nsaid",),
    # Skeletal muscle relaxants
    "baclofen": ("muscle_relaxant",),
    "carisoprodol": ("muscle_relaxant",),
    "chlorzoxazone": ("muscle_relaxant",),
    "cyclobenzaprine": ("muscle_relaxant", "strong_anticholinergic"),
    "metaxalone": ("muscle_relaxant",),
    "methocarbamol": ("muscle_relaxant",),
    "orphenadrine": ("muscle_relaxant", "strong_anticholinergic"),
    "tizanidine": ("muscle_relaxant",),
    # Opioids
    "buprenorphine": ("opioid",),
    "codeine": ("opioid",),
    "diamorphine": ("opioid",),
    "dihydrocodeine": ("opioid",),
    "fentanyl": _SEROTONERGIC_OPIOID,
    "hydrocodone": ("opioid",),
    "hydromorphone": ("opioid",),
    "meperidine": _SEROTONERGIC_OPIOID,
    "methadone": _SEROTONERGIC_OPIOID,
    "morphine": ("opioid",),
    "oxycodone": ("opioid",),
    "oxymorphone": ("opioid",),
    "tapentadol": _SEROTONERGIC_OPIOID,
    "tramadol": _SEROTONERGIC_OPIOID,
    # Benzodiazepines and Z-drugs
    "alprazolam": ("benzodiazepine",),
    "chlordiazepoxide": ("benzodiazepine",),
    "clobazam": ("benzodiazepine",),
    "clonazepam": ("benzodiazepine",),
    "clorazepate": ("benzodiazepine",),
    "diazepam": ("benzodiazepine",),
    "estazolam": ("benzodiazepine",),
    "flurazepam": ("benzodiazepine",),
    "lorazepam": ("benzodiazepine",),
    "midazolam": ("benzodiazepine",),
    "nitrazepam": ("benzodiazepine",),
    "oxazepam": ("benzodiazepine",),
    "temazepam": ("benzodiazepine",),
    "triazolam": ("benzodiazepine",),
    "eszopiclone": ("z_drug",),
    "zaleplon": ("z_drug",),
    "zolpidem": ("z_drug",),
    "zopiclone": ("z_drug",),
    # Gabapentinoids
    "gabapentin": ("gabapentinoid",),
    "gabapentin enacarbil": ("gabapentinoid",),
    "pregabalin": ("gabapentinoid",),
    # Antiepileptics (and mood stabilisers)
    "carbamazepine": _ANTIEPILEPTIC,
    "divalproex": ("valproate",),
    "lacosamide": _ANTIEPILEPTIC,
    "lamotrigine": _ANTIEPILEPTIC,
    "levetiracetam": _ANTIEPILEPTIC,
    "oxcarbazepine": _ANTIEPILEPTIC,
    "phenobarbital": _ANTIEPILEPTIC,
    "phenytoin": _ANTIEPILEPTIC,
    "primidone": _ANTIEPILEPTIC,
    "topiramate": _ANTIEPILEPTIC,
    "valproic acid": ("valproate",),
    "zonisamide": _ANTIEPILEPTIC,
    # First-generation (sedating) antihistamines
    "brompheniramine": _SEDATING_ANTIHISTAMINE,
    "chlorpheniramine": _SEDATING_ANTIHISTAMINE,
    "dimenhydrinate": _SEDATING_ANTIHISTAMINE,
    "diphenhydramine": _SEDATING_ANTIHISTAMINE,
    "doxylamine": _SEDATING_ANTIHISTAMINE,
    "hydroxyzine": _SEDATING_ANTIHISTAMINE,
    "meclizine": _SEDATING_ANTIHISTAMINE,
    "promethazine": _SEDATING_ANTIHISTAMINE,
    # Other strong anticholinergics (Beers 2023)
    "oxybutynin": ("strong_anticholinergic",),
    # Strong CYP3A4 inhibitors (FDA simvastatin label, 2011)
    "clarithromycin": ("strong_cyp3a4_inhibitor",),
    "cobicistat": ("strong_cyp3a4_inhibitor",),
    "erythromycin": ("strong_cyp3a4_inhibitor",),
    "itraconazole": ("strong_cyp3a4_inhibitor",),
    "ketoconazole": ("strong_cyp3a4_inhibitor",),
    "nefazodone": ("strong_cyp3a4_inhibitor",),
    "posaconazole": ("strong_cyp3a4_inhibitor",),
    "telithromycin": ("strong_cyp3a4_inhibitor",),
    "voriconazole": ("strong_cyp3a4_inhibitor",),
    # HIV protease inhibitors (all contraindicated with simvastatin)
    "atazanavir": _HIV_PI,
    "darunavir": _HIV_PI,
    "fosamprenavir": _HIV_PI,
    "indinavir": _HIV_PI,
    "lopinavir": _HIV_PI,
    "nelfinavir": _HIV_PI,
    "ritonavir": _HIV_PI,
    "saquinavir": _HIV_PI,
    "tipranavir": _HIV_PI,
    # Other simvastatin interactions; those that also raise colchicine levels
    # (moderate CYP3A4 or P-gp inhibitors, Colcrys label) say so
    "cyclosporine": ("cyclosporine", "cyp3a4_pgp_inhibitor"),
    "danazol": ("danazol",),
    "diltiazem": ("cyp3a4_pgp_inhibitor", "simvastatin_limit_10"),
    "dronedarone": ("cyp3a4_pgp_inhibitor", "simvastatin_limit_10"),
    "verapamil": ("cyp3a4_pgp_inhibitor", "simvastatin_limit_10"),
    "amiodarone": ("amiodarone", "simvastatin_limit_20"),
    "amlodipine": ("simvastatin_limit_20",),
    "ranolazine": ("cyp3a4_pgp_inhibitor", "simvastatin_limit_20"),
    # A moderate CYP3A4 inhibitor named by the colchicine label
    "fluconazole": ("cyp3a4_pgp_inhibitor",),
    # Toxic myopathies and other muscle or tendon effects
    "chloroquine": ("hydroxychloroquine",),
    "hydroxychloroquine": ("hydroxychloroquine",),
    "raltegravir": ("myotoxic_antiviral",),
    "telbivudine": ("myotoxic_antiviral",),
    "zidovudine": ("myotoxic_antiviral",),
    "daptomycin": ("daptomycin",),
    "isotretinoin": ("isotretinoin",),
    # Other retinoids taken by mouth (teratogenic); tretinoin creams are local
    "acitretin": ("retinoid",),
    "alitretinoin": ("retinoid",),
    "tretinoin": ("retinoid",),
    # Methotrexate (teratogenic; see clinical reference section 8)
    "methotrexate": ("methotrexate",),
    "anastrozole": ("aromatase_inhibitor",),
    "exemestane": ("aromatase_inhibitor",),
    "letrozole": ("aromatase_inhibitor",),
    "alendronate": ("bisphosphonate",),
    "etidronate": ("bisphosphonate",),
    "ibandronate": ("bisphosphonate",),
    "pamidronate": ("bisphosphonate",),
    "risedronate": ("bisphosphonate",),
    "zoledronic acid": ("bisphosphonate",),
    # Immune checkpoint inhibitors
    "atezolizumab": ("checkpoint_inhibitor",),
    "avelumab": ("checkpoint_inhibitor",),
    "cemiplimab": ("checkpoint_inhibitor",),
    "dostarlimab": ("checkpoint_inhibitor",),
    "durvalumab": ("checkpoint_inhibitor",),
    "ipilimumab": ("checkpoint_inhibitor",),
    "nivolumab": ("checkpoint_inhibitor",),
    "pembrolizumab": ("checkpoint_inhibitor",),
    "tremelimumab": ("checkpoint_inhibitor",),
    # Diuretics (loop, thiazide and thiazide-like, potassium-sparing, other)
    "acetazolamide": ("diuretic",),
    "amiloride": ("diuretic",),
    "bendroflumethiazide": ("diuretic",),
    "bumetanide": ("diuretic",),
    "chlorothiazide": ("diuretic",),
    "chlorthalidone": ("diuretic",),
    "eplerenone": ("diuretic",),
    "ethacrynic acid": ("diuretic",),
    "furosemide": ("diuretic",),
    "hydrochlorothiazide": ("diuretic",),
    "indapamide": ("diuretic",),
    "metolazone": ("diuretic",),
    "spironolactone": ("diuretic",),
    "torsemide": ("diuretic",),
    "triamterene": ("diuretic",),
    # Laxatives
    "bisacodyl": ("laxative",),
    "docusate": ("laxative",),
    "lactulose": ("laxative",),
    "magnesium hydroxide": ("laxative", "magnesium"),
    "polyethylene glycol": ("laxative",),
    "senna": ("laxative",),
    "sodium picosulfate": ("laxative",),
    # Proton pump inhibitors
    "dexlansoprazole": ("ppi",),
    "esomeprazole": ("ppi",),
    "lansoprazole": ("ppi",),
    "omeprazole": ("ppi",),
    "pantoprazole": ("ppi",),
    "rabeprazole": ("ppi",),
    # Quinine, acetaminophen
    "quinine": ("quinine",),
    "acetaminophen": ("acetaminophen",),
    # ACE inhibitors and ARBs
    "azilsartan": ("ace_inhibitor_or_arb",),
    "benazepril": ("ace_inhibitor_or_arb",),
    "candesartan": ("ace_inhibitor_or_arb",),
    "captopril": ("ace_inhibitor_or_arb",),
    "enalapril": ("ace_inhibitor_or_arb",),
    "eprosartan": ("ace_inhibitor_or_arb",),
    "fosinopril": ("ace_inhibitor_or_arb",),
    "irbesartan": ("ace_inhibitor_or_arb",),
    "lisinopril": ("ace_inhibitor_or_arb",),
    "losartan": ("ace_inhibitor_or_arb",),
    "moexipril": ("ace_inhibitor_or_arb",),
    "olmesartan": ("ace_inhibitor_or_arb",),
    "perindopril": ("ace_inhibitor_or_arb",),
    "quinapril": ("ace_inhibitor_or_arb",),
    "ramipril": ("ace_inhibitor_or_arb",),
    "telmisartan": ("ace_inhibitor_or_arb",),
    "trandolapril": ("ace_inhibitor_or_arb",),
    "valsartan": ("ace_inhibitor_or_arb",),
    # Antipsychotics
    "amisulpride": ("antipsychotic",),
    "aripiprazole": ("antipsychotic",),
    "asenapine": ("antipsychotic",),
    "brexpiprazole": ("antipsychotic",),
    "cariprazine": ("antipsychotic",),
    "chlorpromazine": ("antipsychotic",),
    "clozapine": ("antipsychotic",),
    "fluphenazine": ("antipsychotic",),
    "haloperidol": ("antipsychotic",),
    "lurasidone": ("antipsychotic",),
    "olanzapine": ("antipsychotic",),
    "paliperidone": ("antipsychotic",),
    "perphenazine": ("antipsychotic",),
    "quetiapine": ("antipsychotic",),
    "risperidone": ("antipsychotic",),
    "ziprasidone": ("antipsychotic",),
    # Oestrogens (tamoxifen and raloxifene are not; they are listed below)
    "conjugated estrogens": ("oestrogen",),
    "estradiol": ("oestrogen",),
    "ethinylestradiol": ("oestrogen",),
    # Supplements
    "magnesium": ("magnesium",),
    "cholecalciferol": ("vitamin_d",),
    "ergocalciferol": ("vitamin_d",),
    "vitamin d": ("vitamin_d",),
    # Known drugs with no class the rules need (mostly partners in
    # combination products). Recognised, so not sent for manual review.
    "abacavir": (),
    "butalbital": (),
    "caffeine": (),
    "desogestrel": (),
    "drospirenone": (),
    "elvitegravir": (),
    "emtricitabine": (),
    "ezetimibe": (),
    "famotidine": (),
    "hydralazine": (),
    "levothyroxine": (),
    "melatonin": (),
    "metformin": (),
    "gestodene": (),
    "lamivudine": (),
    "levonorgestrel": (),
    "lidocaine": (),
    "medroxyprogesterone": (),
    "misoprostol": (),
    "naloxone": (),
    "nirmatrelvir": (),
    "norelgestromin": (),
    "norethindrone": (),
    "norgestimate": (),
    "nystatin": (),
    "phenylephrine": (),
    "raloxifene": (),
    "relatlimab": (),
    "sacubitril": (),
    "sitagliptin": (),
    "tamoxifen": (),
    "tenofovir": (),
}



def _with_implied(classes: Iterable[MedClass]) -> frozenset[MedClass]:
    """``classes`` with every class they imply, followed to the end."""
    result: set[MedClass] = set()
    todo = list(classes)
    while todo:
        med_class = todo.pop()
        if med_class not in result:
            result.add(med_class)
            todo.extend(_IMPLIED_CLASSES.get(med_class, ()))
    return frozenset(result)


# Every class of each generic, implied ones included: what results carry.
_CLASSES_OF: Final[dict[str, frozenset[MedClass]]] = {
    generic: _with_implied(classes) for generic, classes in _GENERIC_CLASSES.items()
}

# Other names for a canonical generic: UK/INN spellings, abbreviations,
# salt forms written as one word, and common synonyms.
_ALIASES: Final[dict[str, str]] = {
    "alendronic acid": "alendronate",
    "apap": "acetaminophen",
    "beclometasone": "beclomethasone",
    "bendrofluazide": "bendroflumethiazide",
    "chlorphenamine": "chlorpheniramine",
    "chlortalidone": "chlorthalidone",
    "ciclosporin": "cyclosporine",
    "colecalciferol": "cholecalciferol",
    "conjugated oestrogens": "conjugated estrogens",
    "dothiepin": "dosulepin",
    "ethinyl estradiol": "ethinylestradiol",
    "ethinyl oestradiol": "ethinylestradiol",
    "ethinyloestradiol": "ethinylestradiol",
    "frusemide": "furosemide",
    "hctz": "hydrochlorothiazide",
    "hypericum": "st john's wort",
    "ibandronic acid": "ibandronate",
    "indometacin": "indomethacin",
    "lignocaine": "lidocaine",
    "macrogol": "polyethylene glycol",
    "meclozine": "meclizine",
    "methylthioninium": "methylene blue",
    "milk of magnesia": "magnesium hydroxide",
    "nicotinic acid": "niacin",
    "norethisterone": "norethindrone",
    "oestradiol": "estradiol",
    "paracetamol": "acetaminophen",
    "peg 3350": "polyethylene glycol",
    "pethidine": "meperidine",
    "red yeast rice extract": "red yeast rice",
    "risedronic acid": "risedronate",
    "saint john's wort": "st john's wort",
    "saint johns wort": "st john's wort",
    "semisodium valproate": "divalproex",
    "sennosides": "senna",
    "st johns wort": "st john's wort",
    "thyroxine": "levothyroxine",
    "torasemide": "torsemide",
    "valproate": "valproic acid",
    "valproate semisodium": "divalproex",
    "vit d": "vitamin d",
    "vit d3": "cholecalciferol",
    "vitamin d2": "ergocalciferol",
    "vitamin d3": "cholecalciferol",
    "zoledronate": "zoledronic acid",
}

# --------------------------------------------------------------------------
# Brand (and multi-word product) names -> canonical ingredients.
# Only names whose ingredients are certain. US and UK brands.
# --------------------------------------------------------------------------

_BRANDS: Final[dict[str, tuple[str, ...]]] = {
    # Statins and statin combinations
    "Altoprev": ("lovastatin",),
    "Caduet": ("amlodipine", "atorvastatin"),
    "Crestor": ("rosuvastatin",),
    "Ezallor": ("rosuvastatin",),
    "FloLipid": ("simvastatin",),
    "Inegy": ("ezetimibe", "simvastatin"),
    "Lescol": ("fluvastatin",),
    "Lipitor": ("atorvastatin",),
    "Lipostat": ("pravastatin",),
    "Livalo": ("pitavastatin",),
    "Mevacor": ("lovastatin",),
    "Pravachol": ("pravastatin",),
    "Vytorin": ("ezetimibe", "simvastatin"),
    "Zocor": ("simvastatin",),
    "Zypitamag": ("pitavastatin",),
    "Zetia": ("ezetimibe",),
    "Ezetrol": ("ezetimibe",),
    # Fibrates and niacin
    "Antara": ("fenofibrate",),
    "Bezalip": ("bezafibrate",),
    "Fenoglide": ("fenofibrate",),
    "Fibricor": ("fenofibric acid",),
    "Lipantil": ("fenofibrate",),
    "Lipofen": ("fenofibrate",),
    "Lopid": ("gemfibrozil",),
    "Modalim": ("ciprofibrate",),
    "Tricor": ("fenofibrate",),
    "Triglide": ("fenofibrate",),
    "Trilipix": ("fenofibric acid",),
    "Niacor": ("niacin",),
    "Niaspan": ("niacin",),
    "Advicor": ("lovastatin", "niacin"),
    "Simcor": ("niacin", "simvastatin"),
    # Colchicine
    "Colcrys": ("colchicine",),
    "Gloperba": ("colchicine",),
    "Mitigare": ("colchicine",),
    # Glucocorticoids
    "Cortef": ("hydrocortisone",),
    "Decadron": ("dexamethasone",),
    "Deltasone": ("prednisone",),
    "Depo-Medrol": ("methylprednisolone",),
    "Emflaza": ("deflazacort",),
    "Entocort": ("budesonide",),
    "Medrol": ("methylprednisolone",),
    "Orapred": ("prednisolone",),
    "Rayos": ("prednisone",),
    "Solu-Medrol": ("methylprednisolone",),
    # Glucocorticoids for local use (route set in _LOCAL_BRANDS)
    "Flixonase": ("fluticasone",),
    "Flixotide": ("fluticasone",),
    "Flonase": ("fluticasone",),
    "Flovent": ("fluticasone",),
    "Maxidex": ("dexamethasone",),
    "Nasonex": ("mometasone",),
    "Pulmicort": ("budesonide",),
    "Qvar": ("beclomethasone",),
    "Rhinocort": ("budesonide",),
    # Fluoroquinolones
    "Avelox": ("moxifloxacin",),
    "Baxdela": ("delafloxacin",),
    "Cipro": ("ciprofloxacin",),
    "Ciproxin": ("ciprofloxacin",),
    "Factive": ("gemifloxacin",),
    "Levaquin": ("levofloxacin",),
    "Tavanic": ("levofloxacin",),
    # Fluoroquinolone eye and ear drops (route set in _LOCAL_BRANDS)
    "Ciloxan": ("ciprofloxacin",),
    "Ciprodex": ("ciprofloxacin", "dexamethasone"),
    # Anticoagulants
    "Arixtra": ("fondaparinux",),
    "Clexane": ("enoxaparin",),
    "Coumadin": ("warfarin",),
    "Eliquis": ("apixaban",),
    "Fragmin": ("dalteparin",),
    "Innohep": ("tinzaparin",),
    "Jantoven": ("warfarin",),
    "Lixiana": ("edoxaban",),
    "Lovenox": ("enoxaparin",),
    "Marevan": ("warfarin",),
    "Pradaxa": ("dabigatran",),
    "Savaysa": ("edoxaban",),
    "Xarelto": ("rivaroxaban",),
    # Antiplatelets and aspirin
    "Aggrenox": ("aspirin", "dipyridamole"),
    "Baby aspirin": ("aspirin",),
    "Brilinta": ("ticagrelor",),
    "Brilique": ("ticagrelor",),
    "Disprin": ("aspirin",),
    "Ecotrin": ("aspirin",),
    "Effient": ("prasugrel",),
    "Efient": ("prasugrel",),
    "Persantin": ("dipyridamole",),
    "Plavix": ("clopidogrel",),
    "Pletal": ("cilostazol",),
    # SSRIs and SNRIs
    "Celexa": ("citalopram",),
    "Cipralex": ("escitalopram",),
    "Cipramil": ("citalopram",),
    "Cymbalta": ("duloxetine",),
    "Effexor": ("venlafaxine",),
    "Faverin": ("fluvoxamine",),
    "Fetzima": ("levomilnacipran",),
    "Lexapro": ("escitalopram",),
    "Lustral": ("sertraline",),
    "Luvox": ("fluvoxamine",),
    "Paxil": ("paroxetine",),
    "Pexeva": ("paroxetine",),
    "Pristiq": ("desvenlafaxine",),
    "Prozac": ("fluoxetine",),
    "Sarafem": ("fluoxetine",),
    "Savella": ("milnacipran",),
    "Seroxat": ("paroxetine",),
    "Symbyax": ("fluoxetine", "olanzapine"),
    "Zoloft": ("sertraline",),
    # Other antidepressants, MAOIs and other serotonergic drugs
    "Aplenzin": ("bupropion",),
    "Azilect": ("rasagiline",),
    "Brintellix": ("vortioxetine",),
    "BuSpar": ("buspirone",),
    "Camcolit": ("lithium",),
    "Delsym": ("dextromethorphan",),
    "Desyrel": ("trazodone",),
    "Eldepryl": ("selegiline",),
    "Emsam": ("selegiline",),
    "Lithobid": ("lithium",),
    "Marplan": ("isocarboxazid",),
    "Molipaxin": ("trazodone",),
    "Nardil": ("phenelzine",),
    "Oleptro": ("trazodone",),
    "Parnate": ("tranylcypromine",),
    "Priadel": ("lithium",),
    "ProvayBlue": ("methylene blue",),
    "Remeron": ("mirtazapine",),
    "Trintellix": ("vortioxetine",),
    "Viibryd": ("vilazodone",),
    "Wellbutrin": ("bupropion",),
    "Zelapar": ("selegiline",),
    "Zispin": ("mirtazapine",),
    "Zyban": ("bupropion",),
    "Zyvox": ("linezolid",),
    # Triptans
    "Almogran": ("almotriptan",),
    "Amerge": ("naratriptan",),
    "Axert": ("almotriptan",),
    "Frova": ("frovatriptan",),
    "Imigran": ("sumatriptan",),
    "Imitrex": ("sumatriptan",),
    "Maxalt": ("rizatriptan",),
    "Migard": ("frovatriptan",),
    "Naramig": ("naratriptan",),
    "Relpax": ("eletriptan",),
    "Zembrace": ("sumatriptan",),
    "Zomig": ("zolmitriptan",),
    # Tricyclics
    "Allegron": ("nortriptyline",),
    "Anafranil": ("clomipramine",),
    "Elavil": ("amitriptyline",),
    "Norpramin": ("desipramine",),
    "Pamelor": ("nortriptyline",),
    "Prothiaden": ("dosulepin",),
    "Silenor": ("doxepin",),
    "Sinequan": ("doxepin",),
    "Tofranil": ("imipramine",),
    # NSAIDs (oral)
    "Advil": ("ibuprofen",),
    "Aleve": ("naproxen",),
    "Anaprox": ("naproxen",),
    "Ansaid": ("flurbiprofen",),
    "Arcoxia": ("etoricoxib",),
    "Arthrotec": ("diclofenac", "misoprostol"),
    "Brufen": ("ibuprofen",),
    "Cambia": ("diclofenac",),
    "Cataflam": ("diclofenac",),
    "Celebrex": ("celecoxib",),
    "Clinoril": ("sulindac",),
    "Daypro": ("oxaprozin",),
    "Dolobid": ("diflunisal",),
    "Duexis": ("famotidine", "ibuprofen"),
    "Feldene": ("piroxicam",),
    "Indocin": ("indomethacin",),
    "Lodine": ("etodolac",),
    "Mobic": ("meloxicam",),
    "Motrin": ("ibuprofen",),
    "Naprelan": ("naproxen",),
    "Naprosyn": ("naproxen",),
    "Nurofen": ("ibuprofen",),
    "Nurofen Plus": ("codeine", "ibuprofen"),
    "Ponstan": ("mefenamic acid",),
    "Ponstel": ("mefenamic acid",),
    "Relafen": ("nabumetone",),
    "Toradol": ("ketorolac",),
    "Treximet": ("naproxen", "sumatriptan"),
    "Vimovo": ("esomeprazole", "naproxen"),
    "Voltaren": ("diclofenac",),
    "Voltarol": ("diclofenac",),
    "Zipsor": ("diclofenac",),
    "Zorvolex": ("diclofenac",),
    # NSAIDs (local products; route set in _LOCAL_BRANDS)
    "Flector": ("diclofenac",),
    "Ibuleve": ("ibuprofen",),
    "Pennsaid": ("diclofenac",),
    "Voltaren Emulgel": ("diclofenac",),
    "Voltaren gel": ("diclofenac",),
    "Voltarol Emulgel": ("diclofenac",),
    # Lidocaine plasters (local)
    "Lidoderm": ("lidocaine",),
    "Versatis": ("lidocaine",),
    # Skeletal muscle relaxants
    "Amrix": ("cyclobenzaprine",),
    "Fexmid": ("cyclobenzaprine",),
    "Flexeril": ("cyclobenzaprine",),
    "Gablofen": ("baclofen",),
    "Lioresal": ("baclofen",),
    "Lorzone": ("chlorzoxazone",),
    "Norflex": ("orphenadrine",),
    "Norgesic": ("aspirin", "caffeine", "orphenadrine"),
    "Ozobax": ("baclofen",),
    "Parafon Forte": ("chlorzoxazone",),
    "Robaxin": ("methocarbamol",),
    "Skelaxin": ("metaxalone",),
    "Soma": ("carisoprodol",),
    "Zanaflex": ("tizanidine",),
    # Opioids and opioid combinations
    "Abstral": ("fentanyl",),
    "Actiq": ("fentanyl",),
    "Belbuca": ("buprenorphine",),
    "Butrans": ("buprenorphine",),
    "Co-codamol": ("acetaminophen", "codeine"),
    "Cocodamol": ("acetaminophen", "codeine"),
    "Co-dydramol": ("acetaminophen", "dihydrocodeine"),
    "ConZip": ("tramadol",),
    "Demerol": ("meperidine",),
    "DF118": ("dihydrocodeine",),
    "Dilaudid": ("hydromorphone",),
    "Dolophine": ("methadone",),
    "Duragesic": ("fentanyl",),
    "Endocet": ("acetaminophen", "oxycodone"),
    "Exalgo": ("hydromorphone",),
    "Fentora": ("fentanyl",),
    "Hysingla": ("hydrocodone",),
    "Kadian": ("morphine",),
    "Lorcet": ("acetaminophen", "hydrocodone"),
    "Lortab": ("acetaminophen", "hydrocodone"),
    "Methadose": ("methadone",),
    "MS Contin": ("morphine",),
    "MST Continus": ("morphine",),
    "Norco": ("acetaminophen", "hydrocodone"),
    "Nucynta": ("tapentadol",),
    "Opana": ("oxymorphone",),
    "Oramorph": ("morphine",),
    "OxyContin": ("oxycodone",),
    "OxyNorm": ("oxycodone",),
    "Palexia": ("tapentadol",),
    "Palladone": ("hydromorphone",),
    "Percocet": ("acetaminophen", "oxycodone"),
    "Percodan": ("aspirin", "oxycodone"),
    "Physeptone": ("methadone",),
    "Roxicet": ("acetaminophen", "oxycodone"),
    "Roxicodone": ("oxycodone",),
    "Solpadeine": ("acetaminophen", "codeine"),
    "Suboxone": ("buprenorphine", "naloxone"),
    "Sublocade": ("buprenorphine",),
    "Subutex": ("buprenorphine",),
    "Targinact": ("naloxone", "oxycodone"),
    "Tylenol with Codeine": ("acetaminophen", "codeine"),
    "Tylenol No 3": ("acetaminophen", "codeine"),
    "Tylenol No 4": ("acetaminophen", "codeine"),
    "Ultracet": ("acetaminophen", "tramadol"),
    "Ultram": ("tramadol",),
    "Vicodin": ("acetaminophen", "hydrocodone"),
    "Xtampza": ("oxycodone",),
    "Zohydro": ("hydrocodone",),
    "Zomorph": ("morphine",),
    "Zubsolv": ("buprenorphine", "naloxone"),
    "Zydol": ("tramadol",),
    # Benzodiazepines and Z-drugs
    "Ativan": ("lorazepam",),
    "Frisium": ("clobazam",),
    "Halcion": ("triazolam",),
    "Klonopin": ("clonazepam",),
    "Librium": ("chlordiazepoxide",),
    "Onfi": ("clobazam",),
    "Restoril": ("temazepam",),
    "Rivotril": ("clonazepam",),
    "Tranxene": ("clorazepate",),
    "Valium": ("diazepam",),
    "Xanax": ("alprazolam",),
    "Ambien": ("zolpidem",),
    "Edluar": ("zolpidem",),
    "Intermezzo": ("zolpidem",),
    "Lunesta": ("eszopiclone",),
    "Sonata": ("zaleplon",),
    "Stilnoct": ("zolpidem",),
    "Zimovane": ("zopiclone",),
    # Gabapentinoids
    "Gralise": ("gabapentin",),
    "Horizant": ("gabapentin enacarbil",),
    "Lyrica": ("pregabalin",),
    "Neurontin": ("gabapentin",),
    # Antiepileptics
    "Carbatrol": ("carbamazepine",),
    "Depakene": ("valproic acid",),
    "Depakote": ("divalproex",),
    "Dilantin": ("phenytoin",),
    "Epanutin": ("phenytoin",),
    "Epilim": ("valproic acid",),
    "Equetro": ("carbamazepine",),
    "Keppra": ("levetiracetam",),
    "Lamictal": ("lamotrigine",),
    "Mysoline": ("primidone",),
    "Oxtellar": ("oxcarbazepine",),
    "Qudexy": ("topiramate",),
    "Tegretol": ("carbamazepine",),
    "Topamax": ("topiramate",),
    "Trileptal": ("oxcarbazepine",),
    "Trokendi": ("topiramate",),
    "Vimpat": ("lacosamide",),
    "Zonegran": ("zonisamide",),
    # First-generation antihistamines and sleep aids; other anticholinergics
    "Antivert": ("meclizine",),
    "Atarax": ("hydroxyzine",),
    "Benadryl": ("diphenhydramine",),
    "Bonine": ("meclizine",),
    "Chlor-Trimeton": ("chlorpheniramine",),
    "Ditropan": ("oxybutynin",),
    "Dramamine": ("dimenhydrinate",),
    "Dramamine Less Drowsy": ("meclizine",),
    "Phenergan": ("promethazine",),
    "Piriton": ("chlorpheniramine",),
    "Unisom": ("doxylamine",),
    "Unisom SleepGels": ("diphenhydramine",),
    "Unisom SleepMelts": ("diphenhydramine",),
    "Unisom SleepTabs": ("doxylamine",),
    "Vistaril": ("hydroxyzine",),
    "ZzzQuil": ("diphenhydramine",),
    "ZzzQuil Pure Zzzs": ("melatonin",),
    # Strong CYP3A4 inhibitors and HIV protease inhibitors
    "Aptivus": ("tipranavir",),
    "Biaxin": ("clarithromycin",),
    "Crixivan": ("indinavir",),
    "Erythrocin": ("erythromycin",),
    "Ery-Tab": ("erythromycin",),
    "Evotaz": ("atazanavir", "cobicistat"),
    "Genvoya": ("cobicistat", "elvitegravir", "emtricitabine", "tenofovir"),
    "Invirase": ("saquinavir",),
    "Kaletra": ("lopinavir", "ritonavir"),
    "Ketek": ("telithromycin",),
    "Klaricid": ("clarithromycin",),
    "Lexiva": ("fosamprenavir",),
    "Nizoral": ("ketoconazole",),
    "Norvir": ("ritonavir",),
    "Noxafil": ("posaconazole",),
    "Paxlovid": ("nirmatrelvir", "ritonavir"),
    "Prezcobix": ("cobicistat", "darunavir"),
    "Prezista": ("darunavir",),
    "Reyataz": ("atazanavir",),
    "Serzone": ("nefazodone",),
    "Sporanox": ("itraconazole",),
    "Stribild": ("cobicistat", "elvitegravir", "emtricitabine", "tenofovir"),
    "Symtuza": ("cobicistat", "darunavir", "emtricitabine", "tenofovir"),
    "Telzir": ("fosamprenavir",),
    "Tolsura": ("itraconazole",),
    "Tybost": ("cobicistat",),
    "Vfend": ("voriconazole",),
    "Viracept": ("nelfinavir",),
    # Cyclosporine
    "Gengraf": ("cyclosporine",),
    "Neoral": ("cyclosporine",),
    "Sandimmune": ("cyclosporine",),
    # Calcium-channel blockers, antiarrhythmics, ranolazine
    "Adizem": ("diltiazem",),
    "Calan": ("verapamil",),
    "Cardizem": ("diltiazem",),
    "Cartia": ("diltiazem",),
    "Isoptin": ("verapamil",),
    "Securon": ("verapamil",),
    "Tarka": ("trandolapril", "verapamil"),
    "Tiazac": ("diltiazem",),
    "Tildiem": ("diltiazem",),
    "Verelan": ("verapamil",),
    "Multaq": ("dronedarone",),
    "Cordarone": ("amiodarone",),
    "Nexterone": ("amiodarone",),
    "Pacerone": ("amiodarone",),
    "Azor": ("amlodipine", "olmesartan"),
    "Exforge": ("amlodipine", "valsartan"),
    "Exforge HCT": ("amlodipine", "hydrochlorothiazide", "valsartan"),
    "Istin": ("amlodipine",),
    "Lotrel": ("amlodipine", "benazepril"),
    "Norvasc": ("amlodipine",),
    "Tribenzor": ("amlodipine", "hydrochlorothiazide", "olmesartan"),
    "Twynsta": ("amlodipine", "telmisartan"),
    "Ranexa": ("ranolazine",),
    # Antimalarials
    "Aralen": ("chloroquine",),
    "Avloclor": ("chloroquine",),
    "Plaquenil": ("hydroxychloroquine",),
    # Myotoxic antivirals
    "Combivir": ("lamivudine", "zidovudine"),
    "Isentress": ("raltegravir",),
    "Retrovir": ("zidovudine",),
    "Sebivo": ("telbivudine",),
    "Trizivir": ("abacavir", "lamivudine", "zidovudine"),
    "Tyzeka": ("telbivudine",),
    # Daptomycin, isotretinoin
    "Cubicin": ("daptomycin",),
    "Absorica": ("isotretinoin",),
    "Accutane": ("isotretinoin",),
    "Amnesteem": ("isotretinoin",),
    "Claravis": ("isotretinoin",),
    "Myorisan": ("isotretinoin",),
    "Roaccutane": ("isotretinoin",),
    "Zenatane": ("isotretinoin",),
    # Other retinoids (Panretin gel and Retin-A cream are local)
    "Neotigason": ("acitretin",),
    "Panretin": ("alitretinoin",),
    "Retin-A": ("tretinoin",),
    "Soriatane": ("acitretin",),
    "Toctino": ("alitretinoin",),
    "Vesanoid": ("tretinoin",),
    # Methotrexate (Metoject, Otrexup, Rasuvo and RediTrex are injections)
    "Jylamvo": ("methotrexate",),
    "Maxtrex": ("methotrexate",),
    "Metoject": ("methotrexate",),
    "Otrexup": ("methotrexate",),
    "Rasuvo": ("methotrexate",),
    "RediTrex": ("methotrexate",),
    "Trexall": ("methotrexate",),
    "Xatmep": ("methotrexate",),
    # Thyroid, diabetes, antifungal, vasodilator
    "Apresoline": ("hydralazine",),
    "Diflucan": ("fluconazole",),
    "Eltroxin": ("levothyroxine",),
    "Euthyrox": ("levothyroxine",),
    "Fortamet": ("metformin",),
    "Glucophage": ("metformin",),
    "Glumetza": ("metformin",),
    "Janumet": ("metformin", "sitagliptin"),
    "Januvia": ("sitagliptin",),
    "Levoxyl": ("levothyroxine",),
    "Riomet": ("metformin",),
    "Synthroid": ("levothyroxine",),
    "Tirosint": ("levothyroxine",),
    "Unithroid": ("levothyroxine",),
    # Aromatase inhibitors
    "Arimidex": ("anastrozole",),
    "Aromasin": ("exemestane",),
    "Femara": ("letrozole",),
    # Bisphosphonates
    "Aclasta": ("zoledronic acid",),
    "Actonel": ("risedronate",),
    "Aredia": ("pamidronate",),
    "Atelvia": ("risedronate",),
    "Binosto": ("alendronate",),
    "Boniva": ("ibandronate",),
    "Bonviva": ("ibandronate",),
    "Fosamax": ("alendronate",),
    "Fosamax Plus D": ("alendronate", "cholecalciferol"),
    "Reclast": ("zoledronic acid",),
    "Zometa": ("zoledronic acid",),
    # Immune checkpoint inhibitors
    "Bavencio": ("avelumab",),
    "Imfinzi": ("durvalumab",),
    "Imjudo": ("tremelimumab",),
    "Jemperli": ("dostarlimab",),
    "Keytruda": ("pembrolizumab",),
    "Libtayo": ("cemiplimab",),
    "Opdivo": ("nivolumab",),
    "Opdualag": ("nivolumab", "relatlimab"),
    "Tecentriq": ("atezolizumab",),
    "Yervoy": ("ipilimumab",),
    # Diuretics
    "Aldactazide": ("hydrochlorothiazide", "spironolactone"),
    "Aldactone": ("spironolactone",),
    "Bumex": ("bumetanide",),
    "CaroSpir": ("spironolactone",),
    "Co-amilofruse": ("amiloride", "furosemide"),
    "Demadex": ("torsemide",),
    "Diamox": ("acetazolamide",),
    "Dyazide": ("hydrochlorothiazide", "triamterene"),
    "Dyrenium": ("triamterene",),
    "Edecrin": ("ethacrynic acid",),
    "Hygroton": ("chlorthalidone",),
    "Inspra": ("eplerenone",),
    "Lasix": ("furosemide",),
    "Lozol": ("indapamide",),
    "Maxzide": ("hydrochlorothiazide", "triamterene"),
    "Microzide": ("hydrochlorothiazide",),
    "Moduretic": ("amiloride", "hydrochlorothiazide"),
    "Natrilix": ("indapamide",),
    "Thalitone": ("chlorthalidone",),
    "Zaroxolyn": ("metolazone",),
    # Laxatives
    "Colace": ("docusate",),
    "Dulcolax": ("bisacodyl",),
    "GlycoLax": ("polyethylene glycol",),
    "MiraLAX": ("polyethylene glycol",),
    "Movicol": ("polyethylene glycol",),
    "Senokot": ("senna",),
    "Senokot S": ("docusate", "senna"),
    # Proton pump inhibitors
    "Aciphex": ("rabeprazole",),
    "Dexilant": ("dexlansoprazole",),
    "Losec": ("omeprazole",),
    "Nexium": ("esomeprazole",),
    "Pariet": ("rabeprazole",),
    "Prevacid": ("lansoprazole",),
    "Prilosec": ("omeprazole",),
    "Protonix": ("pantoprazole",),
    "Zoton": ("lansoprazole",),
    # Quinine
    "Qualaquin": ("quinine",),
    # Acetaminophen (paracetamol) products
    "Calpol": ("acetaminophen",),
    "DayQuil": ("acetaminophen", "dextromethorphan", "phenylephrine"),
    "Excedrin": ("acetaminophen", "aspirin", "caffeine"),
    "Fioricet": ("acetaminophen", "butalbital", "caffeine"),
    "Mapap": ("acetaminophen",),
    "NyQuil": ("acetaminophen", "dextromethorphan", "doxylamine"),
    "Ofirmev": ("acetaminophen",),
    "Panadol": ("acetaminophen",),
    "Perfalgan": ("acetaminophen",),
    "Tylenol": ("acetaminophen",),
    "Tylenol PM": ("acetaminophen", "diphenhydramine"),
    # Children's products: the same ingredient as the adult brand
    "Children's Advil": ("ibuprofen",),
    "Children's Motrin": ("ibuprofen",),
    "Children's Tylenol": ("acetaminophen",),
    # "PM" (night-time) analgesics add a sedating antihistamine. Excedrin PM
    # Headache (the current US product) holds aspirin too.
    "Advil Dual Action": ("acetaminophen", "ibuprofen"),
    "Advil PM": ("diphenhydramine", "ibuprofen"),
    "Aleve PM": ("diphenhydramine", "naproxen"),
    "Excedrin PM": ("acetaminophen", "aspirin", "diphenhydramine"),
    "Motrin PM": ("diphenhydramine", "ibuprofen"),
    # ACE inhibitors and ARBs
    "Accupril": ("quinapril",),
    "Aceon": ("perindopril",),
    "Altace": ("ramipril",),
    "Aprovel": ("irbesartan",),
    "Atacand": ("candesartan",),
    "Avapro": ("irbesartan",),
    "Benicar": ("olmesartan",),
    "Benicar HCT": ("hydrochlorothiazide", "olmesartan"),
    "Capoten": ("captopril",),
    "Coversyl": ("perindopril",),
    "Cozaar": ("losartan",),
    "Diovan": ("valsartan",),
    "Diovan HCT": ("hydrochlorothiazide", "valsartan"),
    "Edarbi": ("azilsartan",),
    "Entresto": ("sacubitril", "valsartan"),
    "Hyzaar": ("hydrochlorothiazide", "losartan"),
    "Lotensin": ("benazepril",),
    "Mavik": ("trandolapril",),
    "Micardis": ("telmisartan",),
    "Olmetec": ("olmesartan",),
    "Prinivil": ("lisinopril",),
    "Prinzide": ("hydrochlorothiazide", "lisinopril"),
    "Tritace": ("ramipril",),
    "Vasotec": ("enalapril",),
    "Zestoretic": ("hydrochlorothiazide", "lisinopril"),
    "Zestril": ("lisinopril",),
    # Antipsychotics
    "Abilify": ("aripiprazole",),
    "Clozaril": ("clozapine",),
    "Geodon": ("ziprasidone",),
    "Haldol": ("haloperidol",),
    "Invega": ("paliperidone",),
    "Latuda": ("lurasidone",),
    "Rexulti": ("brexpiprazole",),
    "Risperdal": ("risperidone",),
    "Saphris": ("asenapine",),
    "Seroquel": ("quetiapine",),
    "Vraylar": ("cariprazine",),
    "Zyprexa": ("olanzapine",),
    # Oestrogens and combined hormonal contraceptives
    "Cilest": ("ethinylestradiol", "norgestimate"),
    "Climara": ("estradiol",),
    "Divigel": ("estradiol",),
    "Estrace": ("estradiol",),
    "Estrogel": ("estradiol",),
    "Evorel": ("estradiol",),
    "Femodene": ("ethinylestradiol", "gestodene"),
    "Loestrin": ("ethinylestradiol", "norethindrone"),
    "Marvelon": ("desogestrel", "ethinylestradiol"),
    "Microgynon": ("ethinylestradiol", "levonorgestrel"),
    "Ortho Tri-Cyclen": ("ethinylestradiol", "norgestimate"),
    "Premarin": ("conjugated estrogens",),
    "Prempro": ("conjugated estrogens", "medroxyprogesterone"),
    "Progynova": ("estradiol",),
    "Rigevidon": ("ethinylestradiol", "levonorgestrel"),
    "Seasonique": ("ethinylestradiol", "levonorgestrel"),
    "Vagifem": ("estradiol",),
    "Vivelle-Dot": ("estradiol",),
    "Xulane": ("ethinylestradiol", "norelgestromin"),
    "Yasmin": ("drospirenone", "ethinylestradiol"),
    "Yaz": ("drospirenone", "ethinylestradiol"),
    # Not oestrogens, listed so they are recognised
    "Evista": ("raloxifene",),
    "Nolvadex": ("tamoxifen",),
    # Vitamin D
    "Drisdol": ("ergocalciferol",),
    "Fultium": ("cholecalciferol",),
}

# Products that are always local (see Route): NSAID gels and plasters,
# lidocaine plasters, steroid inhalers and nasal sprays, eye and ear drops.
_LOCAL_BRANDS: Final[frozenset[str]] = frozenset(
    {
        "Ciloxan",
        "Ciprodex",
        "Flector",
        "Flixonase",
        "Flixotide",
        "Flonase",
        "Flovent",
        "Ibuleve",
        "Lidoderm",
        "Maxidex",
        "Nasonex",
        "Panretin",
        "Pennsaid",
        "Pulmicort",
        "Qvar",
        "Retin-A",
        "Rhinocort",
        "Versatis",
        "Voltaren Emulgel",
        "Voltaren gel",
        "Voltarol Emulgel",
    }
)

# Patches and gels made to give a systemic dose.
_TRANSDERMAL_BRANDS: Final[frozenset[str]] = frozenset(
    {
        "Butrans",
        "Climara",
        "Divigel",
        "Duragesic",
        "Emsam",
        "Estrogel",
        "Evorel",
        "Vivelle-Dot",
        "Xulane",
    }
)

# Products given by injection or infusion (or another non-oral, non-skin
# route) unless the name says otherwise.
_OTHER_ROUTE_BRANDS: Final[frozenset[str]] = frozenset(
    {
        "Depo-Medrol",
        "Gablofen",
        "Metoject",
        "Nexterone",
        "Ofirmev",
        "Otrexup",
        "Perfalgan",
        "ProvayBlue",
        "Rasuvo",
        "RediTrex",
        "Solu-Medrol",
        "Sublocade",
        "Vagifem",
        "Zembrace",
    }
)
_OTHER_ROUTE_GENERICS: Final[frozenset[str]] = frozenset(
    {
        "atezolizumab",
        "avelumab",
        "cemiplimab",
        "dalteparin",
        "daptomycin",
        "dostarlimab",
        "durvalumab",
        "enoxaparin",
        "fondaparinux",
        "heparin",
        "ipilimumab",
        "nivolumab",
        "pamidronate",
        "pembrolizumab",
        "relatlimab",
        "tinzaparin",
        "tremelimumab",
        "zoledronic acid",
    }
)
# Generics that exist only as local products (inhaled, nasal, skin).
_LOCAL_ROUTE_GENERICS: Final[frozenset[str]] = frozenset(
    {"beclomethasone", "fluticasone", "mometasone"}
)

# Words in the name or dose text that settle the route. Checked in this
# order: other, patch, skin, mucosal (so "rectal foam" is "other").
_OTHER_ROUTE_WORDS: Final[frozenset[str]] = frozenset(
    {
        "enema",
        "infusion",
        "inj",
        "injection",
        "injections",
        "injectable",
        "intramuscular",
        "intrathecal",
        "intravenous",
        "iv",
        "im",
        "pessaries",
        "pessary",
        "rectal",
        "sc",
        "subcut",
        "subcutaneous",
        "suppositories",
        "suppository",
        "vaginal",
    }
)
# Patches: systemic ("transdermal") unless every ingredient is in
# _LOCAL_PATCH_GENERICS (NSAID and lidocaine plasters act where applied).
_PATCH_WORDS: Final[frozenset[str]] = frozenset(
    {"patch", "patches", "plaster", "plasters", "transdermal"}
)
_SKIN_WORDS: Final[frozenset[str]] = frozenset(
    {
        "cream",
        "creams",
        "emulgel",
        "foam",
        "gel",
        "gels",
        "liniment",
        "lotion",
        "ointment",
        "shampoo",
        "topical",
    }
)
# Eye, ear, nose, airways and mouth.
_MUCOSAL_WORDS: Final[frozenset[str]] = frozenset(
    {
        "accuhaler",
        "diskus",
        "ear",
        "evohaler",
        "eye",
        "inhalation",
        "inhaled",
        "inhaler",
        "inhalers",
        "intranasal",
        "mdi",
        "mouthwash",
        "nasal",
        "nebules",
        "nebulised",
        "nebuliser",
        "nebulized",
        "nebulizer",
        "ophthalmic",
        "otic",
        "puffer",
        "puffs",
        "spray",
        "sprays",
        "turbohaler",
    }
)
# Classes whose drugs are systemic by any skin or mucosal route (fentanyl or
# midazolam nasal sprays, estradiol gels, sumatriptan or zolmitriptan nasal
# sprays): such a product is never "local".
_SYSTEMIC_ANY_ROUTE_CLASSES: Final[frozenset[MedClass]] = frozenset(
    {"benzodiazepine", "oestrogen", "opioid", "triptan", "z_drug"}
)
# NSAIDs sprayed into the nose (ketorolac nasal spray) are systemic too.
_SYSTEMIC_NSAID_WORDS: Final[frozenset[str]] = frozenset(
    {"inhalation", "inhaled", "inhaler", "intranasal", "nasal", "spray", "sprays"}
)

_LOCAL_PATCH_GENERICS: Final[frozenset[str]] = frozenset(
    {g for g, classes in _GENERIC_CLASSES.items() if "nsaid" in classes} | {"lidocaine"}
)

# Combination products whose strengths are written in a conventional order
# ("Vytorin 10/40" is ezetimibe 10 mg with simvastatin 40 mg). Each tuple
# holds every ingredient of the brand, in the order its strengths are written.
_STRENGTH_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "Advicor": ("niacin", "lovastatin"),
    "Arthrotec": ("diclofenac", "misoprostol"),
    "Azor": ("amlodipine", "olmesartan"),
    "Caduet": ("amlodipine", "atorvastatin"),
    "Co-codamol": ("codeine", "acetaminophen"),
    "Co-dydramol": ("dihydrocodeine", "acetaminophen"),
    "Cocodamol": ("codeine", "acetaminophen"),
    "Duexis": ("ibuprofen", "famotidine"),
    "Endocet": ("oxycodone", "acetaminophen"),
    "Excedrin": ("acetaminophen", "aspirin", "caffeine"),
    "Exforge": ("amlodipine", "valsartan"),
    "Fosamax Plus D": ("alendronate", "cholecalciferol"),
    "Inegy": ("ezetimibe", "simvastatin"),
    "Kaletra": ("lopinavir", "ritonavir"),
    "Lorcet": ("hydrocodone", "acetaminophen"),
    "Lortab": ("hydrocodone", "acetaminophen"),
    "Lotrel": ("amlodipine", "benazepril"),
    "Norco": ("hydrocodone", "acetaminophen"),
    "Nurofen Plus": ("ibuprofen", "codeine"),
    "Paxlovid": ("nirmatrelvir", "ritonavir"),
    "Percocet": ("oxycodone", "acetaminophen"),
    "Percodan": ("oxycodone", "aspirin"),
    "Roxicet": ("oxycodone", "acetaminophen"),
    "Simcor": ("niacin", "simvastatin"),
    "Suboxone": ("buprenorphine", "naloxone"),
    "Targinact": ("oxycodone", "naloxone"),
    "Treximet": ("sumatriptan", "naproxen"),
    "Twynsta": ("telmisartan", "amlodipine"),
    "Tylenol No 3": ("acetaminophen", "codeine"),
    "Tylenol No 4": ("acetaminophen", "codeine"),
    "Tylenol with Codeine": ("acetaminophen", "codeine"),
    "Ultracet": ("tramadol", "acetaminophen"),
    "Vicodin": ("hydrocodone", "acetaminophen"),
    "Vimovo": ("naproxen", "esomeprazole"),
    "Vytorin": ("ezetimibe", "simvastatin"),
    "Zubsolv": ("buprenorphine", "naloxone"),
}

# A strength written without a unit is in milligrams, except for these
# ingredients: misoprostol is always written in micrograms ("Arthrotec
# 50/200"), and a bare vitamin D or ethinylestradiol figure may be IU,
# micrograms or milligrams, so it stays unknown.
_BARE_STRENGTH_UNIT: Final[dict[str, str | None]] = {
    "misoprostol": "mcg",
    "cholecalciferol": None,
    "ergocalciferol": None,
    "ethinylestradiol": None,
    "vitamin d": None,
}

# Aspirin at or below this dose is an antiplatelet dose, not an analgesic one.
_LOW_DOSE_ASPIRIN_MAX_MG: Final[float] = 162.0
_LOW_DOSE_ASPIRIN_STRENGTHS: Final[frozenset[str]] = frozenset({"75", "81", "100"})
_LOW_DOSE_ASPIRIN_BRANDS: Final[frozenset[str]] = frozenset({"Aggrenox", "Baby aspirin"})
_LOW_DOSE_PHRASES: Final[tuple[tuple[str, ...], ...]] = (
    ("baby",),
    ("low", "dose"),
    ("lo", "dose"),
    ("low", "strength"),
)

# Salt and ester words ignored when they follow a drug name
# ("atorvastatin calcium", "esomeprazole magnesium", "naproxen sodium").
_SALT_WORDS: Final[frozenset[str]] = frozenset(
    {
        "acetate",
        "alafenamide",
        "anhydrous",
        "besilate",
        "besylate",
        "bisulfate",
        "bitartrate",
        "bromide",
        "calcium",
        "chloride",
        "citrate",
        "decanoate",
        "dihydrate",
        "dipropionate",
        "disodium",
        "disoproxil",
        "epolamine",
        "etexilate",
        "fumarate",
        "hcl",
        "hemifumarate",
        "hydrobromide",
        "hydrochloride",
        "hyclate",
        "magnesium",
        "maleate",
        "mesilate",
        "mesylate",
        "monohydrate",
        "phosphate",
        "potassium",
        "propionate",
        "sodium",
        "succinate",
        "sulfate",
        "sulphate",
        "tartrate",
        "trihydrate",
        "valerate",
    }
)

_RELEASE_SUFFIXES: Final[frozenset[str]] = frozenset(
    {"cd", "cr", "dr", "ds", "ec", "er", "ir", "la", "mr", "odt", "sr", "xl", "xr", "xt"}
)

# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:[.,]\d+)?|[.,]\d+)"
_UNIT = r"(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|grams?|gm|g|ml|l|iu|units?|%)"
_STRENGTH_RE: Final[re.Pattern[str]] = re.compile(
    rf"{_NUMBER}\s*{_UNIT}(?:\s*/\s*(?:{_NUMBER}\s*)?{_UNIT}|\s*/\s*(?:h|hr|hour|day|dose|kg))?"
    r"(?![^\W_])"
)
_DOSE_MG_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\d.,])({_NUMBER})\s*(mg|milligrams?|grams?|gm|g)(?![^\W\d_])"
)
_THOUSANDS_RE: Final[re.Pattern[str]] = re.compile(r"\d{1,3}(?:,\d{3})+")
_MARKS_RE: Final[re.Pattern[str]] = re.compile("[®™©℠]")
_NUMBER_SIGN_RE: Final[re.Pattern[str]] = re.compile(r"#\s*(\d)")
_NON_WORD_RE: Final[re.Pattern[str]] = re.compile(r"[\W_]+")


def normalise_name(name: str) -> str:
    """Lower-case, NFC-normalised name with strengths, marks, punctuation and
    release suffixes removed and spaces collapsed: "Zocor® 40 mg XR" -> "zocor".

    Bare numbers stay, and "#3" is read as "No. 3" ("Tylenol #3" -> "tylenol no 3"),
    because some brands need them.
    """
    text = unicodedata.normalize("NFC", name).lower()
    text = _MARKS_RE.sub(" ", text)
    text = _NUMBER_SIGN_RE.sub(r" no \1", text)
    text = _STRENGTH_RE.sub(" ", text)
    text = _NON_WORD_RE.sub(" ", text)
    return " ".join(word for word in text.split() if word not in _RELEASE_SUFFIXES)


def _to_number(text: str) -> float | None:
    """A number as written: "1,000" is a thousand, "0,5" is a half."""
    text = text.replace(",", "" if _THOUSANDS_RE.fullmatch(text) else ".")
    try:
        return float(text)
    except ValueError:  # pragma: no cover - the patterns only admit numbers
        return None


def _to_mg(value: float | None, unit: str | None) -> float | None:
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


def _parse_dose_mg(text: str) -> float | None:
    match = _DOSE_MG_RE.search(unicodedata.normalize("NFC", text).lower())
    if match is None:
        return None
    number, unit = match.groups()
    return _to_mg(_to_number(number), "mg" if unit.startswith("m") else "g")


# One strength in a slash-separated list: a number and perhaps its own unit.
_PART = rf"(?:{_NUMBER})(?:\s*{_UNIT}(?![^\W_]))?"
_PART_RE: Final[re.Pattern[str]] = re.compile(rf"\s*({_NUMBER})(?:\s*({_UNIT}))?\s*")
# "10/40 mg", "10 mg/40 mg", "10mg / 40mg", "250/250/65". "5-325" is not read.
_SLASH_GROUP_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\w.,/]){_PART}(?:\s*/\s*{_PART})+(?!\w)"
)
_MASS_AMOUNT_RE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\d.,])(?:{_NUMBER})\s*(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|grams?|gm|g)"
    r"(?![^\W\d_])"
)
_FRACTION_MAX: Final[float] = 4.0

_Strength = tuple[float | None, str | None]


def _slash_strengths(text: str, *, need_unit: bool) -> list[_Strength] | None:
    """The first slash-separated list of strengths in ``text``, as (number, unit).

    A list with no unit at all is skipped when ``need_unit`` (in free dose
    text "3/2020" is more likely a date), and so is a fraction such as
    "1/2" (half a tablet).
    """
    normalised = unicodedata.normalize("NFC", text).lower()
    for group in _SLASH_GROUP_RE.finditer(normalised):
        strengths: list[_Strength] = []
        for part in group.group(0).split("/"):
            match = _PART_RE.fullmatch(part)
            if match is None:  # pragma: no cover - the group pattern admits only parts
                break
            strengths.append((_to_number(match.group(1)), match.group(2)))
        else:
            units = [unit for _, unit in strengths]
            if need_unit and all(unit is None for unit in units):
                continue
            if _is_fraction(strengths):
                continue
            return strengths
    return None


def _is_fraction(strengths: list[_Strength]) -> bool:
    if len(strengths) != 2 or any(unit is not None for _, unit in strengths):
        return False
    (top, _), (bottom, _) = strengths
    if top is None or bottom is None:
        return False
    return top.is_integer() and bottom.is_integer() and 0 < top < bottom <= _FRACTION_MAX


# --------------------------------------------------------------------------
# Lookup table, built once and checked for consistency at import.
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    generics: tuple[str, ...]
    route: Route | None = None
    low_dose_aspirin: bool = False
    brand: bool = False
    strength_order: tuple[str, ...] | None = None


def _brand_route(brand: str, generics: tuple[str, ...]) -> Route | None:
    if brand in _LOCAL_BRANDS:
        return "local"
    if brand in _TRANSDERMAL_BRANDS:
        return "transdermal"
    if brand in _OTHER_ROUTE_BRANDS or all(g in _OTHER_ROUTE_GENERICS for g in generics):
        return "other"
    if all(g in _LOCAL_ROUTE_GENERICS for g in generics):
        return "local"
    return None


def _generic_route(generic: str) -> Route | None:
    if generic in _OTHER_ROUTE_GENERICS:
        return "other"
    if generic in _LOCAL_ROUTE_GENERICS:
        return "local"
    return None


def _build_lookup() -> dict[tuple[str, ...], _Entry]:
    lookup: dict[tuple[str, ...], _Entry] = {}

    def add(key: str, entry: _Entry) -> None:
        words = tuple(normalise_name(key).split())
        if not words:
            raise ValueError(f"medication name {key!r} normalises to nothing")
        for generic in entry.generics:
            if generic not in _GENERIC_CLASSES:
                raise ValueError(f"{key!r} names unknown generic {generic!r}")
        existing = lookup.get(words)
        if existing is not None and existing != entry:
            raise ValueError(f"medication name {key!r} is defined twice")
        lookup[words] = entry

    for generic in _GENERIC_CLASSES:
        add(generic, _Entry((generic,), _generic_route(generic)))
    for alias, generic in _ALIASES.items():
        add(alias, _Entry((generic,), _generic_route(generic)))
    for brand, generics in _BRANDS.items():
        order = _STRENGTH_ORDER.get(brand)
        if order is not None and sorted(order) != sorted(set(generics)):
            raise ValueError(f"strength order of {brand!r} does not match its ingredients")
        add(
            brand,
            _Entry(
                generics=tuple(sorted(generics)),
                route=_brand_route(brand, generics),
                low_dose_aspirin=brand in _LOW_DOSE_ASPIRIN_BRANDS,
                brand=True,
                strength_order=order,
            ),
        )
    brand_sets = (
        _LOCAL_BRANDS,
        _TRANSDERMAL_BRANDS,
        _OTHER_ROUTE_BRANDS,
        _LOW_DOSE_ASPIRIN_BRANDS,
        frozenset(_STRENGTH_ORDER),
    )
    for names in brand_sets:
        for brand in names:
            if brand not in _BRANDS:
                raise ValueError(f"{brand!r} is not in _BRANDS")
    route_sets = (_LOCAL_BRANDS, _TRANSDERMAL_BRANDS, _OTHER_ROUTE_BRANDS)
    for i, first in enumerate(route_sets):
        for second in route_sets[i + 1 :]:
            if first & second:
                raise ValueError(f"{sorted(first & second)} have two default routes")
    for generic in (*_LOCAL_ROUTE_GENERICS, *_OTHER_ROUTE_GENERICS, *_BARE_STRENGTH_UNIT):
        if generic not in _GENERIC_CLASSES:
            raise ValueError(f"{generic!r} is not in _GENERIC_CLASSES")
    return lookup


_LOOKUP: Final[dict[tuple[str, ...], _Entry]] = _build_lookup()
_LONGEST_KEY: Final[int] = max(len(words) for words in _LOOKUP)
# Each name as written in the tables above ("Lipitor", "paracetamol"), by its words.
_DISPLAY: Final[dict[tuple[str, ...], str]] = {
    tuple(normalise_name(name).split()): name
    for name in reversed((*_GENERIC_CLASSES, *_ALIASES, *_BRANDS))
}

# --------------------------------------------------------------------------
# Misspellings: an unknown word is read as the one known word it is close
# to. Conservative: at least 5 letters, the same first letter, a length within
# one letter (two from 10 letters, so "proton" is not Protonix), a similarity
# (rapidfuzz ratio, 0-100) of at least _FUZZY_CUTOFF, and no other known word
# for a different drug within _FUZZY_MARGIN of it or as few edits away (so
# "clorazepam" is not guessed between lorazepam and clonazepam, nor "nioral"
# between Neoral and Nizoral). Only words of known names are targets, and
# the corrected name must still be a known one.
# --------------------------------------------------------------------------

_FUZZY_MIN_LENGTH: Final[int] = 5
_FUZZY_CUTOFF: Final[float] = 84.0
_FUZZY_MARGIN: Final[float] = 5.0
# Words that say how or when a medicine is taken, never a drug name.
_NEVER_CORRECTED: Final[frozenset[str]] = (
    _SALT_WORDS
    | _RELEASE_SUFFIXES
    | _OTHER_ROUTE_WORDS
    | _PATCH_WORDS
    | _SKIN_WORDS
    | _MUCOSAL_WORDS
    | frozenset(
        {
            "caplet", "caplets", "capsule", "capsules", "chewable", "daily", "drops",
            "liquid", "nightly", "solution", "suspension", "syrup", "tablet", "tablets",
        }
    )
)
_KNOWN_WORDS: Final[frozenset[str]] = frozenset(word for key in _LOOKUP for word in key)



def _fuzzy_targets() -> dict[str, tuple[str, ...]]:
    """Known words a misspelling may be read as, sorted, by first letter."""
    targets: dict[str, list[str]] = {}
    for word in sorted(_KNOWN_WORDS):
        if len(word) >= _FUZZY_MIN_LENGTH and word.isalpha() and word not in _NEVER_CORRECTED:
            targets.setdefault(word[0], []).append(word)
    return {letter: tuple(words) for letter, words in targets.items()}


_FUZZY_TARGETS: Final[dict[str, tuple[str, ...]]] = _fuzzy_targets()


def _same_drug(first: str, second: str) -> bool:
    """Whether two known words name the same ingredients on their own ("Voltarol", "Voltaren")."""
    one, other = _LOOKUP.get((first,)), _LOOKUP.get((second,))
    return one is not None and other is not None and one.generics == other.generics


def _closest_word(word: str) -> str | None:
    """The one known word ``word`` is a misspelling of, or ``None``."""
    if len(word) < _FUZZY_MIN_LENGTH or not word.isalpha() or word in _NEVER_CORRECTED:
        return None
    slack = max(1, len(word) // 5)
    targets = [t for t in _FUZZY_TARGETS.get(word[0], ()) if abs(len(t) - len(word)) <= slack]
    best = process.extract(
        word,
        targets,
        scorer=fuzz.ratio,
        score_cutoff=_FUZZY_CUTOFF - _FUZZY_MARGIN,
        limit=None,
    )
    if not best or best[0][1] < _FUZZY_CUTOFF:
        return None
    chosen, score, _ = best[0]
    edits = Levenshtein.distance(word, chosen)
    for other, other_score, _ in best[1:]:
        close = score - other_score < _FUZZY_MARGIN or Levenshtein.distance(word, other) <= edits
        if close and not _same_drug(chosen, other):
            return None  # two drugs are about as close: a person must read it
    return chosen


def _correct_spelling(words: list[str]) -> list[str] | None:
    """``words`` with each unknown word replaced by its closest known word,
    or ``None`` when no word is close enough to one."""
    corrected = [
        word if word in _KNOWN_WORDS else (_closest_word(word) or word) for word in words
    ]
    return corrected if corrected != words else None


GENERICS: Final[frozenset[str]] = frozenset(_GENERIC_CLASSES)

# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MedicationMatch:
    """One recognised medication: its ingredients, their classes, dose and route.

    ``dose_mg`` is the strength in milligrams of a single-ingredient product.
    For a combination product it is ``None`` unless exactly one ingredient's
    strength is known ("Fosamax Plus D 70 mg/2800 IU": 70), because one
    figure cannot stand for several ingredients. Per-ingredient strengths
    are in ``ingredient_doses`` (sorted by generic; ``None`` where unknown):
    use ``dose_of``.
    """

    entered: str
    generics: tuple[str, ...]
    classes: frozenset[MedClass]
    dose_mg: float | None
    route: Route
    ingredient_doses: tuple[tuple[str, float | None], ...] = ()
    read_as: str | None = None
    """The known name a misspelt entry was read as ("Lipitor" for "Lipiter");
    ``None`` when the entry was recognised as written."""

    def dose_of(self, generic: str) -> float | None:
        """Strength in mg of one ingredient; ``None`` if unknown or not an ingredient."""
        for name, dose in self.ingredient_doses:
            if name == generic:
                return dose
        return None


@dataclass(frozen=True, slots=True)
class MedicationReview:
    """A medication list split into recognised and unrecognised names, in input order."""

    recognised: tuple[MedicationMatch, ...]
    unrecognised: tuple[str, ...]

    def count_with_class(self, med_class: MedClass) -> int:
        """How many different drugs of ``med_class`` the list holds ("3 or more
        CNS-active drugs", Beers 2023).

        Local products (a gel, eye drops) carry no systemic class and never
        count. A drug entered twice ("Zoloft", "sertraline 50 mg") counts once;
        each ingredient of a combination that has the class counts on its own
        ("Symbyax": fluoxetine and olanzapine are two CNS-active drugs).
        """
        drugs: set[str] = set()
        for match in self.recognised:
            if match.route == "local" or med_class not in match.classes:
                continue
            drugs.update(g for g in match.generics if med_class in _CLASSES_OF[g])
        return len(drugs)


def _scan(words: list[str]) -> list[tuple[tuple[str, ...], _Entry]]:
    """Longest known phrase at each position, left to right; whole name first.

    Salt words right after a drug name are skipped, so "esomeprazole
    magnesium" is esomeprazole only. Unknown words are skipped.
    """
    found: list[tuple[tuple[str, ...], _Entry]] = []
    after_drug = False
    i = 0
    while i < len(words):
        if after_drug and words[i] in _SALT_WORDS:
            i += 1
            continue
        for size in range(min(_LONGEST_KEY, len(words) - i), 0, -1):
            key = tuple(words[i : i + size])
            entry = _LOOKUP.get(key)
            if entry is not None:
                found.append((key, entry))
                i += size
                after_drug = True
                break
        else:
            after_drug = False
            i += 1
    return found


def _has_phrase(words: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1))


def _route(entries: list[_Entry], generics: tuple[str, ...], words: list[str]) -> Route:
    """Route from the words of the name and dose text, else the products' defaults.

    A product is "local" only when nothing suggests systemic exposure: opioids,
    benzodiazepines, Z-drugs and oestrogens are systemic through skin or
    mucosa (fentanyl nasal spray, estradiol gel), as are NSAIDs in the nose.
    """
    present = set(words)
    classes = {c for g in generics for c in _CLASSES_OF[g]}
    systemic = bool(classes & _SYSTEMIC_ANY_ROUTE_CLASSES)
    if present & _OTHER_ROUTE_WORDS:
        return "other"
    if present & _PATCH_WORDS:
        return "local" if all(g in _LOCAL_PATCH_GENERICS for g in generics) else "transdermal"
    if present & _SKIN_WORDS:
        return "transdermal" if systemic else "local"
    if present & _MUCOSAL_WORDS:
        if systemic or ("nsaid" in classes and present & _SYSTEMIC_NSAID_WORDS):
            return "other"
        return "local"
    # Defaults. A plain generic that repeats a routed product's ingredient
    # ("Pulmicort (budesonide)") does not count; any other unrouted product
    # does, and then the most systemic route wins.
    routed = {g for entry in entries if entry.route is not None for g in entry.generics}
    defaults = {
        entry.route
        for entry in entries
        if entry.route is not None or not set(entry.generics) <= routed
    }
    if "other" in defaults:
        return "other"
    if "transdermal" in defaults:
        return "transdermal"
    if defaults == {"local"}:
        return "local"
    return "oral"


def _is_low_dose_aspirin(
    entries: list[_Entry],
    generics: tuple[str, ...],
    name_words: list[str],
    words: list[str],
    dose_mg: float | None,
) -> bool:
    if any(entry.low_dose_aspirin for entry in entries):
        return True
    if generics != ("aspirin",):
        return False
    if any(_has_phrase(words, phrase) for phrase in _LOW_DOSE_PHRASES):
        return True
    if dose_mg is not None:
        return dose_mg <= _LOW_DOSE_ASPIRIN_MAX_MG
    # "aspirin 81" or "aspirin 75": a bare antiplatelet strength in the name.
    return any(word in _LOW_DOSE_ASPIRIN_STRENGTHS for word in name_words)


def _strength_order(entries: list[_Entry], generics: tuple[str, ...]) -> tuple[str, ...] | None:
    """The order in which a combination's strengths are written, or ``None``.

    Either the conventional order of the one brand named ("Vytorin"), or the
    order in which the ingredients are typed ("ezetimibe/simvastatin"). If
    both are given and disagree, or several brands are named, it is unknown.
    """
    brands = [entry for entry in entries if entry.brand]
    candidates: set[tuple[str, ...]] = set()
    if len(brands) > 1:
        return None
    if brands:
        order = brands[0].strength_order
        if order is None or set(order) != set(generics):
            return None
        candidates.add(order)
    typed = tuple(dict.fromkeys(g for entry in entries if not entry.brand for g in entry.generics))
    if set(typed) == set(generics) and len(typed) == len(generics):
        candidates.add(typed)
    return candidates.pop() if len(candidates) == 1 else None


def _combination_doses(
    entries: list[_Entry], generics: tuple[str, ...], name: str, dose: str | None
) -> dict[str, float | None]:
    """Strength in mg of each ingredient of a combination product (``None``: unknown).

    Dose text with a strength in it wins over the name, as for ``dose_mg``;
    a count that does not match the ingredients leaves every strength unknown.
    """
    doses: dict[str, float | None] = dict.fromkeys(generics)
    order = _strength_order(entries, generics)
    if order is None:
        return doses
    strengths = _slash_strengths(dose, need_unit=True) if dose else None
    if strengths is None:
        if dose and _MASS_AMOUNT_RE.search(unicodedata.normalize("NFC", dose).lower()):
            return doses  # the dose text gives a strength, but not one per ingredient
        strengths = _slash_strengths(name, need_unit=False)
    if strengths is None or len(strengths) != len(order):
        return doses
    for generic, (value, unit) in zip(order, strengths, strict=True):
        if unit is None:
            unit = _BARE_STRENGTH_UNIT.get(generic, "mg")
        doses[generic] = _to_mg(value, unit)
    return doses


def identify(
    name: str, *, dose: str | None = None, fuzzy: bool = False
) -> MedicationMatch | None:
    """The ingredients and classes of one medication name, or ``None`` if unknown.

    ``dose`` is free text ("40 mg daily", "1 g", "10/40 mg"); a strength in it
    wins over one written in the name. With ``fuzzy``, a name not known as
    written may be read as a misspelling of a known one (see ``read_as``).
    """
    name_words = normalise_name(name).split()
    found = _scan(name_words)
    read_as: str | None = None
    if not found and fuzzy:
        corrected = _correct_spelling(name_words)
        if corrected is not None:
            found = _scan(corrected)
            name_words = corrected
            read_as = " + ".join(dict.fromkeys(_DISPLAY[key] for key, _ in found))
    if not found:
        return None
    entries = [entry for _, entry in found]
    generics = tuple(sorted({g for entry in entries for g in entry.generics}))
    dose_words = normalise_name(dose).split() if dose else []
    single_dose_mg = _parse_dose_mg(dose) if dose else None
    if single_dose_mg is None:
        single_dose_mg = _parse_dose_mg(name)
    if len(generics) == 1:
        ingredient_doses: dict[str, float | None] = {generics[0]: single_dose_mg}
        dose_mg = single_dose_mg
    else:
        ingredient_doses = _combination_doses(entries, generics, name, dose)
        known = [d for d in ingredient_doses.values() if d is not None]
        dose_mg = known[0] if len(known) == 1 else None
    route = _route(entries, generics, name_words + dose_words)
    classes: set[MedClass] = {c for g in generics for c in _CLASSES_OF[g]}
    if route == "local":
        # The systemic rules (tendon rupture with fluoroquinolones, steroid
        # myopathy, CYP3A4 interactions, bleeding with NSAIDs) rest on
        # systemic exposure, which local products barely give. Keep only
        # "topical_nsaid"; the generics still show the drug to the clinician.
        classes = {"topical_nsaid"} if "nsaid" in classes else set()
    elif "nsaid" in classes and _is_low_dose_aspirin(
        entries, generics, name_words, name_words + dose_words, single_dose_mg
    ):
        other_nsaids = any("nsaid" in _CLASSES_OF[g] for g in generics if g != "aspirin")
        if not other_nsaids:
            classes.discard("nsaid")
    return MedicationMatch(
        entered=name,
        generics=generics,
        classes=frozenset(classes),
        dose_mg=dose_mg,
        route=route,
        ingredient_doses=tuple(sorted(ingredient_doses.items())),
        read_as=read_as,
    )


# Pain relievers sold without a prescription, with the largest single dose sold that way (mg),
# and what else an over-the-counter combination may hold ("PM", cold and flu products).
_OTC_PAIN_MAX_MG: Final[dict[str, float]] = {
    "acetaminophen": 1000.0, "ibuprofen": 400.0, "naproxen": 440.0, "aspirin": 1000.0,
}
_OTC_COMPANIONS: Final[frozenset[str]] = frozenset({
    "caffeine", "chlorpheniramine", "dextromethorphan", "diphenhydramine", "doxylamine",
    "famotidine", "guaifenesin", "phenylephrine", "pseudoephedrine",
})


def over_the_counter(match: MedicationMatch) -> bool:
    """A pain reliever as sold over the counter: OTC ingredients at an OTC strength.

    Why: "do not take ibuprofen unless we say so" is right for pills a patient buys,
    wrong for one a doctor prescribed (that is reviewed with the prescriber, never
    stopped by the handout). A strength not given counts as over the counter only for
    these ingredients; a prescription-only NSAID (meloxicam, celecoxib) never does.
    """
    pain = [g for g in match.generics if g in _OTC_PAIN_MAX_MG]
    if not pain or any(g not in _OTC_PAIN_MAX_MG and g not in _OTC_COMPANIONS
                       for g in match.generics):
        return False
    for generic in pain:
        dose = match.dose_of(generic)
        if dose is None and len(match.generics) == 1:
            dose = match.dose_mg
        if dose is not None and dose > _OTC_PAIN_MAX_MG[generic]:
            return False
    return True


def review(medications: Iterable[tuple[str, str | None]]) -> MedicationReview:
    """Split ``(name, dose)`` pairs into recognised matches and unrecognised names.

    A misspelt name close to exactly one known name is recognised, and says
    what it was read as (``MedicationMatch.read_as``).
    """
    recognised: list[MedicationMatch] = []
    unrecognised: list[str] = []
    for name, dose in medications:
        match = identify(name, dose=dose, fuzzy=True)
        if match is None:
            unrecognised.append(name)
        else:
            recognised.append(match)
    return MedicationReview(recognised=tuple(recognised), unrecognised=tuple(unrecognised))
