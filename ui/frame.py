"""The frame around every page: page config, the run marker, the sign-in gate, the sidebar
navigation, the patient banner, and switching pages with the selection kept.

Why the pages draw their own navigation (``showSidebarNavigation = false``): each link
carries the patient and visit in hand in its URL.

Why the patient banner is drawn here, in Streamlit's bottom container: every page of a
patient names them (name, age, date of birth, MRN, allergies) in the main area, at every
width and wherever the page is scrolled; at 768 px Streamlit hides the sidebar, which used
to be the only place the name was. Streamlit pins its bottom container to the foot of the
window (``st.bottom``, as it does a chat input), which keeps the banner in view without any
HTML or CSS of ours (tests/test_hardening.py); a sticky header would need CSS.
"""

from __future__ import annotations

import gc
import itertools
import uuid
from functools import cache
from typing import Final

import streamlit as st

from careplan import actions, patients, settings, visits
from careplan.accounts import SignedIn
from careplan.errors import NotFoundError, SettingError, StorageError
from careplan.settings import NO_AUDIT_KEY
from ui import browser_session
from ui.access import may_open, refusal
from ui.auth import guarded, require_user, sign_out
from ui.state import choose, database, now, selection, today
from ui.text import md, show_storage_error

PAGES: Final = {
    "patients": "pages/1_Patients.py",
    "intake": "pages/2_Intake.py",
    "care_plan": "pages/3_Care_plan.py",
    "export": "pages/4_Export.py",
    "history": "pages/5_History.py",
    "admin": "pages/6_Admin.py",
}
NAVIGATION: Final = {
    "patients": ("Patients", ":material/group:"),
    "intake": ("Intake", ":material/edit_note:"),
    "care_plan": ("Care plan", ":material/assignment:"),
    "export": ("Export", ":material/download:"),
    "history": ("History", ":material/monitoring:"),
}
# The hidden element each script run draws first (tests/browser.py waits on it).
RUN_MARKER: Final = "careplan-run"
BANNER: Final = "patient-banner"  # the key of the banner's container (st-key-patient-banner)
_RUNS: Final = itertools.count(1)


def page(title: str, *, admin: bool = False) -> SignedIn:
    """Every page starts here: config, sign-in (checked on every rerun), navigation.

    Nothing below this call runs for someone who is not signed in, nor, on a patient's
    pages, for someone who may not open the patient in hand (they see the refusal and may
    open the record with a reason). The Admin page shows no patient and refuses none.
    """
    st.set_page_config(page_title=f"{title} · Inomyalgia Care", page_icon=":material/healing:",
                       layout="wide")
    run_marker()
    _refuse_without_audit_key()
    try:  # sign-in, the selection and the sidebar read the database before the page does
        who = _frame(title, admin=admin)
    except StorageError as error:  # busy under a crowd of sign-ins: a message, not a crash
        show_storage_error(error)
        st.stop()
    _freeze_once()
    return who


@cache
def _freeze_once() -> None:
    """After the first signed-in page of this server process, move every object made so far
    (modules, the rule base, the vocabulary) out of the collector's way: later collections
    then walk only what page runs make (gc.freeze; measured with bench/load.py)."""
    gc.freeze()


def _frame(title: str, *, admin: bool) -> SignedIn:
    who = require_user()
    browser_session.scripts(signed_in=True)
    patient_id, visit_id = _checked_selection(who)
    closed = patient_id is not None and not _open(who, patient_id)
    params = {k: str(v) for k, v in (("patient", patient_id), ("visit", visit_id)) if v}
    with st.sidebar:
        st.page_link("app.py", label="Home", icon=":material/home:", query_params=params)
        for key, (label, icon) in NAVIGATION.items():
            st.page_link(PAGES[key], label=label, icon=icon, query_params=params)
        if who.role == "admin":
            st.page_link(PAGES["admin"], label="Admin", icon=":material/admin_panel_settings:")
        st.divider()
        st.caption(f"Signed in as {md(who.display_name)} ({who.role})")
        if st.button("Sign out", key="sign-out"):
            sign_out(who)
        st.caption("Decision support for a clinician, not a prescription.")
        if not settings.current().audit_key:
            st.caption(":material/warning: Demo mode: the audit trail is not signed (no audit "
                       "key is set).")
    if not closed and not admin:
        _banner(who, patient_id, visit_id)
    if closed and patient_id is not None and not admin:
        refusal(who, patient_id, patients_page=PAGES["patients"])
    if st.session_state.pop("selection_refused", False):
        st.error("That visit belongs to another patient, so it was not opened. Open the visit "
                 "from the patient's own record.", icon=":material/block:")
    if admin and who.role != "admin":
        guarded(actions.record, database(), who,
                actions.Record("access_denied", detail=title, outcome="denied"), now=now())
        st.error("This page is for administrators.")
        st.stop()
    return who


