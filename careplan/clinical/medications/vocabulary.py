"""The medication vocabulary: the TOML files beside this module, loaded and checked.

Why data files: generic and brand names, classes, routes and over-the-counter
strengths are clinical knowledge a pharmacist reviews line by line; as data they
read as lists, keep their comments, and change without touching code. Every
cross-reference is checked here, once, at import: a file that names an unknown
class or generic, defines a name twice, or gives a brand two default routes is
refused with a ``VocabularyError`` naming the file and the entry.

Files: ``classes.toml`` (labels and implied classes), ``generics.toml``
(ingredient -> classes), ``aliases.toml`` (other names of a generic),
``brands.toml`` (brand -> ingredients), ``combinations.toml`` (the order a
combination's strengths are written in), ``routes.toml`` (default routes and
route words), ``words.toml`` (salts, release suffixes, dose forms) and
``doses.toml`` (unitless strengths, low-dose aspirin, over the counter).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from careplan.clinical.medications.classes import CLASSES, MedClass, Route
from careplan.clinical.medications.names import normalise
from careplan.errors import VocabularyError

FILES: Final[tuple[str, ...]] = (
    "classes.toml",
    "generics.toml",
    "aliases.toml",
    "brands.toml",
    "combinations.toml",
    "routes.toml",
    "words.toml",
    "doses.toml",
)


@dataclass(frozen=True, slots=True)
class Entry:
    """What one known name (its normalised words) stands for."""

    generics: tuple[str, ...]
    route: Route | None = None
    low_dose_aspirin: bool = False
    brand: bool = False
    strength_order: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every table the matcher reads, built from the files and checked."""

    class_labels: dict[MedClass, str]
    classes_of: dict[str, frozenset[MedClass]]
    """Every class of each generic, implied ones included: what results carry."""
    lookup: dict[tuple[str, ...], Entry]
    display: dict[tuple[str, ...], str]
    """Each name as written in the files ("Lipitor", "paracetamol"), by its words."""
    longest_key: int
    salts: frozenset[str]
    release_suffixes: frozenset[str]
    never_corrected: frozenset[str]
    other_route_words: frozenset[str]
    patch_words: frozenset[str]
    skin_words: frozenset[str]
    mucosal_words: frozenset[str]
    systemic_nsaid_words: frozenset[str]
    systemic_any_route_classes: frozenset[MedClass]
    local_patch_generics: frozenset[str]
    bare_strength_unit: dict[str, str | None]
    low_dose_aspirin_max_mg: float
    low_dose_aspirin_strengths: frozenset[str]
    low_dose_phrases: tuple[tuple[str, ...], ...]
    otc_max_mg: dict[str, float]
    otc_companions: frozenset[str]
    prescription_only: tuple[tuple[str, ...], ...]
    """Brands never sold over the counter, as the words they are looked up by."""

    def normalise(self, name: str) -> str:
        """``name`` as the words it is looked up by (see ``names.normalise``)."""
        return normalise(name, drop=self.release_suffixes)


_FOLDER: Final[str] = os.path.dirname(__file__)


def _shipped(name: str) -> str:
    with open(os.path.join(_FOLDER, name), encoding="utf-8") as file:
        return file.read()


def _parse(name: str, text: str) -> dict[str, Any]:
    import tomllib  # only when the cache below cannot be used: its import costs 3 ms

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"{name}: {exc}") from exc


def cache_key(texts: Mapping[str, str]) -> str:
    """The digest of everything the checked vocabulary depends on: the data files and the
    code that reads and checks them (this module, the class names, name normalising)."""
    from careplan import cache

    code = [os.path.join(_FOLDER, f"{module}.py") for module in ("vocabulary", "classes",
                                                                  "names")]
    parts: list[str] = []
    for name in FILES:
        parts += [name, texts[name]]
    for path in code:
        with open(path, encoding="utf-8") as file:
            parts += [os.path.basename(path), file.read()]
    return cache.digest(parts)


def _shipped_vocabulary() -> Vocabulary:
    """The shipped vocabulary, checked once and then read from the file cache.

    Why: parsing (tomllib is pure Python) and checking these files cost ~12 ms on every
    start of the headless command; the checked result depends only on the files and the
    checking code, so ``careplan.cache`` keeps it under their digest (~2 ms to read).
    """
    from careplan import cache

    texts = {name: _shipped(name) for name in FILES}
    return cache.cached("medications", cache_key(texts), lambda: load_vocabulary(texts))


