"""Deployment settings read from the environment, in one place.

Why here: the clinic's contact and locale must reach every handout, whether it
is printed by the headless command or downloaded from the dashboard; reading
them in one function keeps the two doors the same. The domain never reads the
environment itself: callers pass the ``Clinic`` on.
"""

from __future__ import annotations

import os

from careplan.locales import DEFAULT_LOCALE, get_locale
from careplan.report import Clinic


def clinic_from_env() -> Clinic:
    """The clinic's name, phone, hours and locale (CAREPLAN_CLINIC_* and CAREPLAN_LOCALE).

    An unknown locale raises ``SettingError`` naming the choices, at start-up rather than
    on a patient's handout.
    """
    default = Clinic()
    locale = os.environ.get("CAREPLAN_LOCALE", DEFAULT_LOCALE)
    get_locale(locale)
    return Clinic(
        name=os.environ.get("CAREPLAN_CLINIC_NAME", default.name),
        phone=os.environ.get("CAREPLAN_CLINIC_PHONE", default.phone),
        hours=os.environ.get("CAREPLAN_CLINIC_HOURS", default.hours),
        locale=locale,
    )
