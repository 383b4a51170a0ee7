"""Deployment settings, typed and read in one place from the environment.

Why here: the clinic's contact and locale must reach every handout, whether it
is printed by the headless command or downloaded from the dashboard, and a
handout must never send a patient to a placeholder phone number. Reading every
setting in one function keeps the doors the same. The domain never reads the
environment itself: callers pass values on.

| variable | meaning | default |
|---|---|---|
| DATABASE_URL | SQLAlchemy URL | SQLite in data/ |
| CAREPLAN_CLINIC_NAME, _PHONE, _HOURS | who the patient calls | none: see below |
| CAREPLAN_DEMO | 1: demo data; handouts say "DEMO - not a real clinic" | off |
| CAREPLAN_LOCALE | en-US or en-GB | en-US |
| CAREPLAN_IDLE_MINUTES | idle sign-out | 15 |
| CAREPLAN_AUDIT_KEY | HMAC key of the audit chain | none (plain SHA-256) |
| CAREPLAN_DEBUG | 1: tracebacks from the command | off |

Without a clinic the Export page refuses a handout; the command prints one marked DEMO.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from careplan.documents.clinic import Clinic
from careplan.documents.locales import DEFAULT_LOCALE, get_locale
from careplan.errors import SettingError

DEFAULT_DATABASE_URL: Final = "sqlite:///data/careplan.db"
KEYS: Final = (
    "DATABASE_URL", "CAREPLAN_CLINIC_NAME", "CAREPLAN_CLINIC_PHONE", "CAREPLAN_CLINIC_HOURS",
    "CAREPLAN_DEMO", "CAREPLAN_LOCALE", "CAREPLAN_IDLE_MINUTES", "CAREPLAN_AUDIT_KEY",
    "CAREPLAN_DEBUG",
)
NO_CLINIC: Final = (
    "no clinic is configured, so no handout can tell the patient whom to call: set "
    "CAREPLAN_CLINIC_NAME and CAREPLAN_CLINIC_PHONE (and CAREPLAN_CLINIC_HOURS), or "
    "CAREPLAN_DEMO=1 for demo data"
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every deployment setting, checked."""

    database_url: str
    locale: str
    clinic: Clinic | None  # None: not configured, so handouts are refused
    idle_minutes: float
    audit_key: str
    debug: bool

    def handout_clinic(self) -> Clinic:
        """The clinic a handout prints, or ``SettingError`` saying what to set."""
        if self.clinic is None:
            raise SettingError(NO_CLINIC)
        return self.clinic


def load(env: Mapping[str, str]) -> Settings:
    """Settings from an environment mapping; a bad value raises ``SettingError`` naming it."""
    locale = env.get("CAREPLAN_LOCALE", DEFAULT_LOCALE)
    get_locale(locale)
    demo = _flag(env, "CAREPLAN_DEMO")
    name, phone = env.get("CAREPLAN_CLINIC_NAME", "").strip(), env.get(
        "CAREPLAN_CLINIC_PHONE", "").strip()
    if bool(name) != bool(phone):
        raise SettingError("set both CAREPLAN_CLINIC_NAME and CAREPLAN_CLINIC_PHONE, or neither")
    clinic: Clinic | None = None
    if name:
        hours = env.get("CAREPLAN_CLINIC_HOURS", "").strip() or "ask at the front desk"
        clinic = Clinic(name=name, phone=phone, hours=hours, locale=locale, demo=False)
    elif demo:
        clinic = Clinic(locale=locale, demo=True)
    raw_idle = env.get("CAREPLAN_IDLE_MINUTES", "15")
    try:
        idle = float(raw_idle)
    except ValueError:
        idle = math.nan
    if not math.isfinite(idle) or idle < 0:
        raise SettingError(f"CAREPLAN_IDLE_MINUTES must be a number of minutes, not {raw_idle!r}")
    return Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        locale=locale,
        clinic=clinic,
        idle_minutes=idle,
        audit_key=env.get("CAREPLAN_AUDIT_KEY", ""),
        debug=_flag(env, "CAREPLAN_DEBUG"),
    )


def current() -> Settings:
    """The settings of this process's environment (parsed once per distinct environment)."""
    return _cached(tuple(os.environ.get(key) for key in KEYS))


@lru_cache(maxsize=8)
def _cached(values: tuple[str | None, ...]) -> Settings:
    return load({key: value for key, value in zip(KEYS, values, strict=True) if value is not None})


def demo_clinic(config: Settings) -> Clinic:
    """The fictional demo clinic in the configured locale; its handouts say DEMO on each page."""
    return Clinic(locale=config.locale, demo=True)


def _flag(env: Mapping[str, str], key: str) -> bool:
    return env.get(key, "").strip().lower() in ("1", "true", "yes", "on")


def clinic_from_env() -> Clinic:
    """The clinic a handout prints; ``SettingError`` if none is configured (see ``NO_CLINIC``)."""
    return current().handout_clinic()
