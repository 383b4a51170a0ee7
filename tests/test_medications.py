import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplan.clinical.engine import build_plan
from careplan.clinical.medications import (
    CLASS_LABELS,
    CLASSES,
    GENERICS,
    MedClass,
    MedicationMatch,
    MedicationReview,
    identify,
    normalise_name,
    over_the_counter,
    review,
)
from careplan.clinical.medications.classes import ROUTES
from careplan.clinical.medications.vocabulary import VOCABULARY
from careplan.documents.pdf import clinician_pdf
from careplan.documents.report import Table, clinician_summary, medication_reading
from factories import TODAY, make_intake
from pdf_helpers import flat, text_of


def _match(name: str, dose: str | None = None) -> MedicationMatch:
    match = identify(name, dose=dose)
    assert match is not None, f"{name!r} not recognised"
    return match


# --------------------------------------------------------------------------
# Case files: what a clinician types and what it must be identified as
# --------------------------------------------------------------------------

CASES_DIR = Path(__file__).parent / "medication_cases"
_CASE_KEYS = frozenset({
    "typed", "dose", "recognised", "generics", "has", "lacks", "classes", "route", "otc",
    "dose_mg", "doses", "read_as", "why", "known_gap",
})
_UNRECOGNISED_KEYS = frozenset({"typed", "dose", "recognised", "why", "known_gap"})


class CaseFileError(ValueError):
    """A case file that cannot be read as written (the message names the file and case)."""


@dataclass(frozen=True)
class MedCase:
    """One case of tests/medication_cases/ (keys described in its README.md)."""

    file: str
    typed: str
    dose: str | None = None
    recognised: bool = True
    generics: tuple[str, ...] = ()
    has: frozenset[str] = frozenset()
    lacks: frozenset[str] = frozenset()
    classes: frozenset[str] | None = None
    route: str | None = None
    otc: bool | None = None
    dose_mg: float | None = None
    doses: dict[str, float] = field(default_factory=dict)
    read_as: str | None = None
    known_gap: str | None = None

    @property
    def id(self) -> str:
        dose = f" | {self.dose}" if self.dose is not None else ""
        return f"{self.file.removesuffix('.toml')}: {self.typed}{dose}"


def _read_cases(file: str, text: str) -> list[MedCase]:
    """The cases of one file, refusing anything a typo could have made."""
    document = tomllib.loads(text)
    if set(document) != {"case"} or not isinstance(document["case"], list):
        raise CaseFileError(f"{file}: holds only [[case]] tables, found {sorted(document)}")
    cases = []
    for number, raw in enumerate(document["case"], start=1):
        where = f"{file}: case {number} ({raw.get('typed')!r})"

        def fail(message: str, where: str = where) -> CaseFileError:
            return CaseFileError(f"{where}: {message}")

        unknown = set(raw) - _CASE_KEYS
        if unknown:
            raise fail(f"unknown key {sorted(unknown)}")
        if not isinstance(raw.get("typed"), str):
            raise fail("needs 'typed', the text as a clinician types it")
        for key in ("dose", "read_as", "why", "known_gap"):
            if key in raw and not isinstance(raw[key], str):
                raise fail(f"{key!r} must be text")
        for key in ("recognised", "otc"):
            if key in raw and not isinstance(raw[key], bool):
                raise fail(f"{key!r} must be true or false")
        if raw.get("recognised", True) is False:
            if set(raw) - _UNRECOGNISED_KEYS:
                raise fail(f"an unrecognised case has no {sorted(set(raw) - _UNRECOGNISED_KEYS)}")
            cases.append(MedCase(file=file, typed=raw["typed"], dose=raw.get("dose"),
                                 recognised=False, known_gap=raw.get("known_gap")))
            continue
        names: dict[str, tuple[str, ...]] = {}
        for key in ("generics", "has", "lacks", "classes"):
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(f"{key!r} must be a list of names")
            if len(set(value)) != len(value):
                raise fail(f"{key!r} names one twice")
            if key != "generics":
                bad = sorted(set(value) - set(CLASSES))
                if bad:
                    raise fail(f"{key!r}: {bad} are not classes (medications/classes.py)")
            names[key] = tuple(value)
        if not names["generics"]:
            raise fail("a recognised case needs 'generics'")
        if raw.get("route", "oral") not in ROUTES:
            raise fail(f"route {raw['route']!r} is not one of {ROUTES}")
        dose_mg, doses = raw.get("dose_mg"), raw.get("doses", {})
        if dose_mg is not None and not isinstance(dose_mg, float):
            raise fail("'dose_mg' must be a number with a decimal point (40.0)")
        if not isinstance(doses, dict) or not all(
            isinstance(v, float) and k in names["generics"] for k, v in doses.items()
        ):
            raise fail("'doses' maps generics of the case to numbers in mg (30.0)")
        cases.append(MedCase(
            file=file,
            typed=raw["typed"],
            dose=raw.get("dose"),
            generics=tuple(sorted(names["generics"])),
            has=frozenset(names["has"]),
            lacks=frozenset(names["lacks"]),
            classes=frozenset(names["classes"]) if "classes" in raw else None,
            route=raw.get("route"),
            otc=raw.get("otc"),
            dose_mg=dose_mg,
            doses=doses,
            read_as=raw.get("read_as"),
            known_gap=raw.get("known_gap"),
        ))
    return cases


def _load_cases() -> list[MedCase]:
    cases = [
        case
        for path in sorted(CASES_DIR.glob("*.toml"))
        for case in _read_cases(path.name, path.read_text(encoding="utf-8"))
    ]
    seen: dict[tuple[str, str | None], str] = {}
    for case in cases:
        key = (case.typed, case.dose)
        if key in seen:
            raise CaseFileError(f"{case.file}: {case.typed!r} is also a case in {seen[key]}")
        seen[key] = case.file
    return cases


CASES = _load_cases()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(reason=case.known_gap, strict=True)]
            if case.known_gap else [],
        )
        for case in CASES
    ],
)
def test_medication_case(case: MedCase) -> None:
    result = review([(case.typed, case.dose)])
    if not case.recognised:
        assert result.recognised == ()
        assert result.unrecognised == (case.typed,)
        return
    assert result.unrecognised == (), f"{case.typed!r} not recognised"
    (match,) = result.recognised
    assert match.entered == case.typed
    assert match.read_as == case.read_as
    assert match.generics == case.generics
    assert case.has <= match.classes, f"missing {sorted(case.has - match.classes)}"
    assert not case.lacks & match.classes, f"should not have {sorted(case.lacks & match.classes)}"
    if case.classes is not None:
        assert match.classes == case.classes
    if case.route is not None:
        assert match.route == case.route
    if case.otc is not None:
        assert over_the_counter(match) is case.otc
    if case.dose_mg is not None:
        assert match.dose_mg == case.dose_mg
    for generic, mg in case.doses.items():
        assert match.dose_of(generic) == pytest.approx(mg)


def test_every_case_file_has_cases() -> None:
    files = {path.name for path in CASES_DIR.glob("*.toml")}
    assert files, "no case files"
    assert files == {case.file for case in CASES}


