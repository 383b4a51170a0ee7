"""The placeholder page renders without errors (AppTest, no browser)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def test_app_renders_and_invites_an_intake() -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.run()
    assert not app.exception
    assert app.title[0].value == "Inomyalgia Care"
    assert "Decision support" in app.caption[0].value
    assert "Upload an intake" in app.info[0].value
