"""Matching one typed medication to its ingredients, classes, doses and route.

Why whole words: "nystatin" is never a statin. The names and their meaning are
in the vocabulary files (see ``vocabulary.py``); this module reads a name
against them: the longest known phrase at each position, salt words skipped,
then the route and the strengths from the words typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from careplan.clinical.medications.classes import MedClass, Route
from careplan.clinical.medications.doses import (
    has_mass_amount,
    parse_dose_mg,
    slash_strengths,
    to_mg,
)
from careplan.clinical.medications.spelling import correct_spelling
from careplan.clinical.medications.vocabulary import VOCABULARY, Entry

_V = VOCABULARY


def normalise_name(name: str) -> str:
    """Lower-case, NFC-normalised name with strengths, marks, punctuation and
    release suffixes removed and spaces collapsed: "Zocor® 40 mg XR" -> "zocor".

    Bare numbers stay, and "#3" is read as "No. 3" ("Tylenol #3" -> "tylenol no 3"),
    because some brands need them.
    """
    return _V.normalise(name)


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
            drugs.update(g for g in match.generics if med_class in _V.classes_of[g])
        return len(drugs)


def _scan(words: list[str]) -> list[tuple[tuple[str, ...], Entry]]:
    """Longest known phrase at each position, left to right; whole name first.

    Salt words right after a drug name are skipped, so "esomeprazole
    magnesium" is esomeprazole only. Unknown words are skipped.
    """
    found: list[tuple[tuple[str, ...], Entry]] = []
    after_drug = False
    i = 0
    while i < len(words):
        if after_drug and words[i] in _V.salts:
            i += 1
            continue
        for size in range(min(_V.longest_key, len(words) - i), 0, -1):
            key = tuple(words[i : i + size])
            entry = _V.lookup.get(key)
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


def _route(entries: list[Entry], generics: tuple[str, ...], words: list[str]) -> Route:
    """Route from the words of the name and dose text, else the products' defaults.

    A product is "local" only when nothing suggests systemic exposure: opioids,
    benzodiazepines, Z-drugs and oestrogens are systemic through skin or
    mucosa (fentanyl nasal spray, estradiol gel), as are NSAIDs in the nose.
    """
    present = set(words)
    classes = {c for g in generics for c in _V.classes_of[g]}
    systemic = bool(classes & _V.systemic_any_route_classes)
    if present & _V.other_route_words:
        return "other"
    if present & _V.patch_words:
        return "local" if all(g in _V.local_patch_generics for g in generics) else "transdermal"
    if present & _V.skin_words:
        return "transdermal" if systemic else "local"
    if present & _V.mucosal_words:
        if systemic or ("nsaid" in classes and present & _V.systemic_nsaid_words):
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
    entries: list[Entry],
    generics: tuple[str, ...],
    name_words: list[str],
    words: list[str],
    dose_mg: float | None,
) -> bool:
    if any(entry.low_dose_aspirin for entry in entries):
        return True
    if generics != ("aspirin",):
        return False
    if any(_has_phrase(words, phrase) for phrase in _V.low_dose_phrases):
        return True
    if dose_mg is not None:
        return dose_mg <= _V.low_dose_aspirin_max_mg
    # "aspirin 81" or "aspirin 75": a bare antiplatelet strength in the name.
    return any(word in _V.low_dose_aspirin_strengths for word in name_words)


def _strength_order(entries: list[Entry], generics: tuple[str, ...]) -> tuple[str, ...] | None:
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
    entries: list[Entry], generics: tuple[str, ...], name: str, dose: str | None
) -> dict[str, float | None]:
    """Strength in mg of each ingredient of a combination product (``None``: unknown).

    Dose text with a strength in it wins over the name, as for ``dose_mg``;
    a count that does not match the ingredients leaves every strength unknown.
    """
    doses: dict[str, float | None] = dict.fromkeys(generics)
    order = _strength_order(entries, generics)
    if order is None:
        return doses
    strengths = slash_strengths(dose, need_unit=True) if dose else None
    if strengths is None:
        if dose and has_mass_amount(dose):
            return doses  # the dose text gives a strength, but not one per ingredient
        strengths = slash_strengths(name, need_unit=False)
    if strengths is None or len(strengths) != len(order):
        return doses
    for generic, (value, unit) in zip(order, strengths, strict=True):
        if unit is None:
            unit = _V.bare_strength_unit.get(generic, "mg")
        doses[generic] = to_mg(value, unit)
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
        corrected = correct_spelling(name_words)
        if corrected is not None:
            found = _scan(corrected)
            name_words = corrected
            read_as = " + ".join(dict.fromkeys(_V.display[key] for key, _ in found))
    if not found:
        return None
    entries = [entry for _, entry in found]
    generics = tuple(sorted({g for entry in entries for g in entry.generics}))
    dose_words = normalise_name(dose).split() if dose else []
    single_dose_mg = parse_dose_mg(dose) if dose else None
    if single_dose_mg is None:
        single_dose_mg = parse_dose_mg(name)
    if len(generics) == 1:
        ingredient_doses: dict[str, float | None] = {generics[0]: single_dose_mg}
        dose_mg = single_dose_mg
    else:
        ingredient_doses = _combination_doses(entries, generics, name, dose)
        known = [d for d in ingredient_doses.values() if d is not None]
        dose_mg = known[0] if len(known) == 1 else None
    route = _route(entries, generics, name_words + dose_words)
    classes: set[MedClass] = {c for g in generics for c in _V.classes_of[g]}
    if route == "local":
        # The systemic rules (tendon rupture with fluoroquinolones, steroid
        # myopathy, CYP3A4 interactions, bleeding with NSAIDs) rest on
        # systemic exposure, which local products barely give. Keep only
        # "topical_nsaid"; the generics still show the drug to the clinician.
        classes = {"topical_nsaid"} if "nsaid" in classes else set()
    elif "nsaid" in classes and _is_low_dose_aspirin(
        entries, generics, name_words, name_words + dose_words, single_dose_mg
    ):
        other_nsaids = any("nsaid" in _V.classes_of[g] for g in generics if g != "aspirin")
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


def review(medications: Iterable[tuple[str, str | None]]) -> MedicationReview:
    """Split ``(name, dose)`` pairs into recognised matches and unrecognised names.

    A misspelt name close to exactly one known name is recognised, and says
    what it was read as (``MedicationMatch.read_as``).
    """
    recognised: list[MedicationMatch] = []
    unrecognised: list[str] = []
    for name, dose in medications:
        match = _identify_as_entered(name, dose)
        if match is None:
            unrecognised.append(name)
        else:
            recognised.append(match)
    return MedicationReview(recognised=tuple(recognised), unrecognised=tuple(unrecognised))


@lru_cache(maxsize=4096)
def _identify_as_entered(name: str, dose: str | None) -> MedicationMatch | None:
    """``identify`` with spelling correction, remembered: the dashboard rebuilds a patient's
    plan on every answer with the same list, and a clinic's medicine names repeat. The
    result depends only on the text and the shipped vocabulary, and is immutable."""
    return identify(name, dose=dose, fuzzy=True)