_GOOD_CASE = 'typed = "Zocor"\ngenerics = ["simvastatin"]\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(f"[[case]]\n{_GOOD_CASE}generic = ['x']\n", r"unknown key \['generic'\]",
                     id="unknown key"),
        pytest.param(f"[[case]]\n{_GOOD_CASE}has_class = ['statin']\n",
                     r"unknown key \['has_class'\]", id="misspelt key"),
        pytest.param(f"[[case]]\n{_GOOD_CASE}lacks = ['nsiad']\n", r"\['nsiad'\] are not classes",
                     id="unknown class"),
        pytest.param(f"[[case]]\n{_GOOD_CASE}route = 'topical'\n", "route 'topical'",
                     id="unknown route"),
        pytest.param(f"[[case]]\n{_GOOD_CASE}otc = 'yes'\n", "'otc' must be true or false",
                     id="otc as text"),
        pytest.param(f"[[case]]\n{_GOOD_CASE}dose_mg = 40\n", "'dose_mg' must be a number",
                     id="dose without decimal point"),
        pytest.param(f"[[case]]\n{_GOOD_CASE}doses = {{ simvastatine = 40.0 }}\n", "'doses' maps",
                     id="dose of an ingredient not in the case"),
        pytest.param("[[case]]\ntyped = 'Zocor'\nhas = ['statin']\n", "needs 'generics'",
                     id="no generics"),
        pytest.param("[[case]]\ntyped = 'none'\nrecognised = false\ngenerics = ['x']\n",
                     r"an unrecognised case has no \[.generics.\]",
                     id="unrecognised with generics"),
        pytest.param("[[cases]]\ntyped = 'Zocor'\n", "holds only", id="misspelt table"),
        pytest.param("[[case]]\nname = 'Zocor'\n", "unknown key", id="no typed"),
    ],
)
def test_a_case_file_typo_is_refused(text: str, message: str) -> None:
    assert _read_cases("typo.toml", f"[[case]]\n{_GOOD_CASE}") != []
    with pytest.raises(CaseFileError, match=message) as raised:
        _read_cases("typo.toml", text)
    assert str(raised.value).startswith("typo.toml")


@pytest.mark.parametrize(
    ("name", "generic", "dose_mg"),
    [
        ("zocor 40MG", "simvastatin", 40.0),
        ("ZOCOR", "simvastatin", None),
        ("  Lipitor ", "atorvastatin", None),
        ("Atorvastatin Calcium 20 mg", "atorvastatin", 20.0),
        ("Crestor(10mg)", "rosuvastatin", 10.0),
        ("crestor10mg", "rosuvastatin", 10.0),
        ("SIMVASTATIN  20 MG", "simvastatin", 20.0),
        ("Lipitor (atorvastatin)", "atorvastatin", None),
        ("Zocor® 20 mg", "simvastatin", 20.0),
        ("Lipitor™", "atorvastatin", None),
        ("simvastatin tablets", "simvastatin", None),
        ("Naproxen Sodium 220mg", "naproxen", 220.0),
        ("diclofenac potassium", "diclofenac", None),
        ("Tramadol HCl 50 mg", "tramadol", 50.0),
        ("metoprolol succinate; amlodipine besylate 5 mg", "amlodipine", 5.0),
        ("zolpidem tartrate", "zolpidem", None),
        ("Enalapril Maleate", "enalapril", None),
        ("Oxycodone Hydrochloride 5 mg", "oxycodone", 5.0),
        ("morphine sulfate 15 mg", "morphine", 15.0),
        ("Ibuprofen 200 mg/5 ml suspension", "ibuprofen", 200.0),
        ("oramorph 10mg/5ml", "morphine", 10.0),
        ("Cardizem LA 240", "diltiazem", None),
        ("Wellbutrin; Celexa", "citalopram", None),
    ],
)
def test_tolerant_of_case_spacing_dose_and_salt(
    name: str, generic: str, dose_mg: float | None
) -> None:
    match = _match(name)
    assert generic in match.generics
    assert match.dose_mg == dose_mg


@pytest.mark.parametrize(
    ("name", "generics"),
    [
        ("esomeprazole magnesium", ("esomeprazole",)),
        ("Omeprazole Magnesium 20 mg", ("omeprazole",)),
        ("pitavastatin magnesium", ("pitavastatin",)),
        ("losartan potassium", ("losartan",)),
        ("losartan potassium/hydrochlorothiazide", ("hydrochlorothiazide", "losartan")),
        ("docusate sodium", ("docusate",)),
    ],
)
def test_salt_words_after_a_drug_are_not_ingredients(name: str, generics: tuple[str, ...]) -> None:
    match = _match(name)
    assert match.generics == generics
    assert "magnesium" not in match.classes


@pytest.mark.parametrize(
    ("name", "generics"),
    [
        ("Norco 10/325", ("acetaminophen", "hydrocodone")),
        ("Percocet 5/325", ("acetaminophen", "oxycodone")),
        ("Vytorin 10/40", ("ezetimibe", "simvastatin")),
        ("Caduet", ("amlodipine", "atorvastatin")),
        ("Excedrin Extra Strength", ("acetaminophen", "aspirin", "caffeine")),
        ("Vimovo", ("esomeprazole", "naproxen")),
        ("Paxlovid", ("nirmatrelvir", "ritonavir")),
        ("Tylenol with Codeine #3", ("acetaminophen", "codeine")),
        ("Tylenol #3", ("acetaminophen", "codeine")),
        ("Tylenol No. 4", ("acetaminophen", "codeine")),
        ("acetaminophen/codeine", ("acetaminophen", "codeine")),
        ("hydrocodone bitartrate and acetaminophen", ("acetaminophen", "hydrocodone")),
        ("oxycodone-APAP", ("acetaminophen", "oxycodone")),
        ("Fosamax Plus D 70 mg/2800 IU", ("alendronate", "cholecalciferol")),
    ],
)
def test_combination_products_give_every_ingredient(name: str, generics: tuple[str, ...]) -> None:
    assert _match(name).generics == generics


def test_combination_classes_are_the_union() -> None:
    assert _match("Norco").classes == {"opioid", "acetaminophen", "cns_active"}
    assert _match("Excedrin").classes == {"acetaminophen", "antiplatelet", "nsaid"}
    protease_inhibitor = {
        "hiv_protease_inhibitor", "strong_cyp3a4_inhibitor", "cyp3a4_pgp_inhibitor"
    }
    assert _match("Paxlovid").classes == protease_inhibitor
    assert _match("Caduet").classes == {"statin", "simvastatin_limit_20"}
    assert _match("amiodarone").classes == {"amiodarone", "simvastatin_limit_20"}
    assert _match("diltiazem").classes == {"simvastatin_limit_10", "cyp3a4_pgp_inhibitor"}
    assert _match("ritonavir").classes == protease_inhibitor


