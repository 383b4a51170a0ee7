"""Streamlit widgets and state shared by the pages; all clinical logic stays in careplan.

The pages write ``import ui`` and call what is listed here. One module a concept:

- ``ui.frame``: page config, the run marker, sidebar navigation, the patient banner,
  switching pages;
- ``ui.auth``: the sign-in gate and who is signed in;
- ``ui.state``: the database handle, the selection, request ids, the clock;
- ``ui.fields``: intake widgets bound to the draft, saving, save conflicts;
- ``ui.text``: Markdown escaping, error messages;
- ``ui.bodymap``: the clickable body-map picture. Not imported here: it loads Pillow, so
  the Intake page imports it itself and the sign-in form stays light.
"""

from __future__ import annotations

from ui.auth import actor, guarded, require_user, session_ended
from ui.fields import (
    answer_in_draft,
    carried_notice,
    conflict_notice,
    field,
    label,
    load_draft,
    needs_value,
    save_answer,
)
from ui.frame import PAGES, RUN_MARKER, go, need_visit, page, run_marker
from ui.state import choose, database, done, now, request_id, selection, today
from ui.text import md, plain_errors, show_storage_error

__all__ = [
    "PAGES",
    "RUN_MARKER",
    "actor",
    "answer_in_draft",
    "carried_notice",
    "choose",
    "conflict_notice",
    "database",
    "done",
    "field",
    "go",
    "guarded",
    "label",
    "load_draft",
    "md",
    "need_visit",
    "needs_value",
    "now",
    "page",
    "plain_errors",
    "request_id",
    "require_user",
    "run_marker",
    "save_answer",
    "selection",
    "session_ended",
    "show_storage_error",
    "today",
]
