"""Server settings a PHI app must keep: XSRF and CORS on, no error details, no telemetry."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
    for path in [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "pages").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in source, path
        assert "st.html(" not in source, path
