"""Streamlit widgets and state shared by the pages; all clinical logic stays in careplan.

Why these pieces live together:
- the current patient and visit live in the session and in the URL, so a refresh,
  a closed tab or a server restart comes back to the same place;
- every intake widget is bound to one draft path and saves that answer to the
  database the moment it changes, so nothing typed is lost;
- user text shown through Markdown is escaped first (Markdown could fetch an image).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import streamlit as st

from careplan import accounts, actions, patients, settings, visits
from careplan.accounts import SignedIn
from careplan.database import Database, open_database
from careplan.errors import AccountError, ConflictError, SessionEndedError, StorageError

if TYPE_CHECKING:  # the body map (PIL, the intake model) loads with the Intake page only
    from PIL import Image
    from sqlalchemy.orm import Session

    from careplan.form import Entry, Kind

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
MAP_SCALE: Final = 2.0
T = TypeVar("T")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")
# The hidden element each script run draws first (tests/browser.py waits on it).
RUN_MARKER: Final = "careplan-run"
_RUNS: Final = itertools.count(1)


def database() -> Database:
    """The database for ``DATABASE_URL``: the only cached resource (never patient data)."""
    return _database(settings.current().database_url)


@st.cache_resource
def _database(url: str) -> Database:
    # Deployments migrate before starting the app (``make run``); here one query checks the
    # revision, and only a database that is behind (or empty) is migrated.
    return open_database(url)


def actor() -> SignedIn | None:
    """Who this browser session is signed in as (checked again by every write)."""
    who = st.session_state.get("signed_in")
    return who if isinstance(who, SignedIn) else None


def session_ended() -> None:
    """A write was refused because the session ended: forget the user and every widget
    (patient data stays on no screen), and say why on the sign-in form."""
    st.session_state.clear()
    st.session_state["ended_notice"] = True


def page(title: str, *, admin: bool = False) -> SignedIn:
    """Every page starts here: config, sign-in (checked on every rerun), navigation.

    Nothing below this call runs for someone who is not signed in.
    """
    st.set_page_config(page_title=f"{title} · Inomyalgia Care", page_icon=":material/healing:",
                       layout="wide")
    run_marker()
    who = require_user()
    patient_id, visit_id = selection()
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
            with _transaction() as session:
                accounts.sign_out(session=session, user=who, now=now())
            st.session_state.clear()
            st.rerun()
        st.caption("Decision support for a clinician, not a prescription.")
        _sidebar_patient(who, patient_id, visit_id)
    if admin and who.role != "admin":
        guarded(actions.record, database(), who,
                actions.Record("access_denied", detail=title, outcome="denied"), now=now())
        st.error("This page is for administrators.")
        st.stop()
    return who


def guarded(use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a use case from a page; an ended session shows the sign-in form instead."""
    try:
        return use_case(*args, **kwargs)
    except SessionEndedError:
        session_ended()
        st.rerun()


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


def now() -> datetime:
    return datetime.now(UTC)


