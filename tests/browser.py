"""Real-browser test infrastructure: a Streamlit server process and Debian's Chromium
driven by Playwright. Independent of page content; import it from tests as ``import browser``.

PYTEST_DONT_REWRITE (this module has no asserts; the marker lets ``pytest_plugins`` load it
after a test module already imported it, without PytestAssertRewriteWarning).

Using the fixtures: a test module declares the plugin and imports the helpers::

    import browser

    pytest_plugins = ["browser"]

    def test_something(app_server: browser.AppServer, browser_page: Page) -> None:
        browser.open_app(browser_page, app_server.url)
        ...

``pytest_plugins`` registers the fixtures once for the whole run (so the session-scoped
``chromium`` is shared by every module), and ruff is happy with it; importing the fixture
functions by name instead would trip F811 at every use. Declare it in each module that uses
the fixtures.

Fixtures:

- ``app_server`` (function): the real ``server.py`` (the dashboard, ``app.py``, with its HTTP
  routes) served by ``streamlit run`` from the repo
  root, started and healthy, with ``DATABASE_URL`` a fresh SQLite file in ``tmp_path``
  (migrated before the server starts, as ``make run`` does) and
  ``CAREPLAN_TESTING=1``; stopped at teardown. The server log is ``tmp_path/streamlit.log``.
- ``chromium`` (session): a Playwright ``Browser`` running ``/usr/bin/chromium`` (Playwright's
  own browser download does not work here). Missing Chromium fails under ``CI=true`` and
  skips locally.
- ``browser_page`` (function): a ``Page`` in a new context (1280x800, en-US, downloads
  accepted), closed at teardown, with two recorders attached (kept beside the page, not on
  it: newer Playwright has its own ``Page.page_errors`` method): the messages of every
  alert/confirm/prompt, each dismissed (read them with :func:`dialogs`), and uncaught
  JavaScript errors (:func:`page_errors`).

Waiting: every run of the app draws first an empty run marker (``ui.frame.run_marker``: a
container keyed ``careplan-run-<run>-saved-<version>``, so classed ``st-key-...``; <run> is
new each run, <version> the saved draft version). :func:`rerun` wraps an action that
reruns the script: it reads the marker before the action and then waits until Streamlit
is connected, the script run state on ``[data-testid="stApp"]`` (``data-test-script-state``)
is ``notRunning``, no element is ``data-stale``, and the marker names a new run.
:func:`wait_for_app` alone (after ``goto``/``reload`` or an action that reruns nothing,
such as a tab) waits for the same without a change. There is no quiet period: a click's
rerun does not change the run state in the browser until the server answers, so only the
new marker proves the rerun happened.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Error, Page, sync_playwright

from bench.proxy import stop_process

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = ROOT / "artifacts"
SCREENSHOT_DIR = ARTIFACTS_DIR / "screenshots"

CHROMIUM = Path(os.environ.get("CAREPLAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
VIEWPORT = (1280, 800)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# Chromium cannot capture arbitrarily tall bitmaps; clip full-page shots to this height.
MAX_SCREENSHOT_HEIGHT = 16_384


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:``port`` (connections in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def sqlite_env(directory: Path) -> dict[str, str]:
    """The environment of a server that stores into a fresh SQLite file under ``directory``."""
    return {"DATABASE_URL": f"sqlite:///{directory / 'app.db'}"}


def migrate(url: str) -> None:
    """Bring the app's database up to date before its server starts, as ``make run`` does
    (the app itself only checks the revision, and migrates a database that is behind)."""
    from careplan import storage

    storage.upgrade(url)


class AppServer:
    """``streamlit run SCRIPT`` on 127.0.0.1 on a port picked once (so ``restart()`` keeps the
    URL). ``env`` is added to the current environment, with ``CAREPLAN_TESTING=1``; output
    goes to ``log_dir/streamlit.log`` (appended across restarts)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_dir: Path,
        *,
        script: Path | None = None,
        cwd: Path | None = None,
        port: int | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.cwd = cwd if cwd is not None else ROOT
        self.script = script if script is not None else self.cwd / "server.py"
        self.env = {**os.environ, **env, "CAREPLAN_TESTING": "1", "PYTHONUNBUFFERED": "1"}
        self.port = port if port is not None else free_port()
        self.log_path = log_dir / "streamlit.log"
        self.start_timeout = start_timeout
        self.last_start_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server process's id (for its memory and CPU in the load harness)."""
        if self._proc is None:
            raise RuntimeError("server not started")
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "streamlit", "run", str(self.script),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:  # noqa: S310
                return bool(resp.status == 200 and resp.read().strip() == b"ok")
        except (OSError, http.client.HTTPException):
            return False

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> AppServer:
        """Start the server and wait until ``/_stcore/health`` says ``ok``. Raises (with the
        log tail) if the process exits or is not healthy within ``start_timeout``."""
        if self._proc is not None:
            raise RuntimeError("server already started")
        if not port_is_free(self.port):
            # Else the health check would find the other server and call it ours.
            raise RuntimeError(f"port {self.port} is already in use")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"--- start {time.strftime('%H:%M:%S')} port {self.port}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest only
            )
        try:
            self._wait_healthy(self._proc, deadline=started + self.start_timeout)
        except BaseException:  # also Ctrl-C: never leave the server behind
            self.stop()
            raise
        self.last_start_seconds = time.monotonic() - started
        return self

    def _wait_healthy(self, proc: subprocess.Popen[bytes], deadline: float) -> None:
        while True:
            code = proc.poll()
            if code is not None:
                raise RuntimeError(
                    f"streamlit exited with code {code} before it was healthy:\n" + self.log_tail()
                )
            if self.healthy():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"streamlit was not healthy within {self.start_timeout:.0f} s:\n"
                    + self.log_tail()
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the server (kill it after ``STOP_TIMEOUT`` s) and reap it. Idempotent."""
        proc, self._proc = self._proc, None
        stop_process(proc, STOP_TIMEOUT)

    def restart(self) -> AppServer:
        """Stop and start again on the same port with the same environment."""
        self.stop()
        return self.start()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def measure_cold_start(
    env: Mapping[str, str],
    *,
    script: Path | None = None,
    cwd: Path | None = None,
    log_dir: Path | None = None,
) -> float:
    """Seconds from process start to a healthy server (for the benchmark)."""
    with tempfile.TemporaryDirectory(prefix="careplan-coldstart-") as tmp:
        server = AppServer(env, log_dir or Path(tmp), script=script, cwd=cwd)
        try:
            server.start()
        finally:
            server.stop()
        seconds = server.last_start_seconds
    if seconds is None:  # start() raises rather than return unhealthy
        raise RuntimeError("server start was not measured")
    return seconds


# --- waiting for Streamlit -----------------------------------------------------------------

# Every script run of the app draws first an empty container (``ui.frame.run_marker``) keyed
# ``careplan-run-<run>-saved-<version>``: <run> is new in each run, <version> the saved draft
# version ("none" outside an intake). Streamlit gives it the class ``st-key-<key>``.
RUN_MARKER = "careplan-run"
_READ_MARKER_JS = f"""
() => {{
  const element = document.querySelector('[class*="st-key-{RUN_MARKER}-"]');
  if (!element) return null;
  const name = Array.from(element.classList).find((c) => c.startsWith("st-key-{RUN_MARKER}-"));
  const match = /^st-key-{RUN_MARKER}-(.+)-saved-(.+)$/.exec(name);
  return match ? {{ run: match[1], saved: match[2] }} : null;
}}
"""

_IDLE_JS = f"""
(before) => {{
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
  const state = app.getAttribute("data-test-script-state");
  if (state === "compilationError") return true;
  if (state !== "notRunning") return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const marker = ({_READ_MARKER_JS.strip()})();
  if (!marker) return false;
  return before === null || marker.run !== before;
}}
"""


def _marker(page: Page) -> dict[str, str] | None:
    value: dict[str, str] | None = page.evaluate(_READ_MARKER_JS)
    return value


def run_marker(page: Page) -> str | None:
    """The run the page's run marker names (``None`` before the first run drew it)."""
    marker = _marker(page)
    return None if marker is None else marker["run"]


