"""What ``streamlit run server.py`` serves: the dashboard (``app.py``) with the routes of the
session cookie and downloads marked no-store (``ui/http.py``).

Why a file of its own: Streamlit finds the ``st.App`` here by reading this file, and the
pages, tests and AppTest keep running ``app.py`` itself.
"""

from __future__ import annotations

import threading

import streamlit as st

from ui.http import MIDDLEWARE, ROUTES


def _warm_sign_in() -> None:
    """Import what the sign-in form needs (SQLAlchemy, the storage models, accounts: about
    0.18 s) while the server starts and the browser loads the page, instead of in the first
    page run: the first sign-in form after a start comes sooner. Imports are thread-safe;
    a page run that needs a module still being imported waits for it."""
    import ui.auth  # noqa: F401 - imported for its side effect: the modules loaded


threading.Thread(target=_warm_sign_in, name="warm-sign-in", daemon=True).start()

app = st.App("app.py", routes=ROUTES, middleware=MIDDLEWARE)
