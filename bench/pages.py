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
from typing import Any

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


ANSWERS = 20  # timed changes of each kind
WARMUP = 3
# Before an action: a clock in the page that starts at the action's first pointerdown or
# keydown and notes when the app's script state turns "running" (the server took the
# rerun) and then "notRunning" (the server's script run ended and its last delta arrived).
_CLOCK_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const clock = window.careplanClock = {start: null, running: null, finished: null,
                                        alert: null};
  const start = () => { if (clock.start === null) clock.start = performance.now(); };
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, start, {capture: true, once: true});
  }
  clock.observer = new MutationObserver(() => {
    if (clock.start === null) return;
    const state = app.getAttribute("data-test-script-state");
    if (state === "running" && clock.running === null) clock.running = performance.now();
    if (state === "notRunning" && clock.running !== null && clock.finished === null) {
      clock.finished = performance.now();
    }
  });
  clock.observer.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}
"""


def _settled_js() -> str:
    """Checked every animation frame: the page settled (tests/browser.py: the run marker
    names a new run and Streamlit is idle, nothing stale), and an awaited alert seen."""
    import browser

    return f"""
(arg) => {{
  const clock = window.careplanClock;
  if (clock.start === null) return false;
  const now = performance.now();
  if (arg.alert !== null && clock.alert === null && Array.from(
      document.querySelectorAll('[data-testid="stAlert"]')).some(
        (e) => e.getClientRects().length > 0 && e.innerText.includes(arg.alert))) {{
    clock.alert = now;
  }}
  if (!({browser._IDLE_JS.strip()})(arg.before)) return false;
  if (arg.alert !== null && clock.alert === null) return false;
  clock.observer.disconnect();
  return {{settled: now - clock.start, alert: clock.alert && clock.alert - clock.start,
           server: clock.finished && clock.running && clock.finished - clock.running}};
}}
"""


def _timed(page: Any, action: Callable[[], object], *, alert: str | None = None
           ) -> dict[str, float | None]:
    """Milliseconds from the action's first input event to the page settled (and to the
    alert visible), measured in the page, frame by frame."""
    import browser

    before, saved = browser.run_marker(page), browser.saved_version(page)
    page.evaluate(_CLOCK_JS)
    action()
    handle = page.wait_for_function(_settled_js(), arg={"before": before, "alert": alert},
                                    polling="raf", timeout=30_000)
    times: dict[str, float | None] = handle.json_value()
    if browser.saved_version(page) == saved:  # a timed change that saved nothing is no answer
        raise RuntimeError("the timed change saved no answer")
    return times


def _show(name: str, samples: list[float], goal: str = "") -> str:
    if not samples:
        return f"{name}: not seen"
    return (f"{name}{f' (goal {goal})' if goal else ''}: median {statistics.median(samples):.0f}"
            f" ms (min {min(samples):.0f}, max {max(samples):.0f}, n={len(samples)})")


def answers(folder: Path, env: Mapping[str, str], *, changes: int = ANSWERS) -> list[str]:
    """In Chromium, the Intake page of a demo visit: milliseconds from one answer change to
    the page settled, for a click on a 0-10 scale and for a number typed and Enter, and from
    a red flag ticked to its alert visible; each the median of ``changes``, after WARMUP
    untimed ones. The server's share is the time its script state said "running"."""
    sys.path.insert(0, str(ROOT / "tests"))
    from playwright.sync_api import sync_playwright

    import browser
    from careplan.clinical.engine import default_rule_base
    from factories import PASSWORD

    title = next(r.title for r in default_rule_base().rules if r.id == "RF-MALIGNANCY")
    server = browser.AppServer(env, folder / "log-answers").start()
    found: dict[str, list[dict[str, float | None]]] = {"scale": [], "number": [], "flag": []}
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(browser.CHROMIUM), args=list(browser.CHROMIUM_ARGS),
                headless=True)
            try:
                page = chromium.new_page(viewport={"width": 1280, "height": 800})
                browser.open_app(page, f"{server.url}/Intake?patient=1&visit=3")
                page.locator(".st-key-signin-user input").fill("rivera")
                page.locator(".st-key-signin-password input").fill(PASSWORD)
                with browser.rerun(page):
                    page.get_by_role("button", name="Sign in").click()
                page.get_by_role("heading", name="Intake").wait_for()
                browser.wait_for_app(page)
                scale = page.locator(".st-key-f-history-pain_now")
                number = page.locator(".st-key-f-history-duration_weeks input")
                for n in range(WARMUP + changes):
                    checked = scale.get_by_role("radio", checked=True)
                    now = int(checked.inner_text()) if checked.count() else 0
                    radio = scale.get_by_role("radio", name=str(now % 10 + 1), exact=True)
                    times = _timed(page, radio.click)
                    number.fill(str(10 + n % 2))
                    number_times = _timed(page, lambda: number.press("Enter"))
                    if n >= WARMUP:
                        found["scale"].append(times)
                        found["number"].append(number_times)
                with browser.rerun(page):
                    page.get_by_role("tab", name="Red flags").click()
                flag = page.locator(".st-key-f-red_flags-night_pain")
                for n in range(WARMUP + changes):
                    times = _timed(page, flag.get_by_role("radio", name="Yes").click,
                                   alert=title)
                    with browser.rerun(page):  # back to No, untimed
                        flag.get_by_role("radio", name="No").click()
                    if n >= WARMUP:
                        found["flag"].append(times)
            finally:
                chromium.close()
    finally:
        server.stop()

    def of(kind: str, part: str) -> list[float]:
        """The samples of one part; a run too short for the page to show "running" has no
        server share and is left out of that line (n says how many had one)."""
        return [float(value) for t in found[kind] if (value := t[part]) is not None]

    share = "  of which the server's run (script state 'running' seen in the page)"
    return [
        _show("answer settled in Chromium, click on a 0-10 scale", of("scale", "settled"),
              "< 300 ms"),
        _show(share, of("scale", "server")),
        _show("answer settled in Chromium, a number typed + Enter", of("number", "settled"),
              "< 300 ms"),
        _show(share, of("number", "server")),
        _show("red flag ticked to its alert visible in Chromium", of("flag", "alert"),
              "< 500 ms"),
        _show("  to the page settled", of("flag", "settled")),
        _show(share, of("flag", "server")),
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
            app.segmented_control(key="f:history.pain_now").set_value(next(values))
            app.run()

        before = _changes(url)
        rerun_ms = time_ms(rerun, warmup=5, repeats=60)
        saved = _changes(url) - before
        if saved != 65:
            raise RuntimeError(f"the timed reruns saved {saved} answers, not 65")
        cold = cold_start(Path(folder), {"DATABASE_URL": url, "CAREPLAN_DEMO": "1"})
        answered = answers(Path(folder), {"DATABASE_URL": url, "CAREPLAN_DEMO": "1"})
        time.sleep(0.1)
    return [
        f"intake rerun after one change, save included (goal < 50 ms): {rerun_ms.show(1)}",
        *cold,
        *answered,
    ]


def main() -> None:
    """``python -m bench.pages``: the cold start alone (an empty, migrated database with
    accounts, so the sign-in form is what a first visitor sees); ``python -m bench.pages
    answers``: the answer and red-flag timings in Chromium alone (the demo patients)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from apps import make_accounts
    from careplan import demo, storage

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'cold.db'}"
        make_accounts(url)
        env = {"DATABASE_URL": url, "CAREPLAN_DEMO": "1"}
        if sys.argv[1:] == ["answers"]:
            engine = storage.make_engine(url)
            demo.seed(engine, today=date(2026, 11, 25), seen_by=("rivera",))
            engine.dispose()
            lines = answers(Path(folder), env)
        else:
            lines = cold_start(Path(folder), env)
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
