"""The browser test infrastructure works, against a throwaway Streamlit script (not app.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

import browser

pytest_plugins = ["browser"]

PROBE = """
import os
import time
import uuid

import streamlit as st

# The run marker app pages draw (ui.frame.run_marker), so the helpers wait on it here too.
with st.container(key=f"careplan-run-{uuid.uuid4().hex}-saved-none"):
    st.empty()
st.title("Infra probe")
st.write(f"testing={os.environ.get('CAREPLAN_TESTING')}")
st.write(f"database={os.environ.get('DATABASE_URL', '').rsplit('/', 1)[-1]}")
st.session_state.runs = st.session_state.get("runs", 0) + 1
st.write(f"runs={st.session_state.runs}")
st.button("Again")
if st.button("Slow"):
    time.sleep(2)
    st.write("slow run finished")
if st.button("Probe XSS"):
    st.components.v1.html("<script>alert('from-component')</script>", height=40)
for i in range(40):
    st.write(f"filler line {i}")
"""


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("probe")
    (directory / "probe.py").write_text(PROBE)
    return directory


@pytest.fixture(scope="module")
def server(probe_dir: Path) -> Iterator[browser.AppServer]:
    srv = browser.AppServer(
        browser.sqlite_env(probe_dir), probe_dir, script=probe_dir / "probe.py", cwd=probe_dir
    )
    with srv:
        yield srv


def test_server_is_healthy_and_timed(server: browser.AppServer) -> None:
    assert server.running
    assert server.healthy()
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.last_start_seconds is not None
    assert 0 < server.last_start_seconds < browser.START_TIMEOUT


def test_page_shows_the_script_with_the_test_environment(
    server: browser.AppServer, browser_page: Page
) -> None:
    browser.open_app(browser_page, server.url)
    assert browser_page.get_by_text("Infra probe").is_visible()
    assert browser_page.get_by_text("testing=1").is_visible()
    assert browser_page.get_by_text("database=app.db").is_visible()
    assert browser.dialogs(browser_page) == []
    assert browser.page_errors(browser_page) == []


def test_wait_for_app_waits_for_a_slow_rerun(server: browser.AppServer, browser_page: Page) -> None:
    browser.open_app(browser_page, server.url)
    assert browser_page.get_by_text("runs=1").is_visible()
    started = time.monotonic()
    with browser.rerun(browser_page):
        browser_page.get_by_role("button", name="Slow").click()
    assert time.monotonic() - started >= 1.8
    # No auto-waiting: the run's output must already be there.
    assert browser_page.get_by_text("slow run finished").count() == 1
    assert browser_page.get_by_text("runs=2").count() == 1


def test_reload_starts_a_fresh_session(server: browser.AppServer, browser_page: Page) -> None:
    browser.open_app(browser_page, server.url)
    with browser.rerun(browser_page):
        browser_page.get_by_role("button", name="Again").click()
    assert browser_page.get_by_text("runs=2").count() == 1
    browser_page.reload()
    browser.wait_for_app(browser_page)
    assert browser_page.get_by_text("runs=1").count() == 1


def test_dialogs_are_recorded_and_dismissed(server: browser.AppServer, browser_page: Page) -> None:
    browser.open_app(browser_page, server.url)
    browser_page.evaluate("alert('x')")
    assert browser.dialogs(browser_page) == ["x"]
    # A script in a components iframe reaches the same recorder (the iframe allows modals).
    with browser_page.expect_event("dialog"), browser.rerun(browser_page):  # the frame's alert
        browser_page.get_by_role("button", name="Probe XSS").click()
    assert browser.dialogs(browser_page) == ["x", "from-component"]


def test_screenshots_at_both_sizes(server: browser.AppServer, browser_page: Page) -> None:
    browser.open_app(browser_page, server.url)
    paths = browser.screenshot(browser_page, "infra-probe")
    assert [p.name for p in paths] == ["infra-probe-1280x800.png", "infra-probe-768x1024.png"]
    assert all(p.parent == browser.SCREENSHOT_DIR for p in paths)
    (wide_w, wide_h), (narrow_w, narrow_h) = (browser.png_size(p) for p in paths)
    assert wide_w == 1280
    assert narrow_w == 768
    # Full page: the 40 filler lines do not fit in the viewport, so the shots are taller.
    assert wide_h > 800
    assert narrow_h > 1024
    assert browser_page.viewport_size == {"width": 1280, "height": 800}


def test_restart_keeps_the_url_and_the_page_reconnects(
    server: browser.AppServer, browser_page: Page
) -> None:
    browser.open_app(browser_page, server.url)
    url, port = server.url, server.port
    server.restart()
    assert (server.url, server.port) == (url, port)
    assert server.healthy()
    browser_page.reload()
    browser.wait_for_app(browser_page)
    assert browser_page.get_by_text("runs=1").count() == 1
    assert browser_page.get_by_text("Infra probe").is_visible()


def test_a_server_that_dies_raises_with_its_log(probe_dir: Path, tmp_path: Path) -> None:
    broken = browser.AppServer({}, tmp_path, script=tmp_path / "missing.py", cwd=probe_dir)
    with pytest.raises(RuntimeError, match=r"(?s)exited with code [1-9].*does not exist"):
        broken.start()
    assert not broken.running
    assert broken.last_start_seconds is None


def test_a_taken_port_is_refused(server: browser.AppServer, tmp_path: Path) -> None:
    assert not browser.port_is_free(server.port)
    other = browser.AppServer({}, tmp_path, port=server.port)
    with pytest.raises(RuntimeError, match="already in use"):
        other.start()
    assert not other.running
    assert server.healthy()


def test_measure_cold_start(probe_dir: Path, tmp_path: Path) -> None:
    seconds = browser.measure_cold_start(
        browser.sqlite_env(tmp_path), script=probe_dir / "probe.py", cwd=probe_dir
    )
    assert 0 < seconds < browser.START_TIMEOUT


def test_ci_never_skips_browser_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    if browser.in_ci():
        assert browser.CHROMIUM.exists(), "CI must have Chromium installed"
    monkeypatch.setenv("CI", "true")
    assert browser.in_ci()
    monkeypatch.delenv("CI")
    assert not browser.in_ci()
