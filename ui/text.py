"""Text put on the page.

Why escape: user text shown through Markdown is escaped first (Markdown could fetch an
image).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from careplan.errors import AccessDeniedError, StorageError

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def md(text: str) -> str:
    """Escape user text for Markdown, so it shows literally."""
    return _MARKDOWN.sub(r"\\\1", text)


def show_storage_error(error: StorageError) -> None:
    """The database problem in its own words (each says what to do); never patient data."""
    st.error(f"{error} Everything saved before is kept.", icon=":material/database:")


@contextmanager
def plain_errors() -> Iterator[None]:
    """Around a page's body: a database problem (busy, full, connection lost, a record
    gone, a record the user may not open) shows its own message, which says what to do,
    instead of Streamlit's exception page; the widgets above it keep what was typed.
    Streamlit's stop and rerun pass."""
    try:
        yield
    except StorageError as error:
        show_storage_error(error)
    except AccessDeniedError as error:  # access is checked by the frame; this is a race
        st.error(str(error), icon=":material/lock:")
