"""The session cookie's routes and the no-store downloads (ui/http.py), called as the ASGI
server calls them; the browser's side is in tests/test_browser_flow.py (g, h, i)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from bench.load import in_own_loop  # Playwright's sync API may run a loop in this thread
from careplan.session_cookie import (
    COOKIE,
    MAX_TICKETS,
    SESSION_ROUTE,
    TICKET_SECONDS,
    TICKETS,
    Tickets,
)
from ui import http
from ui.http import GuardedDownloads, adopt_session, forget_session

HOST = "clinic.example:8501"
TOKEN = "t" * 43


def request(path: str, body: bytes = b"", *, origin: str | None = f"http://{HOST}",
            proto: str | None = None) -> Request:
    headers = [(b"host", HOST.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if proto is not None:
        headers.append((b"x-forwarded-proto", proto.encode()))
    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": headers,
                    "scheme": "http", "server": ("127.0.0.1", 8501), "query_string": b""}

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def adopt(sent: Request) -> Response:
    return in_own_loop(lambda: adopt_session(sent))


def forget(sent: Request) -> Response:
    return in_own_loop(lambda: forget_session(sent))


def set_cookie(response: Response) -> SimpleCookie:
    cookie: SimpleCookie = SimpleCookie()
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            cookie.load(value.decode())
    return cookie


def test_a_ticket_is_traded_once_for_an_http_only_strict_cookie_holding_the_token() -> None:
    ticket = TICKETS.issue(TOKEN, now=datetime.now(UTC))
    response = adopt(request(SESSION_ROUTE, ticket.encode()))
    assert response.status_code == 204
    assert response.headers["cache-control"] == "no-store"
    morsel = set_cookie(response)[COOKIE]
    assert morsel.value == TOKEN
    assert (morsel["httponly"], morsel["samesite"], morsel["path"]) == (True, "strict", "/")
    assert not morsel["secure"]  # plain http: a Secure cookie would not come back
    assert not morsel["expires"]  # and not morsel["max-age"]: gone with the browser
    again = adopt(request(SESSION_ROUTE, ticket.encode()))
    assert again.status_code == 403
    assert COOKIE not in set_cookie(again)


def test_behind_a_tls_proxy_the_cookie_is_secure() -> None:
    ticket = TICKETS.issue(TOKEN, now=datetime.now(UTC))
    response = adopt(request(SESSION_ROUTE, ticket.encode(),
                                                 proto="https"))
    assert set_cookie(response)[COOKIE]["secure"] is True


def test_another_site_or_no_origin_cannot_trade_a_ticket_or_drop_the_cookie() -> None:
    for origin in ("https://evil.example", None, "null"):
        ticket = TICKETS.issue(TOKEN, now=datetime.now(UTC))
        refused = adopt(request(SESSION_ROUTE, ticket.encode(),
                                                    origin=origin))
        assert refused.status_code == 403, origin
        assert forget(request("/x", origin=origin)).status_code == 403
        # the refused ticket is still good for the dashboard's own page
        assert adopt(request(SESSION_ROUTE, ticket.encode())).status_code \
            == 204


def test_unknown_or_oversized_tickets_are_refused() -> None:
    for body in (b"", b"not a ticket", b"x" * 10_000, "é".encode()):
        assert adopt(request(SESSION_ROUTE, body)).status_code == 403


def test_signing_out_drops_the_cookie() -> None:
    response = forget(request("/_careplan/sign-out"))
    assert response.status_code == 204
    morsel = set_cookie(response)[COOKIE]
    assert morsel.value == ""
    assert morsel["max-age"] == "0"


def test_tickets_expire_are_used_once_and_cannot_pile_up() -> None:
    tickets, now = Tickets(), datetime(2026, 11, 30, 12, tzinfo=UTC)
    late = tickets.issue(TOKEN, now=now)
    assert tickets.redeem(late, now=now + timedelta(seconds=TICKET_SECONDS)) is None
    first = tickets.issue("a" * 43, now=now)
    for _ in range(MAX_TICKETS):
        tickets.issue(TOKEN, now=now)
    assert tickets.redeem(first, now=now) is None  # the oldest went first
    fresh = tickets.issue("b" * 43, now=now)
    assert tickets.redeem(fresh, now=now) == "b" * 43
    assert tickets.redeem(fresh, now=now) is None


def test_downloads_go_only_to_a_live_session_never_stored_and_other_paths_are_left_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    live = {"live-token-" + "x" * 32}
    monkeypatch.setattr(http, "_live", lambda token: token in live)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"cache-control", b"max-age=3600")]})
        await send({"type": "http.response.body", "body": b"%PDF"})

    def served(path: str, cookie: str | None = None) -> tuple[int, dict[bytes, bytes]]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request"}

        headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []
        scope: Scope = {"type": "http", "path": path, "headers": headers}
        in_own_loop(lambda: GuardedDownloads(app)(scope, receive, send))
        return int(sent[0]["status"]), dict(sent[0]["headers"])

    status, headers = served("/media/3f2a.pdf", "live-token-" + "x" * 32)
    assert (status, headers[b"cache-control"]) == (200, b"no-store")
    for cookie in (None, "ended-token-" + "y" * 32):  # signed out, idle, or never signed in
        status, headers = served("/media/3f2a.pdf", cookie)
        assert (status, headers[b"cache-control"]) == (403, b"no-store"), cookie
    assert served("/_stcore/health") == (200, {b"cache-control": b"max-age=3600"})