@pytest.mark.parametrize(
    ("name", "dose", "route"),
    [
        # Local: acts where applied
        ("Voltaren gel", None, "local"),
        ("Voltaren Emulgel", None, "local"),
        ("Pennsaid", None, "local"),
        ("diclofenac 1% gel", None, "local"),
        ("ibuprofen cream", None, "local"),
        ("Ibuprofen 5% Gel", None, "local"),
        ("Flector patch", None, "local"),
        ("Flector", None, "local"),
        ("diclofenac patch", None, "local"),
        ("lidocaine 5% patch", None, "local"),
        ("Lidoderm", None, "local"),
        ("Voltaren", "apply gel four times a day", "local"),
        ("ciprofloxacin eye drops", None, "local"),
        ("ofloxacin ear drops", None, "local"),
        ("ciprofloxacin ophthalmic solution", None, "local"),
        ("Ciloxan", None, "local"),
        ("Ciprodex", None, "local"),
        ("hydrocortisone 1% cream", None, "local"),
        ("ketoconazole 2% cream", None, "local"),
        ("Nizoral shampoo", None, "local"),
        ("Flonase", None, "local"),
        ("fluticasone", None, "local"),
        ("Flovent HFA", "2 puffs twice daily", "local"),
        ("Pulmicort", None, "local"),
        ("Pulmicort (budesonide)", None, "local"),
        ("budesonide inhaler", None, "local"),
        ("budesonide", "nebulised 0.5 mg twice daily", "local"),
        ("beclometasone nasal spray", None, "local"),
        # Transdermal: a patch or gel made for a systemic dose
        ("Duragesic 25 mcg/hr", None, "transdermal"),
        ("fentanyl patch", "25 mcg/hr", "transdermal"),
        ("Butrans", None, "transdermal"),
        ("buprenorphine", "1 patch weekly", "transdermal"),
        ("estradiol patch", None, "transdermal"),
        ("estradiol gel", None, "transdermal"),
        ("Divigel", None, "transdermal"),
        ("Climara", None, "transdermal"),
        # Oral
        ("Voltaren", "50 mg three times a day", "oral"),
        ("diclofenac", None, "oral"),
        ("Cipro 500 mg", None, "oral"),
        ("Nizoral", None, "oral"),
        ("budesonide 9 mg", None, "oral"),
        ("Pulmicort and prednisone", None, "oral"),
        # Other: injection, infusion, suppository, rectal, vaginal; systemic
        # drugs that only look local (fentanyl or ketorolac nasal spray)
        ("Keytruda", None, "other"),
        ("Lovenox", None, "other"),
        ("methylprednisolone injection", None, "other"),
        ("vitamin D", "IM injection 300,000 IU", "other"),
        ("diclofenac suppository", None, "other"),
        ("hydrocortisone rectal foam", None, "other"),
        ("Vagifem", None, "other"),
        ("fentanyl nasal spray", None, "other"),
        ("midazolam nasal spray", None, "other"),
        ("ketorolac nasal spray", None, "other"),
    ],
)
def test_route(name: str, dose: str | None, route: str) -> None:
    assert _match(name, dose).route == route


@pytest.mark.parametrize(
    ("name", "dose", "generics"),
    [
        ("ciprofloxacin eye drops", None, ("ciprofloxacin",)),
        ("Ciloxan", None, ("ciprofloxacin",)),
        ("Ciprodex", None, ("ciprofloxacin", "dexamethasone")),
        ("hydrocortisone 1% cream", None, ("hydrocortisone",)),
        ("Flonase", None, ("fluticasone",)),
        ("Flixonase", None, ("fluticasone",)),
        ("Flovent", None, ("fluticasone",)),
        ("Pulmicort", None, ("budesonide",)),
        ("Rhinocort", None, ("budesonide",)),
        ("Nasonex", None, ("mometasone",)),
        ("Qvar", None, ("beclomethasone",)),
        ("Maxidex", None, ("dexamethasone",)),
        ("budesonide inhaler", None, ("budesonide",)),
        ("Nizoral shampoo", None, ("ketoconazole",)),
        ("ketoconazole 2% cream", None, ("ketoconazole",)),
        ("dexamethasone eye drops", None, ("dexamethasone",)),
        ("erythromycin ointment", None, ("erythromycin",)),
        ("lidocaine patch", None, ("lidocaine",)),
    ],
)
def test_local_products_keep_no_systemic_class(
    name: str, dose: str | None, generics: tuple[str, ...]
) -> None:
    match = _match(name, dose)
    assert match.generics == generics  # still shown to the clinician
    assert match.classes == frozenset()
    assert match.route == "local"


@pytest.mark.parametrize(
    ("name", "dose", "med_class", "route"),
    [
        ("Cipro 500 mg", None, "fluoroquinolone", "oral"),
        ("ciprofloxacin", "500 mg twice daily", "fluoroquinolone", "oral"),
        ("levofloxacin infusion", None, "fluoroquinolone", "other"),
        ("prednisone 10 mg", None, "glucocorticoid", "oral"),
        ("hydrocortisone 20 mg", None, "glucocorticoid", "oral"),
        ("budesonide 9 mg", None, "glucocorticoid", "oral"),
        ("Entocort", None, "glucocorticoid", "oral"),
        ("triamcinolone injection", None, "glucocorticoid", "other"),
        ("hydrocortisone suppository", None, "glucocorticoid", "other"),
        ("ketoconazole 200 mg", None, "strong_cyp3a4_inhibitor", "oral"),
        ("Nizoral", None, "strong_cyp3a4_inhibitor", "oral"),
        ("Duragesic 25 mcg/hr", None, "opioid", "transdermal"),
        ("Butrans 10 mcg/hr", None, "opioid", "transdermal"),
        ("fentanyl nasal spray", None, "opioid", "other"),
        ("estradiol patch", None, "oestrogen", "transdermal"),
        ("Estrogel", None, "oestrogen", "transdermal"),
        ("Xulane", None, "oestrogen", "transdermal"),
        ("estradiol vaginal cream", None, "oestrogen", "other"),
        ("ketorolac nasal spray", None, "nsaid", "other"),
    ],
)
def test_systemic_products_keep_their_classes(
    name: str, dose: str | None, med_class: MedClass, route: str
) -> None:
    match = _match(name, dose)
    assert med_class in match.classes
    assert match.route == route


def test_local_and_systemic_forms_of_one_drug() -> None:
    assert "glucocorticoid" not in _match("hydrocortisone 1% cream").classes
    assert "glucocorticoid" in _match("prednisone 10 mg").classes
    assert "glucocorticoid" not in _match("Flonase").classes
    assert "strong_cyp3a4_inhibitor" not in _match("Nizoral shampoo").classes
    assert "strong_cyp3a4_inhibitor" in _match("ketoconazole 200 mg").classes
    assert "fluoroquinolone" not in _match("ciprofloxacin eye drops").classes
    assert "fluoroquinolone" in _match("Cipro 500 mg").classes


@pytest.mark.parametrize(
    "name",
    [
        "Voltaren gel",
        "diclofenac 1% gel",
        "ibuprofen cream",
        "Pennsaid",
        "Flector",
        "Flector patch",
        "diclofenac patch",
        "Ibuleve",
        "ketoprofen gel",
    ],
)
def test_topical_nsaid_is_not_an_oral_nsaid(name: str) -> None:
    match = _match(name)
    assert match.classes == {"topical_nsaid"}
    assert match.route == "local"


