"""The medication vocabulary's loader refuses bad data, naming the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from careplan.clinical.medications.vocabulary import FILES, VOCABULARY, load_vocabulary
from careplan.errors import VocabularyError

FOLDER = Path(__file__).resolve().parent.parent / "careplan" / "clinical" / "medications"


def shipped(name: str) -> str:
    return (FOLDER / name).read_text(encoding="utf-8")


def test_the_shipped_files_load_as_the_module_did() -> None:
    assert load_vocabulary() == VOCABULARY
    assert sorted(FILES) == sorted(p.name for p in FOLDER.glob("*.toml"))


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("generics.toml", 'zocorix = ["statins"]\n',
         "generics.toml: 'zocorix' names unknown class 'statins'"),
        ("generics.toml", '"Zocorix" = ["statin"]\n',
         "generics.toml: 'Zocorix' must be lower case"),
        ("generics.toml", 'zocorix = "statin"\n', "generics.toml: 'zocorix' must be a list"),
        ("brands.toml", 'Zocor = ["simvastatin"]\nZocor = ["simvastatin"]\n',
         "brands.toml: Cannot overwrite a value"),
        ("brands.toml", 'Zocor = ["simvastatin"]\nZOCOR = ["atorvastatin"]\n',
         "brands.toml: medication name 'ZOCOR' is defined twice (as 'Zocor' in brands.toml)"),
        ("brands.toml", '"LIPITOR®" = ["simvastatin"]\n',
         "brands.toml: medication name 'LIPITOR®' is defined twice (as 'Lipitor' in brands.toml)"),
        ("brands.toml", 'paracetamol = ["acetaminophen", "codeine"]\n',
         "brands.toml: medication name 'paracetamol' is defined twice (as 'paracetamol' in"
         " aliases.toml)"),
        ("brands.toml", 'Zocorix = ["simvastatine"]\n',
         "brands.toml: 'Zocorix' names unknown generic 'simvastatine'"),
        ("brands.toml", '"®" = ["simvastatin"]\n',
         "brands.toml: medication name '®' normalises to nothing"),
        ("aliases.toml", 'simva = "simvastatine"\n',
         "aliases.toml: 'simva' names unknown generic 'simvastatine'"),
        ("combinations.toml", 'Vytorin = ["simvastatin", "atorvastatin"]\n',
         "combinations.toml: strength order of 'Vytorin' does not match its ingredients"),
        ("combinations.toml", 'Vytorinn = ["ezetimibe", "simvastatin"]\n',
         "combinations.toml: strength order: 'Vytorinn' is not in brands.toml"),
    ],
)
def test_a_bad_entry_is_refused_with_its_file_and_name(
    name: str, text: str, message: str
) -> None:
    # The shipped file without the entries the cases add again.
    again = {"brands.toml": 'Zocor = ["simvastatin"]\n',
             "combinations.toml": 'Vytorin = ["ezetimibe", "simvastatin"]\n'}
    base = shipped(name).replace(again.get(name, "\0"), "")
    with pytest.raises(VocabularyError) as caught:
        load_vocabulary({name: base + text})
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("classes.toml", "[z_drug]", "[z_drugs]", "classes.toml: 'z_drugs' is not a MedClass"),
        ("classes.toml", 'implies = ["strong_anticholinergic"]', 'implies = ["anticholinergic"]',
         "classes.toml: [antihistamine_sedating] implies names unknown class 'anticholinergic'"),
        ("routes.toml", '"Butrans", ', '"Butrans", "Flector", ',
         "routes.toml: ['Flector'] have two default routes"),
        ("routes.toml", '"Butrans", ', '"Butranz", ',
         "routes.toml: brands.transdermal: 'Butranz' is not in brands.toml"),
        ("routes.toml", '"avelumab", ', '"avelumabb", ',
         "routes.toml: generics.other: 'avelumabb' is not in generics.toml"),
        ("routes.toml", '"oestrogen", ', '"estrogen", ',
         "routes.toml: systemic_any_route_classes names unknown class 'estrogen'"),
        ("doses.toml", 'misoprostol = "mcg"', 'misoprostl = "mcg"',
         "doses.toml: bare_strength: 'misoprostl' is not in generics.toml"),
        ("doses.toml", '"Baby aspirin"', '"Baby asprin"',
         "doses.toml: low_dose_aspirin.brands: 'Baby asprin' is not in brands.toml"),
        ("doses.toml", 'prescription_only = ["Duexis"]', 'prescription_only = ["Duexys"]',
         "doses.toml: over_the_counter.prescription_only: 'Duexys' is not in brands.toml"),
        ("doses.toml", "max_mg = 162.0", "max_mg = -1",
         "doses.toml: low_dose_aspirin.max_mg must be a positive number"),
        ("words.toml", "salts = [", "salt = [", "words.toml: the file: unknown keys ['salt']"),
    ],
)
def test_a_bad_cross_reference_is_refused(name: str, old: str, new: str, message: str) -> None:
    text = shipped(name)
    assert old in text
    with pytest.raises(VocabularyError) as caught:
        load_vocabulary({name: text.replace(old, new, 1)})
    assert str(caught.value).startswith(message), str(caught.value)


def test_missing_class_table_and_unknown_file_are_refused() -> None:
    text = shipped("classes.toml").replace('[z_drug]\nlabel = "Z-drug hypnotic"\n', "")
    with pytest.raises(VocabularyError, match=r"^classes\.toml: MedClass 'z_drug' has no table"):
        load_vocabulary({"classes.toml": text})
    with pytest.raises(VocabularyError, match=r"^drugs\.toml: not a vocabulary file"):
        load_vocabulary({"drugs.toml": ""})


def test_the_cache_key_follows_every_file_and_the_checking_code() -> None:
    from careplan.clinical.medications.vocabulary import _shipped, cache_key

    texts = {name: _shipped(name) for name in FILES}
    keys = {cache_key(texts)}
    for name in FILES:
        keys.add(cache_key({**texts, name: texts[name] + "\n# changed\n"}))
    assert len(keys) == len(FILES) + 1
