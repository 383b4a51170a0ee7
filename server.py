"""What ``streamlit run server.py`` serves: the dashboard (``app.py``) with the routes of the
session cookie and downloads marked no-store (``ui/http.py``).

Why a file of its own: Streamlit finds the ``st.App`` here by reading this file, and the
pages, tests and AppTest keep running ``app.py`` itself.
"""

from __future__ import annotations

import streamlit as st

from ui.http import MIDDLEWARE, ROUTES

app = st.App("app.py", routes=ROUTES, middleware=MIDDLEWARE)
