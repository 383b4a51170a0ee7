"""The handout's words in both languages, and the checks every patient text passes in each.

Why here, beside the rules: every word a patient reads is checked when the rule base
loads, whichever file it comes from. A rule (``patient_text``, ``patient_text_es``), a
fixed handout line (``handout.toml``: ``text``, ``text_es``), the layout's own words
(``layout.toml``: headings, labels, captions, the footer, the body map's area names) and
what each medicine is for (``purposes.toml``) are written in English and Spanish side by
side; one missing language stops the program at start-up.

The checks, in both languages:
- no text tells a patient to stop a medicine (``refuses_to_stop``: English and Spanish
  word lists); "do not take" is judged by the loader, which sees the rule's condition;
- the glossary (``glossary.toml``) fixes the Spanish word for each recurring term: where
  the English text says "emergency room", the Spanish says "sala de emergencias", never a
  variant, and a brand name (Tylenol, Advil) stays as sold in the US in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from careplan.errors import RuleBaseError

Language = Literal["en", "es"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "es")

# Patient text must never tell someone to stop a prescribed medicine on their own.
STOP_MEDICINE: Final = {
    "en": re.compile(
        r"\b(stop|quit|discontinue|come off)\b[^.]*\b(medicine|medication|pill|tablet|statin|"
        r"dose|prescri\w*|drug)s?\b",
        re.IGNORECASE,
    ),
    # deje de tomar, dejar, suspenda, pare, interrumpa, abandone, retire ... una medicina
    "es": re.compile(
        r"\b(dej[aeo]\w*|suspend\w*|par(?:e|ar)(?:la|lo|las|los)?|interrump\w*|abandon\w*|"
        r"retir(?:e|ar)(?:la|lo|las|los)?|quit(?:e|ar)(?:la|lo|las|los|se)?)"
        r"\b[^.]*\b(medicinas?|medicamentos?|pastillas?|píldoras?|tabletas?|estatinas?|dosis|"
        r"recet\w*|fármacos?|drogas?)\b",
        re.IGNORECASE,
    ),
}
# "Do not stop ..." / "No deje de tomarla ..." is the safe instruction, not a stop.
ALLOWED_STOP: Final = {
    "en": re.compile(r"\b(do not|don't|never)\s+stop\b", re.IGNORECASE),
    "es": re.compile(
        r"\b(no|nunca)\s+(?:(?:la|lo|las|los|le|les|se)\s+)*(deje|dejar|suspenda|pare|"
        r"interrumpa|cambie)\b",
        re.IGNORECASE,
    ),
}
# "Do not take X" (the loader checks the rule's condition); "do not take more than 3,000 mg"
# is a dose ceiling, not a "do not take".
DO_NOT_TAKE: Final = {
    "en": re.compile(r"\b(do not|don't|never)\s+take\b(?!\s+more\s+than)", re.IGNORECASE),
    "es": re.compile(
        r"\b(no|nunca)\s+(?:(?:la|lo|las|los|le|se)\s+)*tome\b(?!\s+más\s+de)", re.IGNORECASE
    ),
}


def one_line(text: str) -> str:
    """A text as printed: line breaks and runs of spaces become one space. A no-break space
    (U+00A0) is kept: it holds "página 1" or "6 p.m." together on a line."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def join_words(words: list[str], language: Language) -> str:
    """'a, b and c'; in Spanish 'a, b y c', and 'e' before an /i/ sound ('Zocor e ibuprofeno')."""
    if len(words) == 1:
        return words[0]
    last = words[-1]
    word = "and"
    if language == "es":
        start = last.lower()
        word = "e" if start.startswith(("i", "hi")) and not start.startswith(
            ("ia", "ie", "io", "iu", "hia", "hie", "hio", "hiu")) else "y"
    return f"{', '.join(words[:-1])} {word} {last}"


def tells_to_stop(text: str, language: Language) -> bool:
    """Whether ``text`` tells the patient to stop a medicine ("do not stop" is allowed)."""
    return STOP_MEDICINE[language].search(ALLOWED_STOP[language].sub("", text)) is not None


@dataclass(frozen=True, slots=True)
class Term:
    """One recurring term: where the English says ``en``, the Spanish says ``es``."""

    en: str  # patterns
    es: str
    avoid: tuple[str, ...]  # Spanish variants never used
    note: str


@dataclass(frozen=True, slots=True)
class Glossary:
    terms: tuple[Term, ...]
    brands: tuple[str, ...]  # US brand names, printed as sold in both languages
    names: tuple[str, ...]  # other names kept as they are (devices, a text keyword)

    def check(self, en: str, es: str, *, where: str) -> None:
        """Refuse a Spanish text that strays from the glossary or drops a brand name."""
        en, es = (re.sub(r"\{[^}]*\}", " ", text) for text in (en, es))  # not {medicines}
        for term in self.terms:
            if re.search(term.en, en, re.IGNORECASE) and not re.search(term.es, es, re.IGNORECASE):
                raise RuleBaseError(
                    f"{where}: the English says {term.en!r}; the Spanish must say {term.es!r} "
                    f"(glossary.toml: {term.note})"
                )
            for variant in term.avoid:
                if re.search(variant, es, re.IGNORECASE):
                    raise RuleBaseError(
                        f"{where}: the Spanish uses {variant!r}; the glossary says {term.es!r} "
                        f"({term.note})"
                    )
        for brand in self.brands:
            said = [len(re.findall(rf"\b{re.escape(brand)}\b", text)) for text in (en, es)]
            if said[0] != said[1]:
                raise RuleBaseError(
                    f"{where}: the brand name {brand!r} is printed {said[0]} time(s) in English "
                    f"and {said[1]} in Spanish; a brand stays as sold in the US in both"
                )


