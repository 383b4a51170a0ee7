"""Intake answers bound to the draft: filling widgets from the saved draft, one widget per
question of the form registry, saving each answer as it changes, and save conflicts.

Why: every intake widget is bound to one draft path and saves that answer to the database
the moment it changes, so nothing typed is lost. The form registry (``careplan.intake.form``, which
loads the intake model) is imported inside the functions: it loads with the Intake page only.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import TYPE_CHECKING, Any, Final

import streamlit as st

from careplan import visits
from careplan.errors import (
    AccessDeniedError,
    ConflictError,
    IntakeError,
    SessionEndedError,
    StorageError,
)
from ui.auth import actor, session_ended
from ui.state import database, now, today
from ui.text import md

if TYPE_CHECKING:
    from careplan.accounts import SignedIn
    from careplan.intake.form import Entry, Kind


def load_draft(visit: int) -> visits.DraftView:
    """The saved draft and its preview, read from the database on every run; on a new visit
    (or after a refresh) every widget is filled from it, and a widget drawn again after a
    while away (another page, a section not drawn) starts from the saved answer, never from
    an older copy. The preview made while saving the last answer is reused, not remade."""
    who = actor()
    if who is None:  # ui.page() signed the user in before any page loads a draft
        st.stop()
    cached = st.session_state.get("draft_view")
    known = cached if isinstance(cached, visits.DraftView) else None
    view = visits.open_draft(database(), who, visit_id=visit, today=today(), cached=known)
    st.session_state["draft_view"] = view
    if (known is not None and known.draft.visit_id == visit
            and known.draft.version != view.draft.version
            and st.session_state.get("loaded_visit") == visit):
        # Saved elsewhere since this page last ran (another tab, a colleague): every field
        # shows the saved answer now, except one whose own answer is still being resolved.
        conflict = st.session_state.get("conflict")
        _show_saved(known.draft.data, view.draft.data, keep=conflict[0] if conflict else None)
        if not conflict:
            st.session_state["draft_version"] = view.draft.version
    if st.session_state.get("loaded_visit") != visit:
        for key in [k for k in st.session_state if str(k).startswith("f:")]:
            del st.session_state[key]
        st.session_state["loaded_visit"] = visit
        st.session_state["draft_version"] = view.draft.version
    return view


def needs_value(key: str) -> bool:
    """Whether the widget ``key`` must be given its saved value in this run (it is new, or
    its state was dropped because a run left it out)."""
    return key not in st.session_state


def _show_saved(before: Any, after: Any, *, keep: str | None) -> None:
    """Put the saved answer into every drawn field whose saved answer changed."""
    from careplan.intake.form import entry

    for key in [k for k in st.session_state if str(k).startswith("f:")]:
        path = str(key)[2:]
        if path == keep or _get(before, path) == _get(after, path):
            continue
        try:
            kind = entry(path).kind
        except KeyError:
            continue
        st.session_state[key] = _to_widget(kind, _get(after, path))


def _saved(path: str) -> Any:
    """The saved answer at ``path`` in the draft as last read or saved."""
    view = st.session_state.get("draft_view")
    return _get(view.draft.data, path) if isinstance(view, visits.DraftView) else None


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def answer_in_draft(path: str) -> bool:
    """The loaded draft holds an answer at ``path`` (e.g. to open the section it is in)."""
    return _saved(path) is not None


def _to_widget(kind: Kind, value: Any) -> Any:
    if value is None:
        return [] if kind in ("multi",) else ("" if kind in ("text", "lines", "date") else None)
    if kind == "date":  # typed as text: the saved ISO date as it is stored
        return str(value)
    if kind == "yesno":
        return {True: "Yes", False: "No"}.get(value)
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return value


_DATE_SHAPES: Final = (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
                       re.compile(r"(\d{4})(\d{2})(\d{2})"),
                       re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"))


class NotADate(ValueError):
    """Typed text that is not a complete date: not saved, said at the field."""


def typed_date(value: Any) -> str | None:
    """A typed date as stored (``2026-11-20``), from 2026-11-20, 20261120 or 2026/11/20;
    blank is "not asked". Anything else raises ``NotADate`` (nothing is saved)."""
    text = str(value or "").strip()
    if not text:
        return None
    for shape in _DATE_SHAPES:
        found = shape.fullmatch(text)
        if found:
            try:
                return date(*(int(part) for part in found.groups())).isoformat()
            except ValueError:
                raise NotADate("is not a real date (year-month-day)") from None
    raise NotADate("is not a complete date: type year-month-day, e.g. 2026-11-20")


def _to_draft(kind: Kind, value: Any) -> Any:
    if kind in ("text",):
        return value if value and value.strip() else None
    if kind == "lines":
        items = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        return items
    if kind == "date":
        return typed_date(value)
    if kind == "yesno":
        return {"Yes": True, "No": False}.get(value)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)  # 6.0 is 6; 6.5 goes on as typed and is refused, never cut to 6
    return value


def save_answer(path: str, value: Any) -> None:
    """Save one answer now; a conflict keeps what was typed and says who changed it.

    Runs in widget callbacks, before the page checks the session: the use case checks it
    in the same transaction, and an ended session writes nothing and forgets the user.
    """
    visit, who = st.session_state.get("visit"), actor()
    if visit is None or who is None:
        return
    known = st.session_state.get("draft_view")
    seen = _get(known.draft.data, path) if isinstance(known, visits.DraftView) else (
        visits.NOT_SEEN)
    try:
        view = visits.answer(database(), who, visit_id=visit, path=path, value=value,
                             expected_version=st.session_state.get("draft_version", 1),
                             today=today(), now=now(), seen=seen)
    except SessionEndedError:
        session_ended()
        return
    except ConflictError as error:
        st.session_state["conflict"] = (path, value, _conflict_message(error, who),
                                        error.version)
        return
    except (StorageError, AccessDeniedError) as error:
        st.session_state["save_error"] = str(error)
        return
    except IntakeError as error:  # refused, nothing written: said at the field itself
        st.session_state["not_saved"] = {p.path: p.message for p in error.problems}
        st.session_state.pop("save_error", None)
        return
    if isinstance(known, visits.DraftView):  # answers saved elsewhere meanwhile show now
        _show_saved(known.draft.data, view.draft.data, keep=path)
    st.session_state["draft_version"] = view.draft.version  # only once committed
    st.session_state["draft_view"] = view
    st.session_state.pop("conflict", None)
    st.session_state.pop("save_error", None)
    st.session_state.pop("not_saved", None)


def carried_notice(section: str, carried: dict[str, str]) -> None:
    """Above a section: which of its answers were carried over from the last visit, and
    one click to confirm them all with the patient ("Same as last visit")."""
    from careplan.intake.form import section_of

    here = sorted(p for p in carried if section_of(p) == section)
    if not here:
        return
    sources = ", ".join(sorted({carried[p] for p in here}))
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.info(f"{len(here)} answer{'s' if len(here) > 1 else ''} in this section "
              f"{'are' if len(here) > 1 else 'is'} from the {md(sources)}, marked below. "
              f"Check {'them' if len(here) > 1 else 'it'} with the patient, change what "
              "changed.",
              icon=":material/history:")
    right.button("Same as last visit — confirm", key=f"confirm-{section}",
                 on_click=_confirm, args=(section,))


def _confirm(section: str) -> None:
    visit, who = st.session_state.get("visit"), actor()
    known = st.session_state.get("draft_view")
    if visit is None or who is None or not isinstance(known, visits.DraftView):
        return
    try:
        view = visits.confirm_carried(database(), who, visit_id=visit, section=section,
                                      expected_version=st.session_state.get("draft_version", 1),
                                      today=today(), now=now())
    except SessionEndedError:
        session_ended()
        return
    except ConflictError:
        st.session_state["save_error"] = ("The intake was changed in another tab or window "
                                          "meanwhile: it is shown now; confirm again.")
        st.session_state.pop("loaded_visit", None)  # reload every field from the saved draft
        return
    except (StorageError, AccessDeniedError) as error:
        st.session_state["save_error"] = str(error)
        return
    st.session_state["draft_version"] = view.draft.version
    st.session_state["draft_view"] = view
    st.session_state.pop("save_error", None)


def _conflict_message(error: ConflictError, who: SignedIn) -> str:
    """Who changed the same answer first, in words: the same clinician elsewhere is
    "you, in another tab or window"."""
    when = error.changed_at.strftime("%H:%M UTC")
    by = ("you changed it in another tab or window" if error.changed_by == who.display_name
          else f"{error.changed_by} changed it")
    return (f"Since this page showed it, {by} at {when}. Your answer is kept here: keep it, "
            "or load the saved one.")


def _changed(path: str, key: str, kind: Kind) -> None:
    try:
        value = _to_draft(kind, st.session_state[key])
    except NotADate as error:
        st.session_state["not_saved"] = {path: str(error)}
        return
    save_answer(path, value)


def _picked(path: str, key: str) -> None:
    """A date chosen on the calendar goes into the typed field and is saved."""
    picked = st.session_state.get(f"cal:{path}")
    if isinstance(picked, date):
        st.session_state[key] = picked.isoformat()
        save_answer(path, picked.isoformat())


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
    from careplan.intake.form import label_of

    kind, path, shown = entry.kind, entry.path, label(entry)
    key = f"f:{path}"
    if needs_value(key):
        st.session_state[key] = _to_widget(kind, _saved(path))
    if entry.scale and st.session_state[key] not in (None, *entry.scale_values):
        st.session_state[key] = None  # not one of the scale's answers (its message says so)
    # The widget's default is its current value. Why: a run that does not set a widget
    # through session state sends the browser only the default, and a browser that has not
    # drawn the widget yet (a reload whose first run was cut short by the next) shows that
    # default: a number box showed 0 for a saved 7, and the next change anywhere would have
    # sent that 0 back and saved it. Streamlit identifies these widgets by key alone, so a
    # changing default does not make a new widget.
    shown_value = st.session_state[key]
    common: dict[str, Any] = {"key": key, "on_change": _changed, "args": (path, key, kind),
                              "help": entry.help or None}
    if entry.bounds is not None and not entry.scale:  # a scale offers its bounds' values
        low, high = entry.bounds
        common |= {"min_value": float(low), "max_value": float(high)}
    if kind == "text":
        st.text_input(shown, value=shown_value, **common, **kwargs)
    elif kind == "textarea" or kind == "lines":
        st.text_area(shown, value=shown_value, **common, **kwargs)
    elif entry.scale:  # one tap, in the instrument's own words
        low = entry.scale_values[0]
        chosen = _number_default(shown_value)
        st.segmented_control(shown, entry.scale_values,
                             format_func=lambda value: entry.scale[value - low],
                             default=int(chosen) if chosen in entry.scale_values else None,
                             **common, **kwargs)
    elif kind in ("int", "float"):
        # Decimal boxes even for whole numbers: Streamlit's whole-number box cuts 6.5 to 6
        # on the server, unseen; here 6.5 arrives and is refused at the field instead.
        # "%g" shows 20 as 20 and 5.5 as 5.5.
        st.number_input(shown, value=_number_default(shown_value),
                        step=1.0 if kind == "int" else 0.5, format="%g", **common, **kwargs)
    elif kind == "date":
        # Typed, saved on Enter or Tab once complete; the calendar only behind its icon, so
        # it never opens over the next fields and swallows what is typed there.
        typed, calendar = st.columns([6, 1], vertical_alignment="bottom")
        typed.text_input(shown, value=shown_value, placeholder="YYYY-MM-DD", max_chars=10,
                         **common, **kwargs)
        with calendar.popover("", icon=":material/calendar_month:",
                              help=f"Pick the {entry.label.lower()} on a calendar"):
            try:
                start = date.fromisoformat(str(shown_value)) if shown_value else None
            except ValueError:
                start = None
            if st.session_state.get(f"cal:{path}") != start:  # opens on the typed date
                st.session_state[f"cal:{path}"] = start
            from careplan.intake.form import FIRST_DATE, LAST_DATE

            st.date_input(entry.label, value=start, min_value=FIRST_DATE,
                          max_value=LAST_DATE, format="YYYY-MM-DD", key=f"cal:{path}",
                          on_change=_picked, args=(path, key))
    elif kind == "choice":
        index = entry.options.index(shown_value) if shown_value in entry.options else None
        st.selectbox(shown, entry.options, index=index, format_func=entry.option_label,
                     placeholder="Not asked", **common, **kwargs)
    elif kind == "multi":
        st.multiselect(shown, entry.options, default=shown_value,
                       format_func=entry.option_label, placeholder="Not asked", **common,
                       **kwargs)
    elif kind == "yesno":
        st.segmented_control(shown, ["Yes", "No"], default=shown_value, **common, **kwargs)
    if path in carried:
        st.caption(f"Carried over from the {carried[path]}")
    refused = _not_saved(path)
    if refused is not None:  # what is in the box was not saved: say so, and what is saved
        saved = _saved(path)
        why = refused.removesuffix(f"; {visits.NOT_SAVED}")
        st.error(f"**Not saved:** {md(entry.label)} {md(why)}. The saved answer is "
                 f"{'blank (not asked)' if saved is None else md(_shown(entry, saved))}.",
                 icon=":material/error:")
        return
    problem = next(((p, m) for p, m in problems.items()
                    if p == path or p.startswith(f"{path}[")), None)
    if problem:
        st.error(f"{label_of(problem[0])}: {problem[1]}", icon=":material/error:")


def _not_saved(path: str) -> str | None:
    """Why the last answer typed at ``path`` was refused (and nothing written), if it was."""
    refused = st.session_state.get("not_saved")
    if not isinstance(refused, dict):
        return None
    message = next((m for p, m in refused.items() if p == path or p.startswith(f"{path}[")),
                   None)
    return None if message is None else str(message)


def _shown(entry: Entry, value: Any) -> str:
    """A saved answer as the clinician reads it (a scale's words, an option's label)."""
    if entry.scale and isinstance(value, int) and value in entry.scale_values:
        words = entry.scale[value - entry.scale_values[0]]
        return words if words == str(value) else f"{value} ({words})"
    if entry.kind == "yesno":
        return {True: "Yes", False: "No"}.get(value, str(value))
    if entry.kind in ("choice", "multi"):
        items = value if isinstance(value, list) else [value]
        return ", ".join(entry.option_label(str(v)) for v in items)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _number_default(value: Any) -> float | None:
    """A number box's default as a decimal, the box's own type (Streamlit refuses a whole
    number beside decimal bounds); nothing for what is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def conflict_notice() -> None:
    """Show a save conflict with both choices; nothing typed is discarded."""
    from careplan.intake.form import label_of  # the intake model loads with the Intake page only

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
