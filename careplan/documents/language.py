"""The handout's language: which one a patient gets, and dates and numbers as each reads them.

Why its own module: the Export page, the command and the documents must choose the same
language for one patient, and print a date or a number the way a reader of that language
expects. The words themselves are data (``careplan/clinical/rules/layout.toml`` and the
rule files); this module only chooses and formats.

- English and Spanish handouts exist (``LANGUAGES``). A patient's preferred language is a
  BCP 47 tag: ``es``, ``es-MX`` and ``es-US`` get Spanish; any other gets English, and the
  caller says so (``handout_language`` returns ``None`` for it).
- The Spanish handout is written for US clinics: 911, 988 with "oprima 2 para español",
  acetaminofén, US drinks. A clinic in another locale prints English (``SPANISH_LOCALE``).
- Dates: "November 20, 2026" or "20 November 2026" (the locale), "20 de noviembre de 2026".
- Numbers in Spanish: a decimal point, as in Mexico and the US (6.5 de 10), and no
  thousands separator below 10 000 (3000 mg, RAE): "3,000" or "3.000" could be misread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from careplan.clinical.rules.wording import LANGUAGES, Language
from careplan.documents.locales import DEFAULT_LOCALE, Locale
from careplan.errors import SettingError

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "SPANISH_LOCALE",
    "HandoutChoice",
    "Language",
    "check_language",
    "handout_choice",
    "handout_language",
    "long_date",
    "number",
    "other_language",
    "preferred_handout_language",
]

LANGUAGE_NAMES: Final[dict[Language, str]] = {"en": "English", "es": "Spanish"}
SPANISH_LOCALE: Final = DEFAULT_LOCALE  # en-US: 911, 988, acetaminophen, US drinks
_MONTHS_ES: Final = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                     "septiembre", "octubre", "noviembre", "diciembre")


def handout_language(tag: str) -> Language | None:
    """The handout language for a BCP 47 tag ('es-MX' -> 'es'), or None if none exists."""
    primary = tag.split("-", 1)[0].lower()
    for language in LANGUAGES:
        if primary == language:
            return language
    return None


def preferred_handout_language(tag: str, *, locale: str = DEFAULT_LOCALE) -> Language:
    """The language a patient's handout is offered in first: their own where a handout in it
    exists for the clinic's locale, else English."""
    language = handout_language(tag) or "en"
    return "en" if language == "es" and locale != SPANISH_LOCALE else language


@dataclass(frozen=True, slots=True)
class HandoutChoice:
    """The languages a patient's handout is offered in, their own first, and why the first
    is not their own (``note``), if it is not."""

    offered: tuple[Language, ...]
    note: str | None = None

    @property
    def preferred(self) -> Language:
        return self.offered[0]


def handout_choice(tag: str, *, locale: str) -> HandoutChoice:
    """What the Export page offers (and the command prints by default) for a patient whose
    preferred language is ``tag``, at a clinic in ``locale``."""
    own = handout_language(tag)
    preferred = preferred_handout_language(tag, locale=locale)
    offered = (preferred,) if locale != SPANISH_LOCALE else (preferred, other_language(preferred))
    note = None
    if own is None:
        note = f"the patient prefers {tag!r}: there is no handout in that language"
    elif own != preferred:
        note = (f"the patient prefers {tag!r}: the Spanish handout is for US clinics, and "
                f"CAREPLAN_LOCALE is {locale}")
    return HandoutChoice(offered, note)


def other_language(language: Language) -> Language:
    """The handout's other language, offered on request."""
    return "en" if language == "es" else "es"


def check_language(language: Language, *, locale: str) -> None:
    """Refuse a Spanish handout for a clinic outside the US (its numbers are the US's)."""
    if language == "es" and locale != SPANISH_LOCALE:
        raise SettingError(
            f"the Spanish handout is written for US clinics (911, 988, acetaminofén); "
            f"CAREPLAN_LOCALE is {locale}, so print the handout in English"
        )


def long_date(value: date, language: Language, loc: Locale) -> str:
    """A date as a patient reads it: the locale's English, or '20 de noviembre de 2026'."""
    if language == "es":
        return f"{value.day} de {_MONTHS_ES[value.month - 1]} de {value.year}"
    return loc.date(value)


def number(value: float | int | bool | str | None, language: Language) -> str:
    """A score or count as printed: '6.0' (one decimal for a mean), '3000', '12 000' (es)."""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool) and language == "es":
        return f"{value:,}".replace(",", "\u00a0") if abs(value) >= 10_000 else str(value)
    return str(value).replace("_", " ")
