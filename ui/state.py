"""What a browser session holds between reruns: the database handle, the patient and visit
in hand, one id per intended action, and the clock.

Why the selection lives in the session *and* the URL: a refresh, a closed tab or a server
restart comes back to the same patient and visit.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Final

import streamlit as st

from careplan import settings
from careplan.database import Database, open_database


def database() -> Database:
    """The database for ``DATABASE_URL``: the only cached resource (never patient data)."""
    return _database(settings.current().database_url)


@st.cache_resource
def _database(url: str) -> Database:
    # Deployments migrate before starting the app (``make run``); here one query checks the
    # revision, and only a database that is behind (or empty) is migrated.
    return open_database(url)


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return date.today()


_ID: Final = re.compile(r"[1-9][0-9]{0,9}")  # an id as the app writes it ("²" is a digit too)


def selection() -> tuple[int | None, int | None]:
    """The current patient and visit, restored from the URL after a refresh; a value that is
    not an id the app could have written is ignored (the use cases check the rest)."""
    for key in ("patient", "visit"):
        if key not in st.session_state and _ID.fullmatch(st.query_params.get(key, "")):
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


def request_id(name: str) -> str:
    """One id per intended action, so a double click or a retry is one record."""
    key = f"request:{name}"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return str(st.session_state[key])


def done(name: str) -> None:
    st.session_state.pop(f"request:{name}", None)