@pytest.mark.parametrize(
    ("name", "dose"),
    [
        ("aspirin 81 mg", None),
        ("Aspirin", "81 mg daily"),
        ("aspirin 75mg", None),
        ("aspirin", "100 mg"),
        ("baby aspirin", None),
        ("Baby Aspirin", "1 tablet"),
        ("low dose aspirin", None),
        ("aspirin 81", None),
        ("Ecotrin 81 mg", None),
        ("Aggrenox", None),
    ],
)
def test_low_dose_aspirin_is_antiplatelet_only(name: str, dose: str | None) -> None:
    classes = _match(name, dose).classes
    assert "antiplatelet" in classes
    assert "nsaid" not in classes


@pytest.mark.parametrize(
    ("name", "dose"),
    [("aspirin 325 mg", None), ("aspirin", "325 mg"), ("Disprin", "300 mg"), ("aspirin", None)],
)
def test_analgesic_aspirin_is_an_nsaid(name: str, dose: str | None) -> None:
    assert _match(name, dose).classes == {"antiplatelet", "nsaid"}


@pytest.mark.parametrize(
    "name", ["Tylenol", "Tylenol 500 mg", "Tylenol 4 times a day", "Tylenol PM"]
)
def test_plain_tylenol_has_no_codeine(name: str) -> None:
    match = _match(name)
    assert "codeine" not in match.generics
    assert "opioid" not in match.classes


def test_low_dose_aspirin_does_not_hide_another_nsaid() -> None:
    assert "nsaid" in _match("aspirin 81 mg + ibuprofen").classes


@pytest.mark.parametrize(
    ("name", "dose", "dose_mg"),
    [
        ("simvastatin", "40 mg daily", 40.0),
        ("paracetamol", "1 g", 1000.0),
        ("paracetamol", "1g four times a day", 1000.0),
        ("acetaminophen", "1,000 mg", 1000.0),
        ("colchicine", "0.5 mg", 0.5),
        ("colchicine", ".5mg", 0.5),
        ("colchicine", "0,5 mg", 0.5),
        ("simvastatin", None, None),
        ("simvastatin", "", None),
        ("simvastatin", "one at night", None),
        ("fentanyl patch", "25 mcg/hr", None),
        ("Zocor 40mg", None, 40.0),
        ("Zocor 40mg", "20 mg", 20.0),  # the dose argument wins over the name
        ("Zocor 40mg", "one at night", 40.0),  # no mg in the dose text: the name's
    ],
)
def test_dose_parsing(name: str, dose: str | None, dose_mg: float | None) -> None:
    assert _match(name, dose).dose_mg == dose_mg


@pytest.mark.parametrize(
    "name",
    ["Zzzfakeol", "", "   ", "statin", "Nystatinx", "vitamin", "calcium", "tablet 40 mg", "-"],
)
def test_unknown_names_are_not_recognised(name: str) -> None:
    assert identify(name) is None


@pytest.mark.parametrize("name", ["nystatin", "Nystatin oral suspension", "nystatin cream"])
def test_nystatin_is_never_a_statin(name: str) -> None:
    match = _match(name)
    assert match.generics == ("nystatin",)
    assert match.classes == frozenset()


def test_tamoxifen_is_not_an_oestrogen() -> None:
    assert "oestrogen" not in _match("tamoxifen 20 mg").classes
    assert "oestrogen" not in _match("Nolvadex").classes


def test_review_keeps_input_order_and_never_drops_a_name() -> None:
    meds: list[tuple[str, str | None]] = [
        ("Zzzfakeol", None),
        ("Zocor", "40 mg"),
        ("", None),
        ("Norco", "1 tablet"),
        ("   ", "5 mg"),
        ("nystatin", None),
        ("Wonderpill 5mg", None),
        ("Lipitor", None),
    ]
    result = review(meds)
    assert [m.entered for m in result.recognised] == ["Zocor", "Norco", "nystatin", "Lipitor"]
    assert result.unrecognised == ("Zzzfakeol", "", "   ", "Wonderpill 5mg")
    assert len(result.recognised) + len(result.unrecognised) == len(meds)
    assert result.recognised[0].dose_mg == 40.0


def test_review_accepts_any_iterable_and_empty_input() -> None:
    assert review(iter([("Zocor", None)])).recognised[0].generics == ("simvastatin",)
    empty = review([])
    assert empty.recognised == ()
    assert empty.unrecognised == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Zocor® 40 mg", "zocor"),
        ("SIMVASTATIN  20 MG", "simvastatin"),
        ("Lipitor (atorvastatin)", "lipitor atorvastatin"),
        ("Crestor(10mg)", "crestor"),
        ("morphine 0.5 mg/ml", "morphine"),
        ("diclofenac 1% gel", "diclofenac gel"),
        ("Effexor-XR", "effexor"),
        ("Paxil CR", "paxil"),
        ("Ambien ER", "ambien"),
        ("Lamictal ODT", "lamictal"),
        ("Bactrim DS", "bactrim"),
        ("Cardizem LA", "cardizem"),
        ("Tylenol with Codeine #3", "tylenol with codeine no 3"),
        ("Tylenol # 4", "tylenol no 4"),
        ("Norco 10/325", "norco 10 325"),
        ("Vitamin D3 1,000 IU", "vitamin d3"),
        ("  ", ""),
    ],
)
def test_normalise_name(name: str, expected: str) -> None:
    assert normalise_name(name) == expected


@pytest.mark.parametrize("med_class", CLASSES)
def test_every_class_is_produced_by_a_known_name(med_class: MedClass) -> None:
    # Every name the vocabulary files define (generics, aliases, brands), as written there.
    known_names = sorted(VOCABULARY.display.values())
    producers = [name for name in known_names if med_class in _match(name).classes]
    assert producers, f"no known name gives {med_class}"


def test_class_labels_read_as_a_clinician_writes_them() -> None:
    # Sorted, unique, one label each and lower-case generics are the loader's checks
    # (tests/test_medication_vocabulary.py refuses files that break them).
    assert CLASS_LABELS["strong_cyp3a4_inhibitor"] == "strong CYP3A4 inhibitor"
    assert CLASS_LABELS["statin"] == "statin"


def test_every_generic_identifies_itself() -> None:
    for generic in GENERICS:
        assert _match(generic).generics == (generic,)