def saved_version(page: Page) -> str | None:
    """The draft version the last run saw saved ("none" outside an intake)."""
    marker = _marker(page)
    return None if marker is None else marker["saved"]


def wait_for_app(page: Page, timeout_ms: float = 30_000, *, after: str | None = None) -> None:
    """Wait until Streamlit is connected and not running, nothing is stale, and the run
    marker is drawn; with ``after`` (a marker read before an action), until the marker shows
    a different run. No quiet period is assumed: a rerun counts only once its marker is seen.

    Use :func:`rerun` around an action that reruns the script, and this alone after
    ``goto``/``reload`` or after an action that does not rerun (a tab, an expander). A
    script that never stops running never finishes waiting. A compile error counts as
    finished, so the test can see the error."""
    page.wait_for_function(_IDLE_JS, arg=after, timeout=timeout_ms, polling=50)


@contextlib.contextmanager
def rerun(page: Page, timeout_ms: float = 30_000) -> Iterator[None]:
    """Around an action that reruns the script: read the run marker before it, and after
    it wait until Streamlit has stopped running and the marker shows a new run::

        with browser.rerun(page):
            page.get_by_role("button", name="Save").click()
    """
    before = run_marker(page)
    if before is None:
        raise RuntimeError(f"no {RUN_MARKER} element on the page: wait for the app first")
    yield
    wait_for_app(page, timeout_ms, after=before)


