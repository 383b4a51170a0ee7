"""Load the rule files and refuse anything the engine could silently ignore.

Each ``*.toml`` file beside this module holds ``[[rule]]`` tables, except
``topics.toml`` (the closed vocabulary of topics and stances) and
``handout.toml`` (the fixed lines of the handout) and the vocabulary files
(``layout.toml``, ``purposes.toml``, ``glossary.toml``, ``locales.toml``). The
loader checks ids, facts, operators, values, ``because`` references, lab names,
sources (guideline and year), the topics and stances each text declares (and
that its words declare no more) and the patient-text safety rules, in English
and in Spanish (``wording.py``): every patient text is written in both, and a
rule lacking either language fails at start-up instead of never firing, or
contradicting another, in clinic.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Annotated, Any, Final, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from careplan import cache
from careplan.clinical.facts import CATALOGUE, SECOND_STAGE
from careplan.clinical.plan import Domain, Severity, Timeframe
from careplan.clinical.rules.conditions import (
    Condition,
    Test,
    compile_condition,
    compile_test,
    facts_read,
)
from careplan.clinical.rules.topics import (
    FixedText,
    Speaks,
    Topic,
    check_speaks,
    default_topics,
    load_fixed_texts,
    load_topics,
)
from careplan.clinical.rules.wording import (
    DO_NOT_TAKE,
    Glossary,
    Language,
    Layout,
    check_texts,
    layout_pairs,
    load_glossary,
    load_layout,
    one_line,
    tells_to_stop,
)
from careplan.errors import RuleBaseError

RULEBASE_VERSION: Final = "2026.11.4"

LABS: Final[tuple[str, ...]] = (
    "CK",
    "TSH",
    "FBC",
    "ESR and CRP",
    "creatinine and electrolytes",
    "calcium and phosphate",
    "magnesium",
    "liver function tests",
    "HbA1c",
    "urine dipstick",
    "ECG",
    "troponin",
    "aldolase",
    "ANA",
    "myositis antibodies",
    "rheumatoid factor and anti-CCP",
    "protein electrophoresis",
    "alkaline phosphatase",
    "vitamin D (25-OH) if at risk",
    "D-dimer (Wells 1 or less)",
    "proximal leg vein ultrasound (Wells 2 or more)",
    "blood cultures",
    "lactate",
    "PSA (men)",
    "platelets and INR",
)

# The patient-text safety patterns (stop a medicine, "do not take"), in English and Spanish,
# are in wording.py.
_MEDICINE_FACTS: Final = frozenset({"medications", "medication_classes"})
_TAKING_FACTS: Final[dict[str, str]] = {"nsaid_prescribed": "nsaid"}  # fact -> class taken
_TOPIC_MEDICINES: Final[dict[str, str]] = {
    "nsaid": "nsaid",
    "pain_gel": "topical_nsaid",
    "statin": "statin",
    "acetaminophen_dose": "acetaminophen",
}
_VOCABULARY_FILES: Final = frozenset(
    {"topics.toml", "handout.toml", "locales.toml", "purposes.toml", "layout.toml",
     "glossary.toml"}
)
# {medicines} in patient text names the patient's own medicines the rule is about (as typed),
# so an item says "Zocor and clarithromycin", not "two of your medicines".
MEDICINES_PLACEHOLDER: Final = "medicines"
_YEAR = re.compile(r"\b(19|20)\d{2}\b")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # cache miss only

    id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}(-[A-Z0-9]+)+$")]
    title: Text
    when: list[Any]
    because: Annotated[list[str], Field(min_length=1)]
    source: Text
    patient_text: Text
    patient_text_es: Text  # the same in Spanish, with the same placeholders
    clinician_note: Text
    severity: Severity | None = None
    timeframe: Timeframe | None = None
    domain: Domain | None = None
    priority: Annotated[int, Field(ge=1, le=3)] = 2
    labs: list[str] = []
    speaks: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Rule:
    """One checked rule. ``severity`` is set for alerts, ``domain`` for recommendations."""

    id: str
    title: str
    when: Condition
    because: tuple[str, ...]
    source: str
    patient_text: str
    clinician_note: str
    severity: Severity | None
    timeframe: Timeframe | None
    domain: Domain | None
    priority: int
    labs: tuple[str, ...]
    speaks: Speaks
    file: str
    patient_text_es: str = ""  # the loader requires it; a default only for the field order
    # Made from ``when`` once, here, not per plan: the facts it reads, and the condition
    # compiled to a closure (``compile_test``). The closure cannot be pickled, so a rule
    # read from the cache (``careplan.cache``) compiles it again (``__setstate__``).
    reads: frozenset[str] = field(init=False, repr=False, compare=False)
    because_names: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)
    test: Test = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset(facts_read(self.when)))
        # Each 'because' reference with its fact name ('medications:warfarin' -> 'medications').
        object.__setattr__(
            self, "because_names", tuple((ref, ref.partition(":")[0]) for ref in self.because)
        )
        object.__setattr__(self, "test", compile_test(self.when))

    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "test"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "test", compile_test(self.when))

    @property
    def is_alert(self) -> bool:
        return self.severity is not None

    def text_in(self, language: Language) -> str:
        """The patient text (with its placeholders) in ``en`` or ``es``."""
        return self.patient_text_es if language == "es" else self.patient_text


@dataclass(frozen=True, slots=True)
class RuleBase:
    rules: tuple[Rule, ...]
    version: str
    digest: str
    topics: Mapping[str, Topic]
    texts: tuple[FixedText, ...]
    layout: Layout
    glossary: Glossary
    # Split and indexed once, not on every plan.
    alerts: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    recommendations: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    by_id: Mapping[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alerts", tuple(r for r in self.rules if r.is_alert))
        object.__setattr__(
            self, "recommendations", tuple(r for r in self.rules if not r.is_alert)
        )
        object.__setattr__(self, "by_id", {r.id: r for r in self.rules})

    def get(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]


def parse_rule(
    raw: dict[str, Any], *, file: str, topics: Mapping[str, Topic] | None = None,
    glossary: Glossary | None = None,
) -> Rule:
    """Check one ``[[rule]]`` table; raise ``RuleBaseError`` naming the file and rule."""
    where = f"{file}: rule {raw.get('id', '?')}"
    try:
        spec = _RuleFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise RuleBaseError(f"{where}: {loc}: {first['msg']}") from None
    if (spec.severity is None) == (spec.domain is None):
        raise RuleBaseError(f"{where}: give exactly one of 'severity' (alert) or 'domain'")
    if (spec.severity is None) != (spec.timeframe is None):
        raise RuleBaseError(f"{where}: an alert needs a 'timeframe' and a recommendation none")
    when = compile_condition(spec.when, where=where)
    if spec.severity is not None and facts_read(when) & SECOND_STAGE:
        raise RuleBaseError(f"{where}: alerts run first and cannot read {sorted(SECOND_STAGE)}")
    for ref in spec.because:
        _check_because(ref, where=where)
    if not _YEAR.search(spec.source):
        raise RuleBaseError(f"{where}: the source must name a guideline and its year")
    for lab in spec.labs:
        if lab not in LABS:
            raise RuleBaseError(f"{where}: unknown lab {lab!r}")
    # Checked as printed: one line, single spaces (a pattern must not miss a line break).
    text_en, text_es = one_line(spec.patient_text), one_line(spec.patient_text_es)
    texts: dict[Language, str] = {"en": text_en, "es": text_es}
    for language, text in texts.items():
        which = "patient text" if language == "en" else "Spanish patient text"
        if tells_to_stop(text, language):
            raise RuleBaseError(f"{where}: {which} must not tell anyone to stop a medicine")
        _check_placeholders(text, where=where)
    if _placeholders(text_en) != _placeholders(text_es):
        raise RuleBaseError(f"{where}: the English and Spanish texts must use the same "
                            "placeholders")
    if "{medicines}" in text_en and not any(
        ref.partition(":")[0] in _MEDICINE_FACTS and ":" in ref for ref in spec.because
    ):
        raise RuleBaseError(f"{where}: {{medicines}} needs a medicine in 'because' to name")
    if DO_NOT_TAKE["en"].search(text_en) or DO_NOT_TAKE["es"].search(text_es):
        _check_not_taken(when, spec.speaks, where=where)
    speaks = check_speaks(
        spec.speaks, text=text_en, where=where,
        topics=default_topics() if topics is None else topics, text_es=text_es,
    )
    if glossary is not None:
        check_texts([(where, text_en, text_es)], glossary, stop=False)
    if spec.severity in ("emergency", "urgent") and ("outlook", "serious") not in speaks:
        raise RuleBaseError(f"{where}: an {spec.severity} alert must declare outlook = 'serious'")
    return Rule(
        id=spec.id,
        title=spec.title,
        when=when,
        because=tuple(spec.because),
        source=spec.source,
        patient_text=text_en,
        clinician_note=" ".join(spec.clinician_note.split()),
        severity=spec.severity,
        timeframe=spec.timeframe,
        domain=spec.domain,
        priority=spec.priority,
        labs=tuple(spec.labs),
        speaks=speaks,
        file=file,
        patient_text_es=text_es,
    )


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{([^}]*)\}", text))


def _medicines(condition: Condition, *, negated: bool = False) -> tuple[set[str], set[str]]:
    """Medicines a condition requires (outside ``not``/``unless``) and those it excludes.

    ``count_ge`` over a medicine fact requires "some medicine" (``*``).
    """
    head = condition[0]
    if head in ("all", "any"):
        required: set[str] = set()
        excluded: set[str] = set()
        for child in condition[1:]:
            req, exc = _medicines(child, negated=negated)
            required |= req
            excluded |= exc
        return required, excluded
    if head in ("not", "unless"):
        return _medicines(condition[1], negated=not negated)
    if head == "is" and condition[1] in _TAKING_FACTS:
        found = {_TAKING_FACTS[condition[1]]}
        return (set(), found) if negated else (found, set())
    if condition[1] not in _MEDICINE_FACTS or head not in ("has", "has_any", "has_all", "count_ge"):
        return set(), set()
    arg = condition[2]
    found = {"*"} if head == "count_ge" else set(arg) if isinstance(arg, frozenset) else {arg}
    return (set(), found) if negated else (found, set())


def _check_not_taken(when: Condition, speaks: Mapping[str, str], *, where: str) -> None:
    """Refuse "do not take" in a rule that fires for someone already taking the medicine."""
    required, excluded = _medicines(when)
    against = {
        _TOPIC_MEDICINES[t] for t, stance in speaks.items()
        if t in _TOPIC_MEDICINES and stance in ("avoid", "danger")
    }
    if not against and required:
        raise RuleBaseError(
            f"{where}: 'do not take' in a rule that requires a medicine on the list "
            f"({sorted(required)}): say 'do not stop it on your own' and review it instead"
        )
    if taken := against & required:
        raise RuleBaseError(f"{where}: 'do not take' to a patient who takes {sorted(taken)}")
    if missing := against - excluded:
        raise RuleBaseError(
            f"{where}: 'do not take' needs ['unless', ['has', 'medication_classes', ...]] "
            f"for {sorted(missing)}, with a companion rule for a patient who already takes it"
        )


def _check_because(ref: str, *, where: str) -> None:
    name, _, member = ref.partition(":")
    spec = CATALOGUE.get(name)
    if spec is None:
        raise RuleBaseError(f"{where}: 'because' names unknown fact {name!r}")
    if member and (spec.kind != "set" or member not in spec.values):
        raise RuleBaseError(f"{where}: 'because' {ref!r} is not a member of a set fact")


def _check_placeholders(text: str, *, where: str) -> None:
    for name in re.findall(r"\{([^}]*)\}", text):
        if name == MEDICINES_PLACEHOLDER:
            continue
        if name not in CATALOGUE or CATALOGUE[name].kind != "number":
            raise RuleBaseError(f"{where}: placeholder {{{name}}} is not a number fact")


def _shipped(name: str) -> str:
    return resources.files("careplan.clinical.rules").joinpath(name).read_text(encoding="utf-8")


# The code whose checks a cached rule base has passed: a change to any of it is a new key.
_CHECKERS: Final = ("loader.py", "conditions.py", "topics.py", "wording.py")


def rule_base_key() -> str:
    """The digest of everything a shipped rule base is made from.

    That is every TOML file beside this module, the checking code, the fact vocabulary
    and the plan's closed value sets (what the checks compare against), and pydantic's
    version (the rule files are parsed by pydantic models).
    """
    import pydantic

    folder = resources.files("careplan.clinical.rules")
    parts: list[str | bytes] = [RULEBASE_VERSION, pydantic.VERSION]
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") or entry.name in _CHECKERS:
            parts += [entry.name, entry.read_bytes()]
    parts.append(repr((CATALOGUE, sorted(SECOND_STAGE), LABS,
                       get_args(Severity), get_args(Timeframe), get_args(Domain))))
    return cache.digest(parts)


def shipped_rule_base() -> RuleBase:
    """The shipped rule base: checked once, then read from the cache until a source changes."""
    return cache.cached("rulebase", rule_base_key(), load_rule_base)


def load_rule_base(
    texts: dict[str, str] | None = None, *, topics: str | None = None,
    handout: str | None = None, glossary: str | None = None,
) -> RuleBase:
    """Load and check every rule file (or the given ``{name: toml text}`` for tests).

    ``topics``, ``handout`` and ``glossary`` are the TOML texts of the topic vocabulary,
    the fixed handout lines and the glossary; the shipped files when not given.
    """
    if texts is None:
        folder = resources.files("careplan.clinical.rules")
        texts = {
            entry.name: entry.read_text(encoding="utf-8")
            for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".toml") and entry.name not in _VOCABULARY_FILES
        }
    topics_text = _shipped("topics.toml") if topics is None else topics
    handout_text = _shipped("handout.toml") if handout is None else handout
    glossary_text = _shipped("glossary.toml") if glossary is None else glossary
    vocabulary = load_topics(topics_text)
    fixed = load_fixed_texts(handout_text, topics=vocabulary)
    terms = load_glossary(glossary_text)
    layout = load_layout(_shipped("layout.toml"), _shipped("purposes.toml"))
    check_texts([(f"handout.toml: text {t.id}", t.text, t.text_es) for t in fixed], terms,
                stop=False)
    check_texts(layout_pairs(layout), terms)
    rules: list[Rule] = []
    digest = hashlib.sha256(RULEBASE_VERSION.encode())
    for name, text in (("topics.toml", topics_text), ("handout.toml", handout_text),
                       ("locales.toml", _shipped("locales.toml")),
                       ("purposes.toml", _shipped("purposes.toml")),
                       ("layout.toml", _shipped("layout.toml")),
                       ("glossary.toml", glossary_text)):
        digest.update(name.encode() + b"\0" + text.encode())
    import tomllib  # only here: a shipped rule base is read from careplan.cache

    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode())
        try:
            document = tomllib.loads(texts[name])
        except tomllib.TOMLDecodeError as exc:
            raise RuleBaseError(f"{name}: {exc}") from None
        unknown = set(document) - {"rule"}
        if unknown:
            raise RuleBaseError(f"{name}: unknown top-level keys {sorted(unknown)}")
        rules.extend(
            parse_rule(raw, file=name, topics=vocabulary, glossary=terms)
            for raw in document.get("rule", [])
        )
    seen: set[str] = {t.id for t in fixed}
    for rule in rules:
        if rule.id in seen:
            raise RuleBaseError(f"{rule.file}: duplicate rule id {rule.id}")
        seen.add(rule.id)
    if not rules:
        raise RuleBaseError("no rules found")
    return RuleBase(
        tuple(rules), RULEBASE_VERSION, digest.hexdigest()[:16], vocabulary, fixed, layout,
        terms,
    )
