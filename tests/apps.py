"""AppTest helpers shared by the page tests: accounts, a signed-in app, filling forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from careplan import accounts, storage
from careplan.intake.model import upgrade_legacy_fields
from factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = {"patients": "1_Patients", "intake": "2_Intake", "care_plan": "3_Care_plan",
              "export": "4_Export", "history": "5_History", "admin": "6_Admin"}
TOKENS: dict[str, str] = {}


def make_accounts(url: str) -> None:
    """Two accounts (ada: admin, rivera: clinician), each signed in once (tokens in TOKENS)."""
    storage.upgrade(url)
    engine = storage.make_engine(url)
    now = datetime.now(UTC)
    with storage.transaction(engine) as session:
        accounts.add_user(session=session, username="ada", display_name="Ada Admin",
                          role="admin", password=PASSWORD, by="setup", now=now)
        accounts.add_user(session=session, username="rivera", display_name="Dr. A. Rivera",
                          role="clinician", password=PASSWORD, by="ada", now=now)
        for name in ("ada", "rivera"):
            signed = accounts.sign_in(session=session, username=name, password=PASSWORD,
                                      now=now)
            assert signed is not None
            TOKENS[name] = signed.token
    engine.dispose()


def app(page: str | None = None, *, user: str | None = "rivera", **params: int) -> AppTest:
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user is not None:
        test.session_state["auth_token"] = TOKENS[user]
    for key, value in params.items():
        test.query_params[key] = str(value)
    if page:
        test.switch_page(f"pages/{PAGE_FILES[page]}.py")
    return test.run()


def banner(test: AppTest) -> str:
    """The patient banner's text: the markdown in Streamlit's bottom container (``st.bottom``,
    pinned at the foot of the main area), where ui.frame draws it; "" when there is none."""
    bottom = test._tree.children.get(3)  # main, sidebar, event, bottom
    if bottom is None:
        return ""
    return " ".join(str(getattr(m, "value", "")) for m in bottom.get("markdown"))


def no_trouble(test: AppTest) -> None:
    assert not test.exception, [e.value for e in test.exception]


def create_patient(name: str = "Zoë Nguyễn") -> AppTest:
    test = app("patients")
    test.text_input(key="new-name").input(name)
    test.date_input(key="new-born").set_value(date(1968, 3, 14))
    test.button(key="FormSubmitter:new-patient-Create patient and start a visit").click()
    return test.run()


def flat(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flat(value, f"{path}.")
        else:
            yield path, value


def show(test: AppTest, path: str) -> AppTest:
    """Open the Intake section that asks ``path`` (only the open section is drawn), as a
    clinician would by clicking its tab; runs the page only when the section changes."""
    from careplan.intake.form import SECTIONS, entry

    section = entry(path).section
    current = test.session_state["section"] if "section" in test.session_state else SECTIONS[0]
    if current != section:
        test.session_state["section"] = section
        test.run()
    return test


def each_section(test: AppTest) -> Iterator[AppTest]:
    """The Intake page with each of its sections open in turn (only the open one is drawn)."""
    from careplan.intake.form import SECTIONS

    for section in SECTIONS:
        test.session_state["section"] = section
        yield test.run()


def fill(test: AppTest, data: dict[str, Any]) -> AppTest:
    """Answer every example field through its widget, as a clinician would (current form)."""
    from careplan.intake.form import entry

    data = upgrade_legacy_fields(data)
    medications = data["history"].pop("medications")
    for path, value in flat(data):
        key = f"f:{path}"
        show(test, path)
        if isinstance(value, bool):
            test.segmented_control(key=key).set_value("Yes" if value else "No").run()
        elif entry(path).scale:  # a one-tap scale (0-10, or the 0-3 items' words)
            test.segmented_control(key=key).set_value(value).run()
        elif path in ("patient.date_of_birth", "visit.date"):  # typed, as year-month-day
            test.text_input(key=key).input(value).run()
        elif isinstance(value, list) and path in ("history.allergies",
                                                  "history.prior_treatments"):
            test.text_area(key=key).input("\n".join(value)).run()
        elif isinstance(value, list):
            test.multiselect(key=key).set_value(value).run()
        elif isinstance(value, int | float) and not isinstance(value, bool):
            test.number_input(key=key).set_value(value).run()
        elif entry(path).kind == "choice":
            test.selectbox(key=key).set_value(value).run()
        elif path in ("visit.reason", "history.notes"):
            test.text_area(key=key).input(value).run()
        else:
            test.text_input(key=key).input(value).run()
        no_trouble(test)
    show(test, "history.allergies")  # the Medicines section
    for med in medications:
        test.text_input(key="med-name").input(med["name"])
        test.text_input(key="med-dose").input(med.get("dose", ""))
        if "started" in med:
            test.date_input(key="med-started").set_value(date.fromisoformat(med["started"]))
        test.button(key="FormSubmitter:add-medication-Add medicine").click().run()
        no_trouble(test)
    return test