# Brand -> generic -> class facts a pharmacist would check, each for its own clinical
# reason (not a copy of the vocabulary's table): (name typed, ingredients, classes it must
# carry). The classes named are what the safety rules read.
CLINICAL_FACTS = [
    pytest.param("Zocor", ("simvastatin",), {"statin"}, id="simvastatin-is-a-statin"),
    pytest.param("Biaxin", ("clarithromycin",), {"strong_cyp3a4_inhibitor",
                 "cyp3a4_pgp_inhibitor"}, id="clarithromycin-raises-simvastatin-and-colchicine"),
    pytest.param("Sporanox", ("itraconazole",), {"strong_cyp3a4_inhibitor"},
                 id="itraconazole-strong-cyp3a4"),
    pytest.param("Norvir", ("ritonavir",), {"strong_cyp3a4_inhibitor", "hiv_protease_inhibitor"},
                 id="ritonavir-booster"),
    pytest.param("Paxlovid", ("nirmatrelvir", "ritonavir"), {"strong_cyp3a4_inhibitor"},
                 id="paxlovid-carries-its-ritonavir"),
    pytest.param("Diflucan", ("fluconazole",), {"cyp3a4_pgp_inhibitor"},
                 id="fluconazole-moderate-cyp3a4-colchicine"),
    pytest.param("Calan", ("verapamil",), {"simvastatin_limit_10", "cyp3a4_pgp_inhibitor"},
                 id="verapamil-simvastatin-10mg"),
    pytest.param("Norvasc", ("amlodipine",), {"simvastatin_limit_20"},
                 id="amlodipine-simvastatin-20mg"),
    pytest.param("Cordarone", ("amiodarone",), {"amiodarone", "simvastatin_limit_20"},
                 id="amiodarone-simvastatin-20mg"),
    pytest.param("Neoral", ("cyclosporine",), {"cyclosporine", "cyp3a4_pgp_inhibitor"},
                 id="ciclosporin-with-statins"),
    pytest.param("Coumadin", ("warfarin",), {"anticoagulant", "warfarin"},
                 id="warfarin-is-an-anticoagulant"),
    pytest.param("Eliquis", ("apixaban",), {"anticoagulant"}, id="apixaban-doac"),
    pytest.param("Aleve", ("naproxen",), {"nsaid"}, id="naproxen-nsaid"),
    pytest.param("Celebrex", ("celecoxib",), {"nsaid"}, id="celecoxib-cox2-is-still-an-nsaid"),
    pytest.param("Cipro", ("ciprofloxacin",), {"fluoroquinolone", "strong_cyp1a2_inhibitor"},
                 id="ciprofloxacin-tendon-and-tizanidine"),
    pytest.param("Luvox", ("fluvoxamine",), {"ssri_snri", "serotonergic",
                 "strong_cyp1a2_inhibitor"}, id="fluvoxamine-ssri-and-cyp1a2"),
    pytest.param("Cymbalta", ("duloxetine",), {"ssri_snri", "serotonergic", "antidepressant"},
                 id="duloxetine-snri"),
    pytest.param("Paxil", ("paroxetine",), {"ssri_snri", "strong_anticholinergic"},
                 id="paroxetine-anticholinergic-ssri"),
    pytest.param("Elavil", ("amitriptyline",), {"tricyclic", "serotonergic",
                 "strong_anticholinergic"}, id="amitriptyline-tricyclic"),
    pytest.param("Ultram", ("tramadol",), {"opioid", "serotonergic"},
                 id="tramadol-opioid-and-serotonergic"),
    pytest.param("Imitrex", ("sumatriptan",), {"triptan", "serotonergic"},
                 id="sumatriptan-triptan"),
    pytest.param("Zyvox", ("linezolid",), {"serotonergic"}, id="linezolid-weak-maoi"),
    pytest.param("Nardil", ("phenelzine",), {"maoi", "serotonergic", "antidepressant"},
                 id="phenelzine-maoi"),
    pytest.param("Depakote", ("divalproex",), {"valproate", "antiepileptic"},
                 id="divalproex-valproate-teratogen"),
    pytest.param("Accutane", ("isotretinoin",), {"isotretinoin", "retinoid"},
                 id="isotretinoin-retinoid-teratogen"),
    pytest.param("Trexall", ("methotrexate",), {"methotrexate"}, id="methotrexate"),
    pytest.param("Lyrica", ("pregabalin",), {"gabapentinoid", "cns_active"},
                 id="pregabalin-gabapentinoid"),
    pytest.param("Flexeril", ("cyclobenzaprine",), {"muscle_relaxant",
                 "strong_anticholinergic"}, id="cyclobenzaprine-beers-relaxant"),
    pytest.param("Soma", ("carisoprodol",), {"muscle_relaxant", "cns_active"},
                 id="carisoprodol-relaxant"),
    pytest.param("Xanax", ("alprazolam",), {"benzodiazepine", "cns_active"},
                 id="alprazolam-benzodiazepine"),
    pytest.param("Ambien", ("zolpidem",), {"z_drug", "cns_active"}, id="zolpidem-z-drug"),
    pytest.param("Seroquel", ("quetiapine",), {"antipsychotic", "cns_active"},
                 id="quetiapine-antipsychotic"),
    pytest.param("Vistaril", ("hydroxyzine",), {"antihistamine_sedating",
                 "strong_anticholinergic"}, id="hydroxyzine-first-generation-antihistamine"),
    pytest.param("Tylenol PM", ("acetaminophen", "diphenhydramine"), {"acetaminophen",
                 "antihistamine_sedating"}, id="pm-product-hides-diphenhydramine"),
    pytest.param("Plaquenil", ("hydroxychloroquine",), {"hydroxychloroquine"},
                 id="hydroxychloroquine-myopathy"),
    pytest.param("Keytruda", ("pembrolizumab",), {"checkpoint_inhibitor"},
                 id="pembrolizumab-immune-myositis"),
    pytest.param("Aromasin", ("exemestane",), {"aromatase_inhibitor"},
                 id="exemestane-aromatase-arthralgia"),
    pytest.param("Fosamax", ("alendronate",), {"bisphosphonate"},
                 id="alendronate-bisphosphonate-pain"),
    pytest.param("Lasix", ("furosemide",), {"diuretic"}, id="furosemide-loop-diuretic"),
    pytest.param("Prilosec", ("omeprazole",), {"ppi"}, id="omeprazole-ppi-magnesium"),
]


@pytest.mark.parametrize(("name", "generics", "classes"), CLINICAL_FACTS)
def test_clinical_class_facts(name: str, generics: tuple[str, ...], classes: set[str]) -> None:
    match = _match(name)
    assert match.generics == generics
    assert classes <= match.classes, f"{name}: missing {classes - match.classes}"


NEW_CLASSES: tuple[MedClass, ...] = (
    "antidepressant",
    "antiepileptic",
    "antihistamine_sedating",
    "cns_active",
    "cyp3a4_pgp_inhibitor",
    "maoi",
    "methotrexate",
    "retinoid",
    "serotonergic",
    "strong_anticholinergic",
    "strong_cyp1a2_inhibitor",
    "triptan",
    "valproate",
    "warfarin",
)


def test_the_new_class_names_exist() -> None:
    # That each has a member is test_every_class_is_produced_by_a_known_name.
    assert set(NEW_CLASSES) <= set(CLASSES)


