"""Server settings a PHI app must keep: XSRF and CORS on, no error details, no telemetry."""

from __future__ import annotations

import http.client
import tomllib
from pathlib import Path

import browser

pytest_plugins = ["browser"]

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_config_is_hardened() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert config["server"]["maxUploadSize"] <= 10
    assert config["client"]["showErrorDetails"] is False
    assert config["browser"]["gatherUsageStats"] is False


def test_no_page_passes_html_through() -> None:
    """Only ui/browser_session.py draws HTML (two fixed scripts, no user text in them)."""
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")),
                 *sorted((ROOT / "pages").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in source, path
        if path.name != "browser_session.py":
            assert "st.html(" not in source, path


def _handshake(server: browser.AppServer, origin: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/_stcore/stream", headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": origin})
        response = connection.getresponse()
        return response.status, response.getheader("Access-Control-Allow-Origin") or ""
    finally:
        connection.close()


def test_a_foreign_origin_cannot_open_the_websocket(app_server: browser.AppServer) -> None:
    assert _handshake(app_server, app_server.url)[0] == 101
    status, allowed = _handshake(app_server, "http://evil.example")
    assert status == 403
    assert allowed != "*"
