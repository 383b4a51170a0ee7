"""The HTTP side of the dashboard: the two routes of the session cookie, and downloads
only for a signed-in browser, kept by no browser or proxy (``server.py`` mounts them beside
Streamlit's own).

Why routes of our own: the dashboard's script speaks to the browser over a websocket and
cannot set an HttpOnly cookie, so after a sign-in the page trades a one-time ticket here
for one (``careplan.session_cookie``). The cookie only says which session to check; the
database decides on every run whether it is still good.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careplan import accounts
from careplan.session_cookie import COOKIE, SESSION_ROUTE, SIGN_OUT_ROUTE, TICKETS

_MAX_TICKET_BYTES: Final = 200


def _same_origin(request: Request) -> bool:
    """A request the dashboard's own page sent: browsers name the page's origin on every
    POST, and it must be this host (a cross-site form cannot plant or drop the cookie)."""
    origin, host = request.headers.get("origin"), request.headers.get("host")
    return bool(origin and host) and urlsplit(origin).netloc == host


def _behind_tls(request: Request) -> bool:
    """HTTPS here, or at the proxy in front (which says so in X-Forwarded-Proto)."""
    return (request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto", "").lower() == "https")


def _no_store(status: int) -> Response:
    return Response(status_code=status, headers={"Cache-Control": "no-store"})


async def adopt_session(request: Request) -> Response:
    """Trade a ticket from a sign-in for the session cookie (no expiry date: it goes when
    the browser closes; idle and sign-out end it in the database first)."""
    if not _same_origin(request):
        return Response(status_code=403)
    body = await request.body()
    token = None if len(body) > _MAX_TICKET_BYTES else TICKETS.redeem(
        body.decode("ascii", errors="replace"), now=datetime.now(UTC))
    if token is None:
        return _no_store(403)
    response = _no_store(204)
    response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=_behind_tls(request))
    return response


async def forget_session(request: Request) -> Response:
    """Drop the cookie (after signing out; the session already ended in the database)."""
    if not _same_origin(request):
        return Response(status_code=403)
    response = _no_store(204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_behind_tls(request))
    return response


class GuardedDownloads:
    """Handouts and summaries (``/media/...``) go only to a browser whose session cookie
    names a session still signed in, and carry ``Cache-Control: no-store``.

    Why: Streamlit keeps a file it offered for download until later runs let it go, under a
    URL anyone holding it can fetch; after a sign-out (or the idle limit) on a shared
    computer, the URL from the history must not bring a patient's PDF back, and no browser
    cache or proxy may keep one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/media/"):
            await self.app(scope, receive, send)
            return
        token = Request(scope).cookies.get(COOKIE)
        if not token or not await run_in_threadpool(_live, token):
            await _no_store(403)(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, no_store)


def _live(token: str) -> bool:
    """The session check of a download (a thread of its own: it reads the database)."""
    from ui.state import database

    return accounts.session_is_live(database(), token=token, now=datetime.now(UTC))


ROUTES: Final = [Route(SESSION_ROUTE, adopt_session, methods=["POST"]),
                 Route(SIGN_OUT_ROUTE, forget_session, methods=["POST"])]
MIDDLEWARE: Final = [Middleware(GuardedDownloads)]