class _File:
    """One parsed file, read with checks that name the file and the entry."""

    def __init__(self, name: str, document: dict[str, Any]) -> None:
        self.name = name
        self.document = document

    def error(self, message: str) -> VocabularyError:
        return VocabularyError(f"{self.name}: {message}")

    def table(self, key: str | None = None, *, keys: Iterable[str] | None = None) -> dict[str, Any]:
        """The whole document or one table of it; with ``keys``, exactly those keys."""
        value: Any = self.document if key is None else self.document.get(key)
        where = "the file" if key is None else f"[{key}]"
        if not isinstance(value, dict):
            raise self.error(f"{where} is missing or not a table")
        if keys is not None and set(value) != set(keys):
            unknown, missing = set(value) - set(keys), set(keys) - set(value)
            raise self.error(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
        return value

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        """A list of distinct, non-empty strings."""
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"{where} must be a list of names")
        if len(set(value)) != len(value):
            raise self.error(f"{where} lists a name twice")
        return tuple(value)

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.error(f"{where} must be a positive number")
        return float(value)


def _med_classes(file: _File, values: Iterable[str], where: str) -> tuple[MedClass, ...]:
    for value in values:
        if value not in CLASSES:
            raise file.error(f"{where} names unknown class {value!r}")
    return cast("tuple[MedClass, ...]", tuple(values))


def _with_implied(
    classes: Iterable[MedClass], implied: Mapping[MedClass, tuple[MedClass, ...]]
) -> frozenset[MedClass]:
    """``classes`` with every class they imply, followed to the end."""
    result: set[MedClass] = set()
    todo = list(classes)
    while todo:
        med_class = todo.pop()
        if med_class not in result:
            result.add(med_class)
            todo.extend(implied.get(med_class, ()))
    return frozenset(result)


def _read_classes(file: _File) -> tuple[dict[MedClass, str], dict[MedClass, tuple[MedClass, ...]]]:
    document = file.table()
    unknown = sorted(set(document) - set(CLASSES))
    if unknown:
        raise file.error(f"{unknown[0]!r} is not a MedClass (medications/classes.py)")
    missing = sorted(set(CLASSES) - set(document))
    if missing:
        raise file.error(f"MedClass {missing[0]!r} has no table here")
    labels: dict[MedClass, str] = {}
    implied: dict[MedClass, tuple[MedClass, ...]] = {}
    for med_class in CLASSES:
        table = document[med_class]
        if not isinstance(table, dict) or set(table) - {"label", "implies"}:
            raise file.error(f"[{med_class}] may hold only 'label' and 'implies'")
        label = table.get("label")
        if not isinstance(label, str) or not label.strip():
            raise file.error(f"[{med_class}] needs a label")
        labels[med_class] = label
        if "implies" in table:
            where = f"[{med_class}] implies"
            implied[med_class] = _med_classes(file, file.strings(table["implies"], where), where)
    return labels, implied


class _Builder:
    """The lookup table, filled name by name with the duplicate and unknown-generic checks."""

    def __init__(self, generics: Mapping[str, object], release_suffixes: frozenset[str]) -> None:
        self.generics = generics
        self.release_suffixes = release_suffixes
        self.lookup: dict[tuple[str, ...], Entry] = {}
        self.display: dict[tuple[str, ...], str] = {}
        self.source: dict[tuple[str, ...], str] = {}

    def add(self, file: _File, key: str, entry: Entry) -> None:
        words = tuple(normalise(key, drop=self.release_suffixes).split())
        if not words:
            raise file.error(f"medication name {key!r} normalises to nothing")
        for generic in entry.generics:
            if generic not in self.generics:
                raise file.error(f"{key!r} names unknown generic {generic!r}")
        existing = self.lookup.get(words)
        if existing is not None and existing != entry:
            raise file.error(
                f"medication name {key!r} is defined twice (as {self.display[words]!r}"
                f" in {self.source[words]})"
            )
        self.lookup[words] = entry
        self.display.setdefault(words, key)
        self.source.setdefault(words, file.name)


