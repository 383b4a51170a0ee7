"""Text put on the page.

Why escape: user text shown through Markdown is escaped first (Markdown could fetch an
image).
"""

from __future__ import annotations

import re

import streamlit as st

from careplan.errors import StorageError

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def md(text: str) -> str:
    """Escape user text for Markdown, so it shows literally."""
    return _MARKDOWN.sub(r"\\\1", text)


def show_storage_error(error: StorageError) -> None:
    st.error(f"{error}")