# A drug keeps its older classes when it joins a new one.
@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("tramadol", {"opioid", "serotonergic", "cns_active"}),
        ("fentanyl", {"opioid", "serotonergic"}),
        ("sertraline", {"ssri_snri", "serotonergic", "antidepressant", "cns_active"}),
        ("fluvoxamine", {"ssri_snri", "strong_cyp1a2_inhibitor", "serotonergic"}),
        ("ciprofloxacin", {"fluoroquinolone", "strong_cyp1a2_inhibitor"}),
        ("isotretinoin", {"isotretinoin", "retinoid"}),
        ("warfarin", {"anticoagulant", "warfarin"}),
        ("Coumadin", {"anticoagulant", "warfarin"}),
        ("clarithromycin", {"strong_cyp3a4_inhibitor", "cyp3a4_pgp_inhibitor"}),
        ("verapamil", {"simvastatin_limit_10", "cyp3a4_pgp_inhibitor"}),
        ("cyclosporine", {"cyclosporine", "cyp3a4_pgp_inhibitor"}),
        ("amitriptyline", {"tricyclic", "serotonergic", "antidepressant",
                           "strong_anticholinergic", "cns_active"}),
        ("paroxetine", {"ssri_snri", "strong_anticholinergic", "serotonergic"}),
        ("cyclobenzaprine", {"muscle_relaxant", "strong_anticholinergic", "cns_active"}),
        ("gabapentin", {"gabapentinoid", "cns_active"}),
        ("Depakote", {"valproate", "antiepileptic", "cns_active"}),
        ("phenelzine", {"maoi", "antidepressant", "serotonergic", "cns_active"}),
        ("Imitrex", {"triptan", "serotonergic"}),
        ("diphenhydramine", {"antihistamine_sedating", "strong_anticholinergic"}),
    ],
)
def test_new_classes_are_added_not_swapped(name: str, classes: set[str]) -> None:
    assert classes <= _match(name).classes


# Classes a drug must not carry: the lists are deliberate, not "anything nearby".
@pytest.mark.parametrize(
    ("name", "absent"),
    [
        ("gabapentin", {"antiepileptic", "antidepressant"}),
        ("bupropion", {"serotonergic"}),
        ("buspirone", {"antidepressant", "cns_active"}),
        ("rasagiline", {"antidepressant"}),
        ("lithium", {"antiepileptic", "antidepressant"}),
        ("linezolid", {"maoi", "antidepressant"}),
        ("fluconazole", {"strong_cyp3a4_inhibitor"}),
        ("levofloxacin", {"strong_cyp1a2_inhibitor"}),
        ("apixaban", {"warfarin"}),
        ("isotretinoin", {"valproate", "methotrexate"}),
        ("sertraline", {"strong_anticholinergic"}),
        ("hydrocodone", {"serotonergic"}),
        ("acetaminophen", {"cns_active", "serotonergic"}),
        ("quetiapine", {"antidepressant", "serotonergic"}),
    ],
)
def test_classes_a_drug_does_not_have(name: str, absent: set[str]) -> None:
    assert not absent & _match(name).classes


@pytest.mark.parametrize(
    ("name", "generics"),
    [
        ("levothyroxine", ("levothyroxine",)),
        ("Synthroid 100 mcg", ("levothyroxine",)),
        ("Levoxyl", ("levothyroxine",)),
        ("thyroxine", ("levothyroxine",)),
        ("metformin 500 mg", ("metformin",)),
        ("Glucophage XR", ("metformin",)),
        ("Janumet", ("metformin", "sitagliptin")),
        ("hydralazine", ("hydralazine",)),
        ("melatonin", ("melatonin",)),
        ("ZzzQuil Pure Zzzs", ("melatonin",)),
    ],
)
def test_known_without_a_class(name: str, generics: tuple[str, ...]) -> None:
    match = _match(name)
    assert match.generics == generics
    assert match.classes == frozenset()


@pytest.mark.parametrize(
    ("name", "analgesic"),
    [
        ("Tylenol PM", "acetaminophen"),
        ("Advil PM", "nsaid"),
        ("Motrin PM", "nsaid"),
        ("Aleve PM", "nsaid"),
        ("Excedrin PM", "nsaid"),
        ("Excedrin PM", "acetaminophen"),
        ("NyQuil", "acetaminophen"),
    ],
)
def test_pm_products_are_an_analgesic_and_a_sedating_antihistamine(
    name: str, analgesic: MedClass
) -> None:
    classes = _match(name).classes
    assert analgesic in classes
    assert {"antihistamine_sedating", "strong_anticholinergic"} <= classes


def test_a_plain_analgesic_is_not_a_pm_product() -> None:
    for name in ("Tylenol", "Advil", "Motrin", "Aleve", "Children's Tylenol"):
        assert "antihistamine_sedating" not in _match(name).classes, name


@pytest.mark.parametrize(
    ("name", "route"),
    [
        ("Benadryl cream", "local"),
        ("diphenhydramine 2% cream", "local"),
        ("Retin-A", "local"),
        ("tretinoin 0.05% cream", "local"),
        ("Panretin gel", "local"),
        ("ketoconazole shampoo", "local"),
        ("erythromycin eye ointment", "local"),
        ("doxepin cream", "local"),
    ],
)
def test_local_products_of_new_classes_keep_no_systemic_class(name: str, route: str) -> None:
    match = _match(name)
    assert match.route == route
    assert match.classes == frozenset()


@pytest.mark.parametrize(
    ("name", "route", "med_class"),
    [
        ("sumatriptan nasal spray", "other", "triptan"),
        ("Imitrex injection", "other", "serotonergic"),
        ("zolmitriptan nasal spray", "other", "serotonergic"),
        ("Emsam", "transdermal", "maoi"),
        ("selegiline patch", "transdermal", "maoi"),
        ("Otrexup", "other", "methotrexate"),
        ("tretinoin 10 mg capsules", "oral", "retinoid"),
        ("Toctino", "oral", "retinoid"),
    ],
)
def test_systemic_forms_of_new_classes_keep_them(
    name: str, route: str, med_class: MedClass
) -> None:
    match = _match(name)
    assert match.route == route
    assert med_class in match.classes


# --------------------------------------------------------------------------
# Counting drugs of a class (Beers 2023: 3 or more CNS-active drugs)
# --------------------------------------------------------------------------


def _review(*names: str) -> MedicationReview:
    return review((name, None) for name in names)


def test_count_with_class_counts_distinct_systemic_drugs() -> None:
    meds = _review("Zoloft", "sertraline 50 mg", "Norco", "Flexeril", "Tylenol", "Lipitor")
    # sertraline (twice, counted once), hydrocodone, cyclobenzaprine
    assert meds.count_with_class("cns_active") == 3
    assert meds.count_with_class("opioid") == 1
    assert meds.count_with_class("statin") == 1
    assert meds.count_with_class("maoi") == 0


def test_count_with_class_counts_each_ingredient_of_a_combination() -> None:
    assert _review("Symbyax").count_with_class("cns_active") == 2  # fluoxetine, olanzapine
    assert _review("Norco").count_with_class("cns_active") == 1  # not the acetaminophen


def test_count_with_class_skips_local_products() -> None:
    meds = _review("diclofenac gel", "doxepin cream", "Benadryl cream", "ibuprofen")
    assert meds.count_with_class("nsaid") == 1
    assert meds.count_with_class("topical_nsaid") == 0  # local products never count
    assert meds.count_with_class("strong_anticholinergic") == 0
    assert _review().count_with_class("cns_active") == 0


def test_count_with_class_skips_low_dose_aspirin_as_an_nsaid() -> None:
    meds = review([("aspirin", "81 mg"), ("Advil PM", None)])
    assert meds.count_with_class("nsaid") == 1
    assert meds.count_with_class("antiplatelet") == 1
    assert meds.count_with_class("antihistamine_sedating") == 1