def load_vocabulary(texts: Mapping[str, str] | None = None) -> Vocabulary:
    """Load and check the vocabulary files (or, for tests, ``{file name: toml text}``
    standing in for some of them)."""
    given = texts or {}
    unknown_files = sorted(set(given) - set(FILES))
    if unknown_files:
        raise VocabularyError(f"{unknown_files[0]}: not a vocabulary file")
    documents = {name: _parse(name, given[name] if name in given else _shipped(name))
                 for name in FILES}
    files = {name: _File(name, documents[name]) for name in FILES}

    labels, implied = _read_classes(files["classes.toml"])

    generics_file = files["generics.toml"]
    own_classes: dict[str, tuple[MedClass, ...]] = {}
    for generic, value in generics_file.table().items():
        if generic != generic.strip().lower():
            raise generics_file.error(f"{generic!r} must be lower case, without spaces around")
        where = f"{generic!r}"
        own_classes[generic] = _med_classes(
            generics_file, generics_file.strings(value, where), where
        )
    classes_of = {g: _with_implied(classes, implied) for g, classes in own_classes.items()}

    def known_generics(file: _File, names: Iterable[str], where: str) -> frozenset[str]:
        for name in names:
            if name not in classes_of:
                raise file.error(f"{where}: {name!r} is not in generics.toml")
        return frozenset(names)

    words_file = files["words.toml"]
    words = words_file.table(keys=("salts", "release_suffixes", "forms"))
    salts = frozenset(words_file.strings(words["salts"], "salts"))
    release_suffixes = frozenset(words_file.strings(words["release_suffixes"], "release_suffixes"))
    forms = frozenset(words_file.strings(words["forms"], "forms"))

    brands_file = files["brands.toml"]
    brands = {
        brand: brands_file.strings(value, repr(brand))
        for brand, value in brands_file.table().items()
    }

    def known_brands(file: _File, names: Iterable[str], where: str) -> frozenset[str]:
        for name in names:
            if name not in brands:
                raise file.error(f"{where}: {name!r} is not in brands.toml")
        return frozenset(names)

    routes_file = files["routes.toml"]
    routes_file.table(
        keys=("systemic_any_route_classes", "local_patch_generics", "brands", "generics", "words")
    )
    brand_routes = routes_file.table("brands", keys=("local", "transdermal", "other"))
    local_brands, transdermal_brands, other_brands = (
        known_brands(routes_file, routes_file.strings(brand_routes[r], f"brands.{r}"),
                     f"brands.{r}")
        for r in ("local", "transdermal", "other")
    )
    route_sets = (local_brands, transdermal_brands, other_brands)
    for i, first in enumerate(route_sets):
        for second in route_sets[i + 1 :]:
            if first & second:
                raise routes_file.error(f"{sorted(first & second)} have two default routes")
    generic_routes = routes_file.table("generics", keys=("local", "other"))
    local_generics, other_generics = (
        known_generics(routes_file, routes_file.strings(generic_routes[r], f"generics.{r}"),
                       f"generics.{r}")
        for r in ("local", "other")
    )
    if local_generics & other_generics:
        raise routes_file.error(
            f"{sorted(local_generics & other_generics)} have two default routes"
        )
    route_words = routes_file.table(
        "words", keys=("other", "patch", "skin", "mucosal", "systemic_nsaid")
    )
    other_words, patch_words, skin_words, mucosal_words, systemic_nsaid_words = (
        frozenset(routes_file.strings(route_words[k], f"words.{k}"))
        for k in ("other", "patch", "skin", "mucosal", "systemic_nsaid")
    )
    systemic_classes = frozenset(_med_classes(
        routes_file,
        routes_file.strings(routes_file.document["systemic_any_route_classes"],
                            "systemic_any_route_classes"),
        "systemic_any_route_classes",
    ))
    local_patch_generics = known_generics(
        routes_file,
        routes_file.strings(routes_file.document["local_patch_generics"], "local_patch_generics"),
        "local_patch_generics",
    ) | {g for g, classes in own_classes.items() if "nsaid" in classes}

    doses_file = files["doses.toml"]
    doses_file.table(keys=("bare_strength", "low_dose_aspirin", "over_the_counter"))
    bare = doses_file.table("bare_strength", keys=("unit", "unknown"))
    bare_units = bare["unit"]
    if not isinstance(bare_units, dict) or not all(
        isinstance(u, str) and u in ("mg", "mcg", "g") for u in bare_units.values()
    ):
        raise doses_file.error("bare_strength.unit must map generics to 'mg', 'mcg' or 'g'")
    bare_strength_unit: dict[str, str | None] = {
        **dict(bare_units),
        **dict.fromkeys(doses_file.strings(bare["unknown"], "bare_strength.unknown")),
    }
    known_generics(doses_file, bare_strength_unit, "bare_strength")
    aspirin = doses_file.table(
        "low_dose_aspirin", keys=("max_mg", "strengths", "brands", "phrases")
    )
    low_dose_brands = known_brands(
        doses_file, doses_file.strings(aspirin["brands"], "low_dose_aspirin.brands"),
        "low_dose_aspirin.brands",
    )
    otc = doses_file.table("over_the_counter",
                           keys=("max_mg", "companions", "prescription_only"))
    otc_max = otc["max_mg"]
    if not isinstance(otc_max, dict):
        raise doses_file.error("over_the_counter.max_mg must be a table")
    otc_max_mg = {
        g: doses_file.number(mg, f"over_the_counter.max_mg.{g}") for g, mg in otc_max.items()
    }
    known_generics(doses_file, otc_max_mg, "over_the_counter.max_mg")
    # Not checked against generics.toml: a companion may name an ingredient the
    # vocabulary does not know yet (guaifenesin), which then cannot match anyway.
    otc_companions = frozenset(
        doses_file.strings(otc["companions"], "over_the_counter.companions")
    )

    combinations_file = files["combinations.toml"]
    strength_order = {
        brand: combinations_file.strings(value, repr(brand))
        for brand, value in combinations_file.table().items()
    }
    known_brands(combinations_file, strength_order, "strength order")

    def generic_route(generic: str) -> Route | None:
        if generic in other_generics:
            return "other"
        if generic in local_generics:
            return "local"
        return None

    def brand_route(brand: str, ingredients: tuple[str, ...]) -> Route | None:
        if brand in local_brands:
            return "local"
        if brand in transdermal_brands:
            return "transdermal"
        if brand in other_brands or all(g in other_generics for g in ingredients):
            return "other"
        if all(g in local_generics for g in ingredients):
            return "local"
        return None

    builder = _Builder(classes_of, release_suffixes)
    for generic in own_classes:
        builder.add(generics_file, generic, Entry((generic,), generic_route(generic)))
    aliases_file = files["aliases.toml"]
    for alias, generic in aliases_file.table().items():
        if not isinstance(generic, str):
            raise aliases_file.error(f"{alias!r} must name one generic")
        builder.add(aliases_file, alias, Entry((generic,), generic_route(generic)))
    for brand, ingredients in brands.items():
        order = strength_order.get(brand)
        if order is not None and sorted(order) != sorted(set(ingredients)):
            raise combinations_file.error(
                f"strength order of {brand!r} does not match its ingredients in brands.toml"
            )
        builder.add(
            brands_file,
            brand,
            Entry(
                generics=tuple(sorted(ingredients)),
                route=brand_route(brand, ingredients),
                low_dose_aspirin=brand in low_dose_brands,
                brand=True,
                strength_order=order,
            ),
        )

    return Vocabulary(
        class_labels=labels,
        classes_of=classes_of,
        lookup=builder.lookup,
        display=builder.display,
        longest_key=max(len(key) for key in builder.lookup),
        salts=salts,
        release_suffixes=release_suffixes,
        never_corrected=(salts | release_suffixes | other_words | patch_words | skin_words
                         | mucosal_words | forms),
        other_route_words=other_words,
        patch_words=patch_words,
        skin_words=skin_words,
        mucosal_words=mucosal_words,
        systemic_nsaid_words=systemic_nsaid_words,
        systemic_any_route_classes=systemic_classes,
        local_patch_generics=local_patch_generics,
        bare_strength_unit=bare_strength_unit,
        low_dose_aspirin_max_mg=doses_file.number(aspirin["max_mg"], "low_dose_aspirin.max_mg"),
        low_dose_aspirin_strengths=frozenset(
            doses_file.strings(aspirin["strengths"], "low_dose_aspirin.strengths")
        ),
        low_dose_phrases=tuple(
            tuple(phrase.split())
            for phrase in doses_file.strings(aspirin["phrases"], "low_dose_aspirin.phrases")
        ),
        otc_max_mg=otc_max_mg,
        otc_companions=otc_companions,
        prescription_only=tuple(
            tuple(normalise(brand, drop=release_suffixes).split())
            for brand in sorted(known_brands(
                doses_file, doses_file.strings(otc["prescription_only"],
                                               "over_the_counter.prescription_only"),
                "over_the_counter.prescription_only"))
        ),
    )


VOCABULARY: Final[Vocabulary] = _shipped_vocabulary()
