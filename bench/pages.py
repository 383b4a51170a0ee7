"""Dashboard benchmark: an Intake rerun after one widget change (draft save included),
and the cold start of ``streamlit run`` to a usable sign-in form in headless Chromium,
beside a minimal Streamlit app measured the same way in the same run."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.timing import Timing

ROOT = Path(__file__).resolve().parent.parent
COLD_RUNS = 5
# The floor: Streamlit itself drawing a sign-in form (a title and two text inputs).
MINIMAL_APP = """\
import streamlit as st

st.set_page_config(page_title="Minimal")
st.title("Sign in")
with st.form("sign-in"):
    st.text_input("User name")
    st.text_input("Password", type="password")
    st.form_submit_button("Sign in")
"""


def _spread(samples: list[float]) -> str:
    return (f"median {statistics.median(samples):.2f} s "
            f"(min {min(samples):.2f}, max {max(samples):.2f}, n={len(samples)})")


def cold_start(folder: Path, env: Mapping[str, str], runs: int = COLD_RUNS) -> list[str]:
    """Seconds from ``streamlit run`` to the sign-in form drawn and usable in Chromium.

    The clock starts before the server process does and stops when the "Sign in" heading
    and an editable "User name" input are visible; the browser is launched beforehand (a
    fresh context per run). The app and the minimal app alternate, so both see the same
    machine load. The app's database is migrated beforehand, as ``make run`` does."""
    sys.path.insert(0, str(ROOT / "tests"))
    from playwright.sync_api import sync_playwright

    import browser

    minimal = folder / "minimal"
    minimal.mkdir()
    (minimal / "app.py").write_text(MINIMAL_APP, encoding="utf-8")
    samples: dict[str, list[float]] = {"app": [], "minimal": []}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(browser.CHROMIUM), args=list(browser.CHROMIUM_ARGS),
            headless=True)
        try:
            for _ in range(runs):
                for name, script in (("app", ROOT / "server.py"), ("minimal", minimal / "app.py")):
                    context = chromium.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    server = browser.AppServer(env, folder / f"log-{name}", cwd=script.parent,
                                               script=script)
                    started = time.monotonic()
                    try:
                        server.start()
                        page.goto(server.url)
                        page.get_by_role("heading", name="Sign in").wait_for(timeout=60_000)
                        field = page.get_by_label("User name")
                        field.wait_for(timeout=60_000)
                        if not field.is_editable():
                            raise RuntimeError(f"{name}: the user name field is not editable")
                        samples[name].append(time.monotonic() - started)
                    finally:
                        context.close()
                        server.stop()
        finally:
            chromium.close()
    ratio = statistics.median(samples["app"]) / statistics.median(samples["minimal"])
    return [
        f"cold start to the sign-in form in Chromium, app:          {_spread(samples['app'])}",
        f"cold start to the sign-in form in Chromium, minimal app:  {_spread(samples['minimal'])}",
        f"cold start ratio app / minimal app (goal <= 1.2x):        {ratio:.2f}x",
    ]


def _changes(url: str) -> int:
    """How many intake changes the audit trail holds (each saved answer writes one)."""
    from careplan import storage

    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine, readonly=True) as session:
            return len(storage.audit_records(session=session, action="change_intake"))
    finally:
        engine.dispose()


def run(time_ms: Callable[..., Timing]) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from apps import TOKENS, make_accounts
    from careplan import demo, storage

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        os.environ["DATABASE_URL"] = url
        os.environ["CAREPLAN_DEMO"] = "1"  # demo mode: the app starts without an audit key
        storage.upgrade(url)
        engine = storage.make_engine(url)
        demo.seed(engine, today=date(2026, 11, 25), seen_by=("rivera",))
        engine.dispose()
        make_accounts(url)
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        app.session_state["auth_token"] = TOKENS["rivera"]
        app.query_params["patient"], app.query_params["visit"] = "1", "3"
        app.switch_page("pages/2_Intake.py")
        app.run()
        values = iter(list(range(1, 11)) * 40)  # each a change from the one before

        def rerun() -> None:
            # The widget is looked up again after each run: a handle from an earlier run is
            # stale, and setting it saved nothing (the timed reruns once saved no answer).
            app.number_input(key="f:history.pain_now").set_value(next(values))
            app.run()

        before = _changes(url)
        rerun_ms = time_ms(rerun, warmup=5, repeats=60)
        saved = _changes(url) - before
        if saved != 65:
            raise RuntimeError(f"the timed reruns saved {saved} answers, not 65")
        cold = cold_start(Path(folder), {"DATABASE_URL": url, "CAREPLAN_DEMO": "1"})
        time.sleep(0.1)
    return [
        f"intake rerun after one change, save included (goal < 50 ms): {rerun_ms.show(1)}",
        *cold,
    ]


def main() -> None:
    """``python -m bench.pages``: the cold start alone (an empty, migrated database with
    accounts, so the sign-in form is what a first visitor sees)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from apps import make_accounts

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'cold.db'}"
        make_accounts(url)
        for line in cold_start(Path(folder), {"DATABASE_URL": url, "CAREPLAN_DEMO": "1"}):
            print(line)


if __name__ == "__main__":
    main()
