"""What the browser keeps between page loads: the session cookie (a refresh or a new tab
stays signed in within the idle limit) and the idle lock (an unattended screen stops
showing patient data at the idle limit, without waiting for a click).

Why JavaScript, in this module only: the script's run reaches the browser over a websocket,
so setting an HttpOnly cookie takes an HTTP request from the page (``server.py``), and a
screen left alone sends nothing at all. No user text ever reaches these scripts: they carry
a random ticket and a number of milliseconds, JSON-encoded.
"""

from __future__ import annotations

import json
from typing import Final

import streamlit as st

from careplan.accounts import idle_limit
from careplan.session_cookie import COOKIE, SESSION_ROUTE, SIGN_OUT_ROUTE, TICKETS
from ui.state import now

LOCKED_ID: Final = "careplan-locked"  # the cover drawn at the idle limit (tests wait on it)
KEPT_MARK: Final = "careplanSession"  # <html data-careplan-session="kept"> once the cookie is set

_IDLE_JS: Final = """
(() => {
  const idle = (window.careplanIdle = window.careplanIdle || {});
  idle.limit = %(limit)s;
  idle.armed = %(armed)s;
  if (idle.installed) return;
  idle.installed = true;
  idle.last = Date.now();
  const touch = () => { idle.last = Date.now(); };
  for (const name of ["pointerdown", "pointermove", "keydown", "wheel", "touchstart",
                      "scroll"]) {
    document.addEventListener(name, touch, { capture: true, passive: true });
  }
  setInterval(() => {
    if (!idle.armed || idle.locked || Date.now() - idle.last < idle.limit) return;
    idle.locked = true;  // hide everything now, then load the page again: the server finds
    const app = document.querySelector('[data-testid="stApp"]');  // the session idle
    if (app) app.style.visibility = "hidden";
    const cover = document.createElement("div");
    cover.id = %(locked)s;
    cover.setAttribute("role", "alert");
    cover.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:#fff;" +
      "display:flex;align-items:center;justify-content:center;font:1.25rem sans-serif";
    cover.textContent = "Locked after a while without activity. Sign in again: " +
      "everything you typed is saved.";
    document.body.appendChild(cover);
    window.location.reload();
  }, 1000);
})();
"""

_ADOPT_JS: Final = """
(() => {
  const ticket = %(ticket)s;
  const done = (window.careplanTickets = window.careplanTickets || {});
  if (done[ticket]) return;
  done[ticket] = true;
  fetch(%(route)s, { method: "POST", body: ticket, credentials: "same-origin" })
    .then((response) => {
      if (response.status === 204) document.documentElement.dataset.%(mark)s = "kept";
    });
})();
"""

_DROP_JS: Final = """
fetch(%(route)s, { method: "POST", credentials: "same-origin" }).then(() => {
  document.documentElement.dataset.%(mark)s = "dropped";
});
"""


def cookie_token() -> str | None:
    """The session token this browser sent when the page loaded (a refresh, a new tab)."""
    token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) and 20 <= len(token) <= 100 else None


def keep(token: str) -> None:
    """After a sign-in: the next run hands the browser a ticket for the cookie (rotated at
    every sign-in: a new token, a new cookie)."""
    st.session_state["cookie_ticket"] = TICKETS.issue(token, now=now())
    st.session_state.pop("drop_cookie", None)


def forget() -> None:
    """After a sign-out: the next run drops the cookie (its session has already ended)."""
    st.session_state.pop("cookie_ticket", None)
    st.session_state["drop_cookie"] = True


def scripts(*, signed_in: bool) -> None:
    """The browser's part of this run: the idle lock (armed only while signed in), and the
    cookie handed over or dropped when a sign-in or sign-out asked for it."""
    parts = [_IDLE_JS % {"limit": int(idle_limit().total_seconds() * 1000),
                         "armed": json.dumps(signed_in), "locked": json.dumps(LOCKED_ID)}]
    ticket = st.session_state.get("cookie_ticket")
    if signed_in and isinstance(ticket, str):
        parts.append(_ADOPT_JS % {"ticket": json.dumps(ticket),
                                  "route": json.dumps(SESSION_ROUTE), "mark": KEPT_MARK})
    drop = not signed_in and st.session_state.get("drop_cookie", False)
    if drop:
        parts.append(_DROP_JS % {"route": json.dumps(SIGN_OUT_ROUTE), "mark": KEPT_MARK})
    st.html(f"<script>{''.join(parts)}</script>", unsafe_allow_javascript=True)
    # Sent: forgotten only now, so a run cut short before this point sends them again.
    if signed_in:
        st.session_state.pop("cookie_ticket", None)
    if drop:
        st.session_state.pop("drop_cookie", None)