def _refuse_without_audit_key() -> None:
    """No clinic day without a signed audit trail: without a key (or with a bad setting)
    the app says what to set and stops; demo mode runs and says so on every page."""
    try:
        config = settings.current()
    except SettingError as error:
        st.error(f"The app cannot start: {error}.")
        st.stop()
    if not config.audit_key and not config.demo:
        st.error(f"The app cannot start: {NO_AUDIT_KEY}.")
        st.stop()


def run_marker() -> None:
    """Draw an empty element naming this script run and the saved draft version.

    Browser tests wait for the run named to change after an action (and for Streamlit to
    stop running) instead of guessing from a quiet period. Drawn before sign-in, so every
    page run has one, and after the widget callbacks of the run, so the version is the one
    the answers just typed were saved as.
    """
    run = f"{next(_RUNS)}-{uuid.uuid4().hex[:8]}"
    saved = st.session_state.get("draft_version", "none")
    # A keyed container holding an empty placeholder (a container with nothing in it is not
    # drawn): 0 px high, no HTML passes through (tests/test_hardening.py), and the browser
    # sees the class st-key-careplan-run-<run>-saved-<version>.
    with st.container(key=f"{RUN_MARKER}-{run}-saved-{saved}"):
        st.empty()


def go(page: str) -> None:
    """Switch page and keep the selection in the URL."""
    params = {k: str(st.session_state[k]) for k in ("patient", "visit") if k in st.session_state}
    st.switch_page(PAGES[page], query_params=params)


def need_visit() -> tuple[int, int]:
    patient, visit = selection()
    if patient is None or visit is None:
        st.info("Choose a patient and a visit first.")
        if st.button("Go to patients"):
            go("patients")
        st.stop()
    return patient, visit


def _checked_selection(who: SignedIn) -> tuple[int | None, int | None]:
    """The patient and visit in hand, the patient taken from the visit.

    A link or a crafted URL may pair a visit with another patient: the pair is refused
    (the visit is dropped, the patient kept) and the attempt audited against the visit's
    own patient. A checked pair is remembered for the session (visits never move).
    """
    patient_id, visit_id = selection()
    if visit_id is None or st.session_state.get("checked_pair") == (patient_id, visit_id):
        return patient_id, visit_id
    try:
        owner = visits.patient_of(database(), visit_id=visit_id)
    except NotFoundError:
        choose(patient=patient_id, visit=None)
        return patient_id, None
    if patient_id is not None and owner != patient_id:
        guarded(actions.record, database(), who, actions.Record(
            "access_denied", patient_id=owner, outcome="denied",
            detail=f"visit {visit_id} asked for with patient {patient_id}"), now=now())
        choose(patient=patient_id, visit=None)
        st.session_state["selection_refused"] = True
        return patient_id, None
    choose(patient=owner, visit=visit_id)
    st.session_state["checked_pair"] = (owner, visit_id)
    return owner, visit_id


def _open(who: SignedIn, patient_id: int) -> bool:
    """Whether the patient in hand may be opened; a patient that is gone is let go."""
    try:
        return may_open(who, patient_id)
    except NotFoundError:
        choose(patient=None, visit=None)
        return True


def _banner(who: SignedIn, patient_id: int | None, visit_id: int | None) -> None:
    """The patient in hand, pinned at the foot of the main area; and one 'viewed' audit
    record per patient per session. User text is escaped (``md``): a name shows as typed,
    never as Markdown."""
    if patient_id is None:
        return
    try:
        shown = patients.banner(database(), who, patient_id=patient_id, visit_id=visit_id,
                                today=today())
        if st.session_state.get("audited_view") != patient_id:
            guarded(patients.viewed, database(), who, patient_id=patient_id, now=now())
            st.session_state["audited_view"] = patient_id
    except NotFoundError:  # the patient is gone: nothing to show (a busy database is not)
        choose(patient=None, visit=None)
        return
    # A no-break space keeps each icon with its words when the line wraps (at 768 px).
    if shown.allergies:
        allergies = f":red[**:material/warning:\u00a0{md(shown.allergy_text)}**]"
    elif shown.allergies is None:
        allergies = f":orange[:material/help:\u00a0{shown.allergy_text}]"
    else:
        allergies = f":material/check:\u00a0{shown.allergy_text}"
    years = "1 year" if shown.age == 1 else f"{shown.age} years"
    with st.bottom, st.container(key=BANNER, border=True):
        st.markdown(f":material/person:\u00a0**{md(shown.name)}** · {years} · born "
                    f"{shown.date_of_birth.isoformat()} · MRN {md(shown.mrn or 'none')} · "
                    f"{allergies}")
