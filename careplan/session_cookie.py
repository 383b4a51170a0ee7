"""One-time tickets that carry a signed-in browser session into an HttpOnly cookie.

Why: a refresh or a second tab is a new Streamlit session, and asking for a 12+ character
password again costs a clinician 15-20 s mid-appointment. The dashboard's script cannot set
an HttpOnly cookie (it speaks to the browser over a websocket), so after a sign-in it hands
the browser a ticket, and the browser trades the ticket with the server's own HTTP route
(``server.py``) for a cookie holding the session token. The token itself never reaches the
page's JavaScript; the database keeps only its hash (``careplan.accounts``), and whether a
token is still good (signed out, idle, disabled, password reset) is decided there on every
run, never by the cookie.

Tickets live in this server process only, expire after ``TICKET_SECONDS`` and are used
once: the browser's trade goes to the process that served its page (sticky sessions at the
proxy, ``deploy/nginx.conf``).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

COOKIE: Final = "careplan_session"
SESSION_ROUTE: Final = "/_careplan/session"  # trades a ticket for the cookie (server.py)
SIGN_OUT_ROUTE: Final = "/_careplan/sign-out"  # drops the cookie
TICKET_SECONDS: Final = 60
MAX_TICKETS: Final = 10_000  # a flood of sign-ins cannot grow the store without bound


@dataclass(frozen=True, slots=True)
class _Ticket:
    token: str
    expires: datetime


class Tickets:
    """Thread-safe: the script runs on its own threads, the HTTP routes on the event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets: dict[str, _Ticket] = {}

    def issue(self, token: str, *, now: datetime) -> str:
        """A new ticket for ``token``, good once within ``TICKET_SECONDS``."""
        ticket = secrets.token_urlsafe(32)
        with self._lock:
            for key in [k for k, t in self._tickets.items() if t.expires <= now]:
                del self._tickets[key]
            while len(self._tickets) >= MAX_TICKETS:
                del self._tickets[next(iter(self._tickets))]  # the oldest goes first
            self._tickets[ticket] = _Ticket(token, now + timedelta(seconds=TICKET_SECONDS))
        return ticket

    def redeem(self, ticket: str, *, now: datetime) -> str | None:
        """The token for ``ticket``, once; None for an unknown, used or expired ticket."""
        with self._lock:
            found = self._tickets.pop(ticket, None)
        return found.token if found is not None and found.expires > now else None


TICKETS: Final = Tickets()  # one per server process, shared by the script and the routes
