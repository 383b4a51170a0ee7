"""Deployment settings, typed and read in one place from the environment.

Why here: the clinic's contact and locale must reach every handout, whether it
is printed by the headless command or downloaded from the dashboard, and a
handout must never send a patient to a placeholder phone number. Reading every
setting in one function (``current``) keeps the doors the same: the clinical core and
the documents never read the environment, they are passed what they need; the use
cases and storage ask ``current()``. Three variables are read elsewhere, on purpose:
CAREPLAN_CACHE_DIR (``careplan.cache``, needed before any setting is parsed: the rule
base is cached by it), CAREPLAN_DEBUG (the command's last-resort handler, so a bad
setting cannot hide its own traceback) and USER (who ran a shell command, for the audit
trail). tests/test_settings.py checks that no other variable is read anywhere.

| variable | meaning | default |
|---|---|---|
| DATABASE_URL | SQLAlchemy URL | SQLite in data/ |
| CAREPLAN_CLINIC_NAME, _PHONE, _HOURS | who the patient calls | none: see below |
| CAREPLAN_CLINIC_HOURS_ES | the hours as a Spanish handout prints them | CAREPLAN_CLINIC_HOURS |
| CAREPLAN_DEMO | 1: demo data; handouts say "DEMO - not a real clinic" | off |
| CAREPLAN_LOCALE | en-US or en-GB | en-US |
| CAREPLAN_IDLE_MINUTES | idle sign-out | 15 |
| CAREPLAN_AUDIT_KEY_FILE | file with the audit chain's HMAC key (0600; make run makes it) | none |
| CAREPLAN_AUDIT_KEY | the key itself, instead of a file | none |
| CAREPLAN_DEBUG | 1: tracebacks from the command | off |
| CAREPLAN_CACHE_DIR | checked rule base, parsed fonts | $XDG_CACHE_HOME/inomyalgia-care |

Without a clinic the Export page refuses a handout; the command prints one marked DEMO.
Without an audit key the dashboard does not start, except in demo mode, where every page
says the audit trail is not signed.
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
    "CAREPLAN_CLINIC_HOURS_ES", "CAREPLAN_DEMO", "CAREPLAN_LOCALE", "CAREPLAN_IDLE_MINUTES",
    "CAREPLAN_AUDIT_KEY", "CAREPLAN_AUDIT_KEY_FILE", "CAREPLAN_DEBUG",
)
NO_AUDIT_KEY: Final = (
    "no audit key is set, so the audit trail could be rewritten unnoticed: set "
    "CAREPLAN_AUDIT_KEY_FILE to a key file (make one with 'python -m careplan audit new-key "
    "PATH'; make run does), or run with CAREPLAN_DEMO=1 for demo data"
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
    demo: bool

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
        hours = env.get("CAREPLAN_CLINIC_HOURS", "").strip()
        # The Spanish handout prints the hours as configured: in Spanish where they are set
        # (CAREPLAN_CLINIC_HOURS_ES), else as typed in CAREPLAN_CLINIC_HOURS.
        hours_es = env.get("CAREPLAN_CLINIC_HOURS_ES", "").strip() or (
            None if hours else "pregunte en la recepción")
        clinic = Clinic(name=name, phone=phone, hours=hours or "ask at the front desk",
                        locale=locale, demo=False, hours_es=hours_es)
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
        audit_key=_audit_key(env),
        debug=_flag(env, "CAREPLAN_DEBUG"),
        demo=demo,
    )


def _audit_key(env: Mapping[str, str]) -> str:
    """The key itself, or the content of the key file, which only its owner may read."""
    key = env.get("CAREPLAN_AUDIT_KEY", "").strip()
    path = env.get("CAREPLAN_AUDIT_KEY_FILE", "").strip()
    if key or not path:
        return key
    try:
        mode = os.stat(path).st_mode
        with open(path, encoding="utf-8") as file:
            text = file.read().strip()
    except OSError as exc:
        raise SettingError(f"CAREPLAN_AUDIT_KEY_FILE {path}: cannot read it ({exc.strerror})"
                           ) from None
    if mode & 0o077:
        raise SettingError(f"CAREPLAN_AUDIT_KEY_FILE {path} may be read by others: "
                           f"chmod 600 {path}")
    if len(text) < 32:
        raise SettingError(f"CAREPLAN_AUDIT_KEY_FILE {path} holds no key of 32 characters or "
                           "more")
    return text


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
