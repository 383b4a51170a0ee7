"""Who the patient calls: the clinic a handout names, set per deployment.

Why its own module: settings, the command and the documents all need it, and it
must not pull in the engine or reportlab with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from careplan.documents.locales import DEFAULT_LOCALE


@dataclass(frozen=True, slots=True)
class Clinic:
    """Who the patient calls. Configured per deployment (``careplan.settings``).

    The defaults are a fictional demo clinic (555-01xx numbers are fictional), and a
    demo clinic's handout says so across every page. The name, phone and hours print as
    configured; a Spanish handout prints ``hours_es`` when it is set, else ``hours``.
    """

    name: str = "Inomyalgia Care Clinic"
    phone: str = "555-0100"
    hours: str = "Monday to Friday, 8 am to 6 pm"
    locale: str = DEFAULT_LOCALE  # en-US or en-GB: emergency numbers, medicine names, units
    demo: bool = True
    # The hours a Spanish handout prints (no-break spaces keep "6 p.m." on one line).
    hours_es: str | None = "De lunes a viernes, de 8\u00a0a.m. a 6\u00a0p.m."

    def hours_in(self, language: str) -> str:
        """The hours a handout in ``language`` prints: the Spanish ones where configured."""
        return self.hours_es if language == "es" and self.hours_es else self.hours