def open_app(page: Page, url: str, timeout_ms: float = 30_000) -> None:
    """``goto`` and :func:`wait_for_app`."""
    page.goto(url)
    wait_for_app(page, timeout_ms)


# --- screenshots ---------------------------------------------------------------------------

# Streamlit's page does not scroll: [data-testid="stMain"] (and the sidebar) do, inside a
# viewport-high app. Playwright's full_page therefore captures only the viewport, so the
# viewport is grown to the tallest scrolling content for the shot.
_CONTENT_HEIGHT_JS = """
() => Math.max(
  document.documentElement.scrollHeight,
  ...Array.from(document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stSidebarContent"], [data-testid="stSidebar"]'
  ), (e) => e.scrollHeight),
)
"""
_TWO_FRAMES_JS = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def screenshot(
    page: Page,
    name: str,
    *,
    sizes: Sequence[tuple[int, int]] = ((1280, 800), (768, 1024)),
    directory: Path | None = None,
) -> list[Path]:
    """Full-page PNGs at each viewport size as ``{directory}/{name}-{w}x{h}.png`` (default
    ``artifacts/screenshots``); the image is ``w`` wide and at least ``h`` high. The original
    viewport is restored afterwards."""
    out = directory if directory is not None else SCREENSHOT_DIR
    out.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    paths: list[Path] = []
    try:
        for width, height in sizes:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate(_TWO_FRAMES_JS)
            content: int = page.evaluate(_CONTENT_HEIGHT_JS)
            if content > height:
                tall = min(content, MAX_SCREENSHOT_HEIGHT)
                page.set_viewport_size({"width": width, "height": tall})
                page.evaluate(_TWO_FRAMES_JS)
            path = out / f"{name}-{width}x{height}.png"
            page.screenshot(path=path, full_page=True, animations="disabled")
            paths.append(path)
    finally:
        if original is not None:
            page.set_viewport_size(original)
    return paths


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


# --- recorders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Recorded:
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


# Per page, forgotten with the page.
_RECORDED: weakref.WeakKeyDictionary[Page, _Recorded] = weakref.WeakKeyDictionary()


def dialogs(page: Page) -> list[str]:
    """Messages of the dialogs a ``browser_page`` has seen (and dismissed)."""
    return _RECORDED[page].dialogs


def page_errors(page: Page) -> list[str]:
    """Uncaught JavaScript errors a ``browser_page`` has seen."""
    return _RECORDED[page].page_errors


def _attach_recorders(page: Page) -> None:
    recorded = _RECORDED[page] = _Recorded()
    seen_dialogs, seen_errors = recorded.dialogs, recorded.page_errors

    def on_dialog(dialog: Dialog) -> None:
        seen_dialogs.append(dialog.message)
        with contextlib.suppress(Error):  # the page went away meanwhile
            dialog.dismiss()

    def on_page_error(error: Error) -> None:
        seen_errors.append(f"{error.name}: {error.message}")

    page.on("dialog", on_dialog)
    page.on("pageerror", on_page_error)


# --- fixtures (register with ``pytest_plugins = ["browser"]``) -----------------------------


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[AppServer]:
    env = sqlite_env(tmp_path)
    migrate(env["DATABASE_URL"])
    server = AppServer(env, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(
        viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]},
        locale="en-US",
        accept_downloads=True,
    )
    try:
        page = context.new_page()
        _attach_recorders(page)
        yield page
    finally:
        context.close()