# --------------------------------------------------------------------------
# Misspellings: read as a near name, flagged, never silent
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "generics", "read_as"),
    [
        ("Lipiter", ("atorvastatin",), "Lipitor"),
        ("Lipiter 20 mg", ("atorvastatin",), "Lipitor"),
        ("ibuprophen", ("ibuprofen",), "ibuprofen"),
        ("asprin", ("aspirin",), "aspirin"),
        ("acetominophen", ("acetaminophen",), "acetaminophen"),
        ("simvastatn", ("simvastatin",), "simvastatin"),
        ("atorvastatn", ("atorvastatin",), "atorvastatin"),
        ("sertaline", ("sertraline",), "sertraline"),
        ("tramadal", ("tramadol",), "tramadol"),
        ("hydroxizine", ("hydroxyzine",), "hydroxyzine"),
        ("paracetamoll", ("acetaminophen",), "paracetamol"),
        ("Tylenl PM", ("acetaminophen", "diphenhydramine"), "Tylenol PM"),
        ("Depakot", ("divalproex",), "Depakote"),
    ],
)
def test_misspelling_is_read_as_the_near_name(
    entered: str, generics: tuple[str, ...], read_as: str
) -> None:
    result = review([(entered, None)])
    assert result.unrecognised == ()
    (match,) = result.recognised
    assert match.entered == entered
    assert match.generics == generics
    assert match.read_as == read_as


def test_a_misspelling_gets_the_classes_and_route_of_its_reading() -> None:
    (statin,) = review([("Lipiter", "40 mg")]).recognised
    assert statin.classes == {"statin"}
    assert statin.dose_mg == 40.0
    (gel,) = review([("ibuprophen gel", None)]).recognised
    assert gel.route == "local"
    assert gel.classes == {"topical_nsaid"}
    (low_dose,) = review([("asprin", "81 mg")]).recognised
    assert low_dose.classes == {"antiplatelet"}


@pytest.mark.parametrize(
    "name",
    [
        "vitamin",
        "vitamins",
        "fish oil",
        "water",
        "bread",
        "tea",
        "unknown pill",
        "xyz",
        "creams",
        "proton pump inhibitor",  # "proton" is not Protonix
        "gabapentinoid",  # a class word, not gabapentin
        "turmeric",
        "glucosamine",
        "multivitamin",
        "insulin",
        "Zzzfakeol",
        "Advl",  # too short to guess
        "Zanax",  # a different first letter is not guessed
        "Zocer",  # one letter changed in a five-letter name is too little to go on
        "clorazepam",  # as close to lorazepam as to clonazepam
        "Depakone",  # as close to Depakene as to Depakote
        "nioral",  # as few edits from Neoral as from Nizoral
    ],
)
def test_unrelated_or_ambiguous_words_are_not_read_as_a_drug(name: str) -> None:
    result = review([(name, None)])
    assert result.recognised == ()
    assert result.unrecognised == (name,)


@pytest.mark.parametrize(
    "name",
    ["hydroxyzine", "hydralazine", "lorazepam", "clonazepam", "Depakote", "Depakene",
     "Neoral", "Nizoral", "Celexa", "Celebrex", "Zyprexa"],
)
def test_an_exact_name_wins_over_a_similar_one(name: str) -> None:
    (match,) = review([(name, None)]).recognised
    assert match.read_as is None
    assert match.generics == _match(name).generics


def test_hydroxyzine_and_hydralazine_are_not_confused() -> None:
    hydroxyzine, hydralazine = review([("hydroxyzine", None), ("hydralazine", None)]).recognised
    assert hydroxyzine.generics == ("hydroxyzine",)
    assert hydralazine.generics == ("hydralazine",)
    assert "antihistamine_sedating" in hydroxyzine.classes
    assert hydralazine.classes == frozenset()


def test_identify_alone_stays_exact() -> None:
    assert identify("Lipiter") is None
    assert _match("Lipitor").read_as is None
    assert identify("Lipiter", fuzzy=True) == review([("Lipiter", None)]).recognised[0]


def test_misspelling_reading_is_deterministic() -> None:
    meds: list[tuple[str, str | None]] = [("Lipiter", None), ("asprin", "81 mg"), ("water", None)]
    first = review(meds)
    assert all(review(meds) == first for _ in range(5))
    assert review(reversed(meds)).recognised == tuple(reversed(first.recognised))


@given(st.text())
def test_fuzzy_identify_never_raises(text: str) -> None:
    match = identify(text, dose=text, fuzzy=True)
    if match is not None:
        assert set(match.generics) <= GENERICS
        assert match.classes <= set(CLASSES)
        if match.read_as is not None:
            assert identify(text, dose=text) is None


@pytest.mark.parametrize(
    ("alias", "generic"),
    [
        ("paracetamol", "acetaminophen"),
        ("APAP", "acetaminophen"),
        ("ciclosporin", "cyclosporine"),
        ("frusemide", "furosemide"),
        ("ethinyl estradiol", "ethinylestradiol"),
        ("colecalciferol", "cholecalciferol"),
        ("nicotinic acid", "niacin"),
        ("HCTZ", "hydrochlorothiazide"),
        ("indometacin", "indomethacin"),
        ("macrogol", "polyethylene glycol"),
    ],
)
def test_aliases_give_the_canonical_generic(alias: str, generic: str) -> None:
    assert _match(alias).generics == (generic,)
    assert alias.lower() not in GENERICS


@given(st.text())
def test_identify_never_raises(text: str) -> None:
    match = identify(text, dose=text)
    if match is not None:
        assert match.generics
        assert set(match.generics) <= GENERICS
        assert match.classes <= set(CLASSES)
        assert match.route in ("oral", "local", "transdermal", "other")
        assert tuple(g for g, _ in match.ingredient_doses) == match.generics
        if match.route == "local":
            assert match.classes <= {"topical_nsaid"}


@given(st.sampled_from(["Vytorin", "Norco", "Excedrin", "Zocor", "Arthrotec"]), st.text())
def test_identify_never_raises_on_any_dose_text(name: str, dose: str) -> None:
    match = _match(name, dose)
    assert tuple(g for g, _ in match.ingredient_doses) == match.generics
    for generic in match.generics:
        dose_mg = match.dose_of(generic)
        assert dose_mg is None or dose_mg >= 0


