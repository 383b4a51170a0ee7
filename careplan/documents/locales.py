"""The clinic's locale: one handout speaks one country's language of care.

Why a table and not a second copy of every text: rule and handout texts are
written once in US English; a locale lists ordered phrase replacements and,
where the measure itself differs (alcohol units), a whole text for that rule.
``never`` lists what must not appear in that locale's handouts, so a test can
prove no handout mixes the two (911 beside 999, drinks beside units).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Final, Literal

from careplan import cache as file_cache
from careplan.errors import SettingError

DateStyle = Literal["month_day_year", "day_month_year"]
DEFAULT_LOCALE: Final = "en-US"
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")


@dataclass(frozen=True, slots=True)
class Locale:
    """One locale from ``locales.toml``: phrase replacements, whole texts, date style, taboos."""

    id: str
    date_style: DateStyle
    terms: tuple[tuple[str, str], ...]
    rules: Mapping[str, str]
    never: tuple[str, ...]  # patterns, compiled on first use: only checks and tests search

    def text(self, line: str) -> str:
        """A fixed or rule line in this locale's words (US English is the source)."""
        for old, new in self.terms:
            if old in line:
                line = line.replace(old, new)
        return line

    def rule_text(self, rule_id: str, template: str, printed: str) -> str:
        """A rule's patient text in this locale, keeping the medicine names it was filled with.

        ``template`` is the rule's text with ``{medicines}``; ``printed`` the plan's text.
        Only the rule's own words are translated: "Your medicine Tylenol PM" stays as typed.
        A text the clinician edited is translated whole.
        """
        if rule_id in self.rules:
            return self.rules[rule_id]
        before, mark, after = template.partition("{medicines}")
        if mark and printed.startswith(before) and printed.endswith(after):
            names = printed[len(before):len(printed) - len(after)]
            return f"{self.text(before)}{names}{self.text(after)}"
        return self.text(printed)

    def date(self, value: date) -> str:
        """Long date for patients: November 20, 2026 (US) or 20 November 2026 (UK)."""
        month = _MONTHS[value.month - 1]
        if self.date_style == "month_day_year":
            return f"{month} {value.day}, {value.year}"
        return f"{value.day} {month} {value.year}"

    def mixed(self, text: str) -> list[str]:
        """Words of another locale found in a text (for tests and checks)."""
        return [m.group(0) for pattern in self.never for m in [re.search(pattern, text)] if m]


@cache
def locales() -> dict[str, Locale]:
    """Every locale in ``careplan/clinical/rules/locales.toml`` (read once; no patient data)."""
    # Read through the careplan package: naming careplan.clinical.rules would import it, and with it
    # the rule loader and the intake models (the sign-in form reads settings, so the locale).
    # Not files("careplan.clinical.rules"): that imports the rule loader, which settings
    # (read at sign-in) does not need.
    rules = resources.files("careplan.clinical") / "rules"
    raw = (rules / "locales.toml").read_text(encoding="utf-8")
    found: dict[str, Locale] = {}
    for entry in file_cache.parsed_toml("locales", raw)["locale"]:  # parsed once per text
        found[entry["id"]] = Locale(
            id=entry["id"],
            date_style=entry["date"],
            terms=tuple((old, new) for old, new in entry.get("terms", [])),
            rules={key: " ".join(text.split()) for key, text in entry.get("rules", {}).items()},
            never=tuple(entry.get("never", [])),
        )
    return found


def get_locale(locale_id: str) -> Locale:
    """The locale for a setting such as ``CAREPLAN_LOCALE``; unknown ids are refused."""
    try:
        return locales()[locale_id]
    except KeyError:
        known = ", ".join(sorted(locales()))
        raise SettingError(f"unknown locale {locale_id!r}; choose one of {known}") from None