@dataclass(frozen=True, slots=True)
class Layout:
    """The handout's own words (``layout.toml``) and each medicine's purpose
    (``purposes.toml``), as ``{key: (English, Spanish)}``."""

    words: Mapping[str, tuple[str, str]]
    areas: Mapping[str, tuple[str, str]]  # body-map area names, as they print in a caption
    purposes: Mapping[str, tuple[str, str]]  # in the file's order: the first match wins

    def word(self, key: str, language: Language) -> str:
        en, es = self.words[key]
        return es if language == "es" else en

    def area(self, key: str, language: Language) -> str:
        en, es = self.areas[key]
        return es if language == "es" else en


def _pair(raw: Any, *, where: str) -> tuple[str, str]:
    if not isinstance(raw, dict) or set(raw) != {"en", "es"}:
        raise RuleBaseError(f"{where}: give the text in both languages: {{ en = ..., es = ... }}")
    en, es = raw["en"], raw["es"]
    if not (isinstance(en, str) and isinstance(es, str) and en.strip() and es.strip()):
        raise RuleBaseError(f"{where}: both the English and the Spanish text must be non-empty")
    return one_line(en), one_line(es)


def _pairs(table: Any, *, file: str, key: str) -> dict[str, tuple[str, str]]:
    if not isinstance(table, dict) or not table:
        raise RuleBaseError(f"{file}: needs a [{key}] table")
    return {name: _pair(raw, where=f"{file}: {key}.{name}") for name, raw in table.items()}


def load_layout(layout_text: str, purposes_text: str) -> Layout:
    """Parse ``layout.toml`` and ``purposes.toml``: every entry in English and Spanish."""
    import tomllib  # only when checking: a shipped rule base is read from careplan.cache

    documents: dict[str, dict[str, Any]] = {}
    for file, text, keys in (("layout.toml", layout_text, {"word", "area"}),
                             ("purposes.toml", purposes_text, {"purpose"})):
        try:
            documents[file] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RuleBaseError(f"{file}: {exc}") from None
        if unknown := set(documents[file]) - keys:
            raise RuleBaseError(f"{file}: unknown top-level keys {sorted(unknown)}")
    layout = documents["layout.toml"]
    return Layout(
        words=_pairs(layout.get("word"), file="layout.toml", key="word"),
        areas=_pairs(layout.get("area"), file="layout.toml", key="area"),
        purposes=_pairs(documents["purposes.toml"].get("purpose"), file="purposes.toml",
                        key="purpose"),
    )


def load_glossary(text: str) -> Glossary:
    """Parse ``glossary.toml``: terms (valid patterns), brand names and other kept names."""
    import tomllib

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleBaseError(f"glossary.toml: {exc}") from None
    if unknown := set(document) - {"term", "brands", "names"}:
        raise RuleBaseError(f"glossary.toml: unknown top-level keys {sorted(unknown)}")
    terms: list[Term] = []
    for number, raw in enumerate(document.get("term", []), start=1):
        where = f"glossary.toml: term {number}"
        if not isinstance(raw, dict) or set(raw) - {"en", "es", "avoid", "note"} or not (
            {"en", "es", "note"} <= set(raw)
        ):
            raise RuleBaseError(f"{where}: give en, es and note (and avoid, a list)")
        term = Term(raw["en"], raw["es"], tuple(raw.get("avoid", [])), raw["note"])
        try:
            for pattern in (term.en, term.es, *term.avoid):
                re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise RuleBaseError(f"{where}: bad pattern: {exc}") from None
        terms.append(term)
    return Glossary(tuple(terms), tuple(document.get("brands", [])),
                    tuple(document.get("names", [])))


def check_texts(
    pairs: Iterable[tuple[str, str, str]], glossary: Glossary, *, stop: bool = True
) -> None:
    """The checks for every ``(where, English, Spanish)`` the patient may read.

    The Spanish keeps the glossary's words and the brand names; with ``stop``, neither
    language tells the patient to stop a medicine. (Fixed handout lines pass ``stop=False``:
    "Ask us before you stop or change a prescribed medicine" is their standing advice.)
    """
    for where, en, es in pairs:
        glossary.check(en, es, where=where)
        if stop:
            said: dict[Language, str] = {"en": en, "es": es}
            for language, text in said.items():
                if tells_to_stop(text, language):
                    raise RuleBaseError(f"{where}: the text must not tell anyone to stop a "
                                        f"medicine ({language})")


def layout_pairs(layout: Layout) -> list[tuple[str, str, str]]:
    """Every ``(where, English, Spanish)`` of the layout and the purposes, for the checks."""
    found = [(f"layout.toml: word.{k}", en, es) for k, (en, es) in layout.words.items()]
    found += [(f"layout.toml: area.{k}", en, es) for k, (en, es) in layout.areas.items()]
    found += [(f"purposes.toml: {k}", en, es) for k, (en, es) in layout.purposes.items()]
    return found