def require_user() -> SignedIn:
    """The signed-in clinician, or a sign-in (or first-administrator) form and a stop."""
    token = st.session_state.get("auth_token")
    with _transaction() as session:  # one short transaction; the forms below open their own
        empty = not accounts.any_accounts(session=session)
        state, who = ("ended", None) if empty or not token else accounts.check_session(
            session=session, token=token, now=now())
    if empty:
        _first_admin_form()
        st.stop()
    if state == "active" and who is not None:
        st.session_state["signed_in"] = who
        return who
    for key in ("auth_token", "signed_in"):
        st.session_state.pop(key, None)
    st.title("Sign in")
    if st.session_state.pop("ended_notice", False):
        st.warning(actions.ENDED)
    if state == "idle":
        st.info("You were signed out after a while without activity. Sign in again; "
                "everything you typed is saved.")
    with st.form("sign-in"):
        username = st.text_input("User name", key="signin-user")
        password = st.text_input("Password", type="password", key="signin-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with _transaction() as session:
            signed = accounts.sign_in(session=session, username=username, password=password,
                                      now=now())
        if signed is None:
            st.error(accounts.GENERIC_FAILURE)
        else:
            st.session_state["auth_token"] = signed.token
            st.rerun()
    st.stop()


def _first_admin_form() -> None:
    st.title("Create the first administrator")
    st.markdown("There are no accounts yet. The first account manages the others.")
    with st.form("first-admin"):
        username = st.text_input("User name", key="admin-user")
        name = st.text_input("Full name", key="admin-name")
        password = st.text_input("Password (12 characters or more)", type="password",
                                 key="admin-password")
        again = st.text_input("Password again", type="password", key="admin-again")
        submitted = st.form_submit_button("Create administrator", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("The two passwords differ.")
        return
    try:
        with _transaction() as session:
            accounts.add_user(session=session, username=username, display_name=name,
                              role="admin", password=password, by="setup", now=now())
            signed = accounts.sign_in(session=session, username=username, password=password,
                                      now=now())
    except AccountError as error:
        st.error(str(error))
        return
    if signed is not None:
        st.session_state["auth_token"] = signed.token
        st.rerun()


def _sidebar_patient(who: SignedIn, patient_id: int | None, visit_id: int | None) -> None:
    """The patient in hand, and one 'viewed' audit record per patient per session."""
    if patient_id is None:
        return
    try:
        patient = patients.get(database(), patient_id=patient_id)
        if st.session_state.get("audited_view") != patient_id:
            guarded(patients.viewed, database(), who, patient_id=patient_id, now=now())
            st.session_state["audited_view"] = patient_id
    except StorageError:
        choose(patient=None, visit=None)
        return
    st.markdown(f"**{md(patient.name)}**")
    st.caption(f"Born {patient.date_of_birth.isoformat()} · MRN {md(patient.mrn or '—')}"
               + (f" · visit #{visit_id}" if visit_id else ""))


def today() -> date:
    return date.today()


def md(text: str) -> str:
    """Escape user text for Markdown, so it shows literally."""
    return _MARKDOWN.sub(r"\\\1", text)


@contextmanager
def _transaction() -> Iterator[Session]:
    """For the sign-in forms only; pages call the use cases, which open their own."""
    with database().transaction() as session:
        yield session


# ---------------------------------------------------------------- selection


def selection() -> tuple[int | None, int | None]:
    """The current patient and visit, restored from the URL after a refresh."""
    for key in ("patient", "visit"):
        if key not in st.session_state and st.query_params.get(key, "").isdigit():
            st.session_state[key] = int(st.query_params[key])
        if key in st.session_state:
            st.query_params[key] = str(st.session_state[key])
    return st.session_state.get("patient"), st.session_state.get("visit")


def choose(*, patient: int | None, visit: int | None) -> None:
    for key, value in (("patient", patient), ("visit", visit)):
        if value is None:
            st.session_state.pop(key, None)
            st.query_params.pop(key, None)
        else:
            st.session_state[key] = value
    st.session_state.pop("loaded_visit", None)


def go(page: str) -> None:
    """Switch page and keep the selection in the URL."""
    params = {k: str(st.session_state[k]) for k in ("patient", "visit") if k in st.session_state}
    st.switch_page(PAGES[page], query_params=params)


def request_id(name: str) -> str:
    """One id per intended action, so a double click or a retry is one record."""
    key = f"request:{name}"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return str(st.session_state[key])


def done(name: str) -> None:
    st.session_state.pop(f"request:{name}", None)


def need_visit() -> tuple[int, int]:
    patient, visit = selection()
    if patient is None or visit is None:
        st.info("Choose a patient and a visit first.")
        if st.button("Go to patients"):
            go("patients")
        st.stop()
    return patient, visit


def show_storage_error(error: StorageError) -> None:
    st.error(f"{error}")


# ---------------------------------------------------------------- draft fields


def load_draft(visit: int) -> visits.DraftView:
    """The saved draft and its preview; on a new visit (or after a refresh) every widget is
    filled from it. The preview made while saving the last answer is reused, not remade."""
    cached = st.session_state.get("draft_view")
    view = visits.open_draft(database(), visit_id=visit, today=today(),
                             cached=cached if isinstance(cached, visits.DraftView) else None)
    st.session_state["draft_view"] = view
    if st.session_state.get("loaded_visit") != visit:
        for key in [k for k in st.session_state if str(k).startswith("f:")]:
            del st.session_state[key]
        st.session_state["loaded_visit"] = visit
        st.session_state["draft_version"] = view.draft.version
        st.session_state["draft_data"] = view.draft.data
    return view


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def answer_in_draft(path: str) -> bool:
    """The loaded draft holds an answer at ``path`` (e.g. to open the section it is in)."""
    return _get(st.session_state.get("draft_data"), path) is not None


def _to_widget(kind: Kind, value: Any) -> Any:
    if value is None:
        return [] if kind in ("multi",) else ("" if kind in ("text", "lines") else None)
    if kind == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return None
    if kind == "yesno":
        return {True: "Yes", False: "No"}.get(value)
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return value


def _to_draft(kind: Kind, value: Any) -> Any:
    if kind in ("text",):
        return value if value and value.strip() else None
    if kind == "lines":
        items = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        return items
    if kind == "date":
        return None if value is None else value.isoformat()
    if kind == "yesno":
        return {"Yes": True, "No": False}.get(value)
    if kind == "int" and isinstance(value, float):
        return int(value)
    return value


def save_answer(path: str, value: Any) -> None:
    """Save one answer now; a conflict keeps what was typed and says who changed it.

    Runs in widget callbacks, before the page checks the session: the use case checks it
    in the same transaction, and an ended session writes nothing and forgets the user.
    """
    visit, who = st.session_state.get("visit"), actor()
    if visit is None or who is None:
        return
    try:
        view = visits.answer(database(), who, visit_id=visit, path=path, value=value,
                             expected_version=st.session_state.get("draft_version", 1),
                             today=today(), now=now())
    except SessionEndedError:
        session_ended()
        return
    except ConflictError as error:
        st.session_state["conflict"] = (path, value, str(error), error.version)
        return
    except StorageError as error:
        st.session_state["save_error"] = str(error)
        return
    st.session_state["draft_version"] = view.draft.version  # only once committed
    st.session_state["draft_view"] = view
    st.session_state.pop("conflict", None)
    st.session_state.pop("save_error", None)


def _changed(path: str, key: str, kind: Kind) -> None:
    save_answer(path, _to_draft(kind, st.session_state[key]))


def label(entry: Entry) -> str:
    """A question's label on the page: ``*`` when required, how to type a list."""
    extra = " (one per line)" if entry.kind == "lines" else ""
    return f"{entry.label}{extra}{' *' if entry.required else ''}"


def field(entry: Entry, *, problems: dict[str, str], carried: dict[str, str],
          **kwargs: Any) -> None:
    """One intake answer from the form registry, bound to its draft path, message below it.

    The registry gives the label, help, bounds and options; ``kwargs`` are the widget's
    own layout settings (a text area's height).
    """
    from careplan.form import label_of

    kind, path, shown = entry.kind, entry.path, label(entry)
    key = f"f:{path}"
    if key not in st.session_state:
        st.session_state[key] = _to_widget(kind, _get(st.session_state.get("draft_data"), path))
    common: dict[str, Any] = {"key": key, "on_change": _changed, "args": (path, key, kind),
                              "help": entry.help or None}
    if entry.bounds is not None:
        low, high = entry.bounds
        number = int if kind == "int" else float
        common |= {"min_value": number(low), "max_value": number(high)}
    if kind == "text":
        st.text_input(shown, **common, **kwargs)
    elif kind == "textarea" or kind == "lines":
        st.text_area(shown, **common, **kwargs)
    elif kind in ("int", "float"):
        st.number_input(shown, step=1 if kind == "int" else 0.5, **common, **kwargs)
    elif kind == "date":
        st.date_input(shown, min_value=date(1900, 1, 1), max_value=date(2100, 1, 1),
                      format="YYYY-MM-DD", **common, **kwargs)
    elif kind == "choice":
        st.selectbox(shown, entry.options, format_func=entry.option_label,
                     placeholder="Not asked", **common, **kwargs)
    elif kind == "multi":
        st.multiselect(shown, entry.options, format_func=entry.option_label,
                       placeholder="Not asked", **common, **kwargs)
    elif kind == "yesno":
        st.segmented_control(shown, ["Yes", "No"], **common, **kwargs)
    if path in carried:
        st.caption(f"Carried over from the {carried[path]}")
    problem = next(((p, m) for p, m in problems.items()
                    if p == path or p.startswith(f"{path}[")), None)
    if problem:
        st.error(f"{label_of(problem[0])}: {problem[1]}", icon=":material/error:")


def conflict_notice() -> None:
    """Show a save conflict with both choices; nothing typed is discarded."""
    from careplan.form import label_of  # the intake model loads with the Intake page only

    conflict = st.session_state.get("conflict")
    if conflict:
        path, value, message, version = conflict
        st.warning(f"Your answer for **{md(label_of(path))}** ({md(str(value))}) was not saved. "
                   f"{md(message)}")
        left, right = st.columns(2)
        if left.button("Keep my answer", key="conflict-mine"):
            st.session_state["draft_version"] = version
            save_answer(path, value)
            st.rerun()
        if right.button("Load their version", key="conflict-theirs"):
            st.session_state.pop("loaded_visit", None)
            st.session_state.pop("conflict", None)
            st.rerun()
    if st.session_state.get("save_error"):
        st.error(f"Not saved yet: {st.session_state['save_error']} Your answers are kept here.")


# ---------------------------------------------------------------- body map picture


def body_map_image(selected: Sequence[str], *, scale: float = MAP_SCALE) -> Image.Image:
    """Front and back figure as a picture to click; selected regions dark."""
    from PIL import Image, ImageDraw, ImageFont

    from careplan import bodymap

    gap = bodymap.DEFAULT_GAP
    width = int((2 * bodymap.WIDTH + gap) * scale)
    height = int((bodymap.HEIGHT + bodymap.CAPTION_HEIGHT) * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=int(8 * scale))
    chosen = set(selected)
    for view in bodymap.VIEWS:
        dx = bodymap.view_offset(view, gap=gap)

        def xy(polygon: bodymap.Polygon, dx: float = dx) -> list[tuple[float, float]]:
            return [((x + dx) * scale, y * scale) for x, y in polygon]

        for polygon in bodymap.DECOR[view]:
            draw.polygon(xy(polygon), fill="white", outline=bodymap.OUTLINE)
        for region in bodymap.regions_in(view):
            fill = bodymap.SELECTED_FILL if region.id in chosen else bodymap.UNSELECTED_FILL
            for polygon in region.polygons:
                draw.polygon(xy(polygon), fill=fill, outline=bodymap.OUTLINE)
        for text, x, y in bodymap.side_labels(view):
            draw.text(((x + dx) * scale, y * scale), text, fill="black", font=font, anchor="mm")
        draw.text(((bodymap.WIDTH / 2 + dx) * scale, (bodymap.HEIGHT + 9) * scale),
                  view.capitalize(), fill="black", font=font, anchor="mm")
    return image


def region_at_click(click: dict[str, Any] | None, *, natural_width: int) -> str | None:
    """The body region under a click on the displayed picture (any display size)."""
    from careplan import bodymap

    if not click:
        return None
    shown = float(click.get("width") or natural_width)
    factor = natural_width / shown / MAP_SCALE
    return bodymap.region_at_combined(x=float(click["x"]) * factor,
                                      y=float(click["y"]) * factor, gap=bodymap.DEFAULT_GAP)