# --------------------------------------------------------------------------
# Per-ingredient doses
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dose", "expected"),
    [
        ("Vytorin", "10/40 mg", {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Vytorin 10 mg/40 mg", None, {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Vytorin 10mg / 40mg", None, {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Vytorin 10/40", None, {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Vytorin 10/20", "one at night", {"ezetimibe": 10.0, "simvastatin": 20.0}),
        ("Vytorin 10/20", "1/2 tablet", {"ezetimibe": 10.0, "simvastatin": 20.0}),
        ("Vytorin 10/20", "10/40 mg", {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Vytorin", "10/40 mg/day", {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Inegy", "10/80 mg", {"ezetimibe": 10.0, "simvastatin": 80.0}),
        ("Simcor", "500 mg/20 mg", {"niacin": 500.0, "simvastatin": 20.0}),
        ("Simcor 1000/40", None, {"niacin": 1000.0, "simvastatin": 40.0}),
        ("Advicor 500/20", None, {"lovastatin": 20.0, "niacin": 500.0}),
        ("Caduet 5/10", None, {"amlodipine": 5.0, "atorvastatin": 10.0}),
        ("Percocet 5/325", None, {"acetaminophen": 325.0, "oxycodone": 5.0}),
        ("Norco 10/325", None, {"acetaminophen": 325.0, "hydrocodone": 10.0}),
        ("Vicodin", "5/325 mg", {"acetaminophen": 325.0, "hydrocodone": 5.0}),
        ("Tylenol with Codeine", "300/30 mg", {"acetaminophen": 300.0, "codeine": 30.0}),
        ("Tylenol #3 300/30", None, {"acetaminophen": 300.0, "codeine": 30.0}),
        ("Co-codamol 30/500", None, {"acetaminophen": 500.0, "codeine": 30.0}),
        ("Vimovo 500/20", None, {"esomeprazole": 20.0, "naproxen": 500.0}),
        ("Arthrotec", "50/200 mcg", {"diclofenac": 50.0, "misoprostol": 0.2}),
        ("Arthrotec 75/200", None, {"diclofenac": 75.0, "misoprostol": 0.2}),
        ("Arthrotec 50 mg/200 mcg", None, {"diclofenac": 50.0, "misoprostol": 0.2}),
        ("Excedrin", "250/250/65 mg", {"acetaminophen": 250.0, "aspirin": 250.0, "caffeine": 65.0}),
        ("Paxlovid 300/100", None, {"nirmatrelvir": 300.0, "ritonavir": 100.0}),
        # Typed ingredient order counts as an order
        ("ezetimibe/simvastatin 10/40 mg", None, {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("simvastatin/ezetimibe 40/10 mg", None, {"ezetimibe": 10.0, "simvastatin": 40.0}),
        ("Vytorin (ezetimibe/simvastatin) 10/40", None, {"ezetimibe": 10.0, "simvastatin": 40.0}),
        # Unknown: the count does not match, or there is no order
        ("Vytorin", "40 mg", {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin 10/40", "40 mg", {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin", None, {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin 40", None, {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin 5-40", None, {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin", "1/2 tablet", {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin", "since 3/2020", {"ezetimibe": None, "simvastatin": None}),
        ("Vytorin", "10/40/80 mg", {"ezetimibe": None, "simvastatin": None}),
        ("Simcor", "20 mg/5 ml", {"niacin": 20.0, "simvastatin": None}),
        ("Excedrin 250/250", None, {"acetaminophen": None, "aspirin": None, "caffeine": None}),
        ("simvastatin/ezetimibe (Vytorin) 40/10", None, {"ezetimibe": None, "simvastatin": None}),
        ("Norco + Tylenol 5/325", None, {"acetaminophen": None, "hydrocodone": None}),
        ("Benicar HCT 20/12.5", None, {"hydrochlorothiazide": None, "olmesartan": None}),
    ],
)
def test_combination_ingredient_doses(
    name: str, dose: str | None, expected: dict[str, float | None]
) -> None:
    match = _match(name, dose)
    assert dict(match.ingredient_doses) == expected
    assert [g for g, _ in match.ingredient_doses] == sorted(expected)
    for generic, dose_mg in expected.items():
        assert match.dose_of(generic) == dose_mg


@pytest.mark.parametrize(
    ("name", "dose", "dose_mg"),
    [
        ("Vytorin", "10/40 mg", None),
        ("Vytorin 10 mg/40 mg", None, None),
        ("Norco 10/325", None, None),
        ("Vytorin", "40 mg", None),
        ("aspirin 81 mg + ibuprofen", None, None),
        # Only one ingredient's strength is known: that one
        ("Fosamax Plus D 70 mg/2800 IU", None, 70.0),
    ],
)
def test_combination_dose_mg(name: str, dose: str | None, dose_mg: float | None) -> None:
    assert _match(name, dose).dose_mg == dose_mg


@pytest.mark.parametrize(
    ("name", "dose", "generic", "dose_mg"),
    [
        ("Zocor", "40 mg", "simvastatin", 40.0),
        ("Zocor 20 mg", None, "simvastatin", 20.0),
        ("Zocor", None, "simvastatin", None),
        ("paracetamol", "1 g", "acetaminophen", 1000.0),
        ("Lipitor (atorvastatin) 20 mg", None, "atorvastatin", 20.0),
    ],
)
def test_single_ingredient_dose_of_is_dose_mg(
    name: str, dose: str | None, generic: str, dose_mg: float | None
) -> None:
    match = _match(name, dose)
    assert match.dose_of(generic) == dose_mg == match.dose_mg
    assert match.ingredient_doses == ((generic, dose_mg),)


def test_dose_of_an_absent_generic_is_none() -> None:
    assert _match("Zocor", "40 mg").dose_of("atorvastatin") is None
    assert _match("Vytorin", "10/40 mg").dose_of("niacin") is None
    assert _match("Vytorin", "10/40 mg").dose_of("") is None


def test_review_gives_per_ingredient_doses() -> None:
    result = review([("Vytorin", "10/40 mg"), ("Zocor", "20 mg")])
    assert [m.dose_of("simvastatin") for m in result.recognised] == [40.0, 20.0]


# --------------------------------------------------------------------------
# Through the engine: a misspelt drug is still checked, and shown to be checked
# --------------------------------------------------------------------------


def test_a_misspelt_statin_still_fires_the_statin_rules_and_is_shown_as_read() -> None:
    plan = build_plan(
        intake=make_intake({"history.medications": [
            {"name": "Zocorr", "dose": "40 mg nightly", "started": "2026-09-01"},
            {"name": "clarithromycn", "dose": "500 mg twice daily"},
            {"name": "turmeric", "dose": "500 mg daily"},
        ]}),
        today=TODAY,
    )
    fired = {a.id for a in plan.alerts} | {r.id for r in plan.recommendations}
    assert {"MED-STATIN-CONTRA", "MED-UNRECOGNISED"} <= fired
    assert "MED-STATIN-SAMS" in {w.id for w in plan.withheld}  # matched, held by the alert
    zocor, clarithromycin, turmeric = plan.medications
    assert (zocor.entered, zocor.read_as, zocor.generics) == ("Zocorr", "Zocor", ("simvastatin",))
    assert clarithromycin.read_as == "clarithromycin"
    assert (turmeric.recognised, turmeric.read_as) == (False, None)
    assert medication_reading(zocor) == "read as Zocor — check: simvastatin (statin)"
    assert medication_reading(turmeric) is None

    rows = next(b for b in clinician_summary(plan).blocks
                if isinstance(b, Table) and "Recognised as" in b.header).rows
    assert rows[0][0] == "Zocorr"
    assert rows[0][-1] == "read as Zocor — check: simvastatin (statin)"
    assert rows[2][-1] == "NOT RECOGNISED: check by hand"
    assert "Zocorr 40 mg nightly 2026-09-01 read as Zocor — check: simvastatin (statin)" in (
        flat(text_of(clinician_pdf(plan)))
    )


def test_an_exact_name_is_shown_without_read_as() -> None:
    plan = build_plan(intake=make_intake(), today=TODAY)
    assert plan.medications
    assert all(line.read_as is None for line in plan.medications)
    assert medication_reading(plan.medications[0]) == "atorvastatin (statin)"
    assert medication_reading(plan.medications[0], classes=False) == "atorvastatin"
