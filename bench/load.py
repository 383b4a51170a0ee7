"""Concurrency as a measured feature: N clinicians signed in at once, each editing an intake.

``python -m bench.load --sessions 30 --seconds 60 --think 2 [--database-url URL | --postgres]
[--processes K --proxy nginx]`` starts the app (``streamlit run server.py`` on 127.0.0.1:
:data:`APP_SCRIPT`, :func:`app_process`), creates N clinician accounts and one patient
with a visit for each (complete example intake), and drives N websocket sessions
(``bench.session``: the browser's protocol, no browser). Each session signs in through the
form, opens its patient's intake, and changes one answer at a time (pain now, worst pain this
week, morning stiffness, notes) with a think time between changes, until the time is up.

Scale-out (``--processes K --proxy nginx``): K app processes, each on its own port, on one
PostgreSQL database, behind nginx run from ``deploy/nginx.conf`` (``bench.proxy``). Each
session's browser first loads the page through nginx, which gives it a route cookie, and then
opens its websocket with that cookie, as a browser does. Sessions are spread evenly over the
processes: the harness takes the route cookies of as many first visits as it needs so that
each process has its share (nginx decides, by the cookie's hash, which process a cookie goes
to; the harness reads where each went from nginx's access log). Afterwards the access log
must show every request of each session at one process (sticky sessions).

Reported: sign-in time, rerun p50/p95/p99, errors (exception elements, error alerts,
disconnects, timeouts, reruns that saved nothing), acknowledged saves per second, each
server process's CPU and memory (RSS) and sessions. Then the database is read: each
session's visit must hold the last acknowledged value of each field it changed
(acknowledged: the rerun after the change finished with no exception and no error, and its
run marker names a newer draft version), each acknowledged save must be stored once (the
draft's version and the audit trail's ``change_intake`` records advanced by one per save),
and the audit chain must be intact. Each session edits its own patient's visit, so no
conflicts are expected.

Figures, not verdicts: timings are printed, never asserted. Only errors, lost or repeated
answers, a broken audit chain and a session split over processes fail
(``tests/test_load.py``, ``tests/test_scale_out.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from bench.proxy import HOST, Nginx, get, route_cookie
from bench.session import Disconnected, Run, RunTimeout, Session, WidgetValue

if TYPE_CHECKING:
    from browser import AppServer

_T = TypeVar("_T")

ROOT = Path(__file__).resolve().parent.parent
# The app each server process runs, ``streamlit run APP_SCRIPT`` (tests/browser.AppServer adds
# the port and the headless flags): the one place to change when the app is started from
# another script.
APP_SCRIPT: Final = ROOT / "server.py"
MAX_PROCESSES = 8
PROXIES = ("nginx",)
STREAM = "/_stcore/stream"  # the websocket's path
MAX_SESSIONS = 200
MAX_SECONDS = 900.0
PASSWORD = "load harness passphrase 2026"  # noqa: S105 (throwaway accounts of a load run)
RUN_TIMEOUT = 60.0
# The answers each clinician changes: a path of the intake form and its widget's bounds.
# Number boxes (the browser sends a double) and text areas of the first Intake section.
FIELDS: tuple[tuple[str, int | None], ...] = (
    ("history.duration_weeks", 520),
    ("history.morning_stiffness_minutes", 240),
    ("history.notes", None),  # a text area
    ("visit.reason", None),
)


@dataclass(frozen=True, slots=True)
class Seat:
    """One clinician's account and the visit only they edit."""

    username: str
    patient_id: int
    visit_id: int
    version: int  # the draft's version before the run


@dataclass(slots=True)
class Tally:
    """What one session saw."""

    seat: Seat
    cookie: str | None = None  # the proxy's route cookie (``careplan_route=<id>``), if any
    first_page: float | None = None  # connect to the sign-in form drawn
    sign_in: float | None = None  # form submitted to the intake drawn
    reruns: list[float] = field(default_factory=list)  # one per change, save included
    acknowledged: dict[str, WidgetValue] = field(default_factory=dict)
    # values sent after the last acknowledged one (a timed-out or failed rerun): the
    # database may hold one of them without this client having seen it saved
    unconfirmed: dict[str, list[WidgetValue]] = field(default_factory=dict)
    saves: int = 0
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unsaved: int = 0  # reruns that finished cleanly but named no newer draft version
    disconnects: int = 0
    timeouts: int = 0
    failure: str | None = None  # why the session stopped early

    @property
    def trouble(self) -> int:
        return (len(self.exceptions) + len(self.errors) + self.unsaved + self.disconnects
                + self.timeouts + (self.failure is not None))


# --- the database: accounts, patients, visits, and the check afterwards ---------------------

def prepare(url: str, sessions: int, *, today: date) -> list[Seat]:
    """``sessions`` clinician accounts, each with a patient and a visit holding the example
    intake (complete, so the page shows no 'required' errors). Names carry a random tag,
    so a database can take several runs."""
    from careplan import accounts, storage
    from careplan.clinical.drafts import preview

    storage.upgrade(url)
    example = _example()
    tag = secrets.token_hex(3)
    now = datetime.now(UTC)
    engine = storage.make_engine(url)
    seats: list[Seat] = []
    try:
        with storage.transaction(engine) as session:
            if not accounts.any_accounts(session=session):
                accounts.add_user(session=session, username=f"load-admin-{tag}",
                                  display_name="Load admin", role="admin", password=PASSWORD,
                                  by="setup", now=now)
        for index in range(sessions):
            name = f"load-{tag}-{index:03d}"
            with storage.transaction(engine) as session:
                accounts.add_user(session=session, username=name,
                                  display_name=f"Dr. Load {index}", role="clinician",
                                  password=PASSWORD, by="load harness", now=now)
                patient = storage.create_patient(
                    session=session, name=f"Load Patient {tag} {index}",
                    date_of_birth=date(1970, 1, 1 + index % 28), mrn=f"LOAD-{tag}-{index:03d}",
                    by="load harness")
                visit = storage.start_visit(session=session, patient_id=patient,
                                            visit_date=today, clinician=f"Dr. Load {index}",
                                            by="load harness")
                # Each clinician's own patient: the one they may open (per-patient access).
                storage.grant_access(session=session, patient_id=patient, username=name,
                                     how="created", now=now)
                version = storage.get_draft(session=session, visit_id=visit).version
                version = storage.save_draft(session=session, visit_id=visit, data=example,
                                             expected_version=version, by="load harness",
                                             scores=preview(example, today=today).scores())
            seats.append(Seat(name, patient, visit, version))
    finally:
        engine.dispose()
    return seats


@functools.cache
def _example() -> dict[str, Any]:
    """The example intake every visit starts from (read once; never changed)."""
    data: dict[str, Any] = json.loads(
        (ROOT / "careplan" / "example_intake.json").read_text("utf-8"))
    return data


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def in_own_loop(work: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run ``work()`` in an event loop on a thread of its own: the calling thread may run a
    loop already (Playwright's sync API does, in the test process), and asyncio.run refuses
    to start a second one there."""
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            outcome.append(asyncio.run(work()))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=drive, name="load-harness")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return outcome[0]


def lost_answers(url: str, tallies: Sequence[Tally]) -> list[str]:
    """Each acknowledged answer that the visit's draft does not hold (nor a later value the
    client sent but did not see saved)."""
    from careplan import storage

    lost: list[str] = []
    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine, readonly=True) as session:
            for tally in tallies:
                draft = storage.get_draft(session=session, visit_id=tally.seat.visit_id)
                for path, value in tally.acknowledged.items():
                    stored = _at(draft.data, path)
                    if stored != value and stored not in tally.unconfirmed.get(path, []):
                        lost.append(f"{tally.seat.username} visit {tally.seat.visit_id} "
                                    f"{path}: acknowledged {value!r}, stored {stored!r}")
    finally:
        engine.dispose()
    return lost


def not_once(url: str, tallies: Sequence[Tally]) -> list[str]:
    """Each visit whose saves were not stored once each: its draft's version and its
    clinician's successful ``change_intake`` audit records must have advanced by one per
    acknowledged save (plus at most one per value sent but not seen saved)."""
    from careplan import storage

    wrong: list[str] = []
    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine, readonly=True) as session:
            for tally in tallies:
                seat = tally.seat
                version = storage.get_draft(session=session, visit_id=seat.visit_id).version
                records = sum(r.outcome == "success" for r in storage.audit_records(
                    session=session, user=seat.username, action="change_intake",
                    patient_id=seat.patient_id))
                pending = sum(len(values) for values in tally.unconfirmed.values())
                for what, count in (("draft versions", version - seat.version),
                                    ("change_intake records", records)):
                    if not tally.saves <= count <= tally.saves + pending:
                        wrong.append(f"{seat.username} visit {seat.visit_id}: {tally.saves} "
                                     f"saves acknowledged, {count} {what} stored")
    finally:
        engine.dispose()
    return wrong


def audit_problems(url: str) -> tuple[int, list[str]]:
    """How many audit records the database holds, and every break in their chain (every
    server process extends the one chain)."""
    from careplan import audit, storage

    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine, readonly=True) as session:
            records = storage.audit_records(session=session)
    finally:
        engine.dispose()
    return len(records), audit.verify(records)


# --- one clinician --------------------------------------------------------------------------

def _saved_version(run: Run) -> int | None:
    """The draft version the run marker names (``ui.frame.run_marker``)."""
    marker = run.block("careplan-run-")
    tail = marker.rsplit("-saved-", 1)[-1] if marker else ""
    return int(tail) if tail.isdigit() else None


def _next_value(rng: random.Random, path: str, high: int | None, last: WidgetValue | None,
                count: int) -> WidgetValue:
    """A value different from the last one (the same answer twice saves nothing)."""
    if high is None:
        return f"Load note {count}: {rng.choice(['better', 'worse', 'same'])} since Monday."
    value = float(rng.randrange(high + 1))  # as the browser sends a number box's value
    return value if value != last else float((value + 1) % (high + 1))


def _trouble(tally: Tally, run: Run) -> bool:
    tally.exceptions.extend(run.exceptions)
    tally.errors.extend(run.errors)
    return bool(run.exceptions or run.errors or run.status != "ok")


async def clinician(seat: Seat, port: int, *, deadline: float, think: float, seed: int,
                    cookie: str | None = None) -> Tally:
    """Sign in, open the visit's intake, change answers until ``deadline`` (monotonic).
    ``port``: the app's or the proxy's; ``cookie``: the proxy's route cookie."""
    tally = Tally(seat, cookie=cookie)
    rng = random.Random(seed)
    try:
        started = time.perf_counter()
        session = await Session.open(HOST, port, page="Intake", cookie=cookie,
                                     query_string=f"patient={seat.patient_id}&visit={seat.visit_id}")
    except (OSError, TimeoutError) as error:
        tally.failure = f"connect: {error}"
        return tally
    try:
        await _work(session, tally, rng, started, deadline=deadline, think=think)
    except Disconnected as error:
        tally.disconnects += 1
        tally.failure = f"disconnected: {error}"
    except RunTimeout as error:
        tally.timeouts += 1
        tally.failure = f"timeout: {error}"
    finally:
        try:
            await session.close()
        except Exception as error:  # closing is best effort: the run is over
            tally.failure = tally.failure or f"close: {error}"
    return tally


async def _work(session: Session, tally: Tally, rng: random.Random, started: float, *,
                deadline: float, think: float) -> None:
    run = await session.rerun(timeout=RUN_TIMEOUT)
    tally.first_page = time.perf_counter() - started
    if _trouble(tally, run):
        tally.failure = "the sign-in page showed an error"
        return
    session.set(run.widget("signin-user"), tally.seat.username)
    session.set(run.widget("signin-password"), PASSWORD)
    run = await session.rerun(trigger=run.widget("FormSubmitter:sign-in-Sign in"),
                              timeout=RUN_TIMEOUT)
    tally.sign_in = run.seconds
    if _trouble(tally, run):
        tally.failure = "signing in showed an error"
        return
    try:
        widgets = {path: run.widget(f"f:{path}") for path, _ in FIELDS}
    except KeyError as error:
        drawn = sorted(w.split("-", 2)[-1] for w in run.widgets)[:6]  # $$ID-<hash>-<key>
        tally.failure = (f"the intake was not drawn after signing in (no widget {error}; "
                         f"drawn: {', '.join(drawn) or 'no widget'})")
        return
    version = tally.seat.version
    last: dict[str, WidgetValue] = {path: _at(_example(), path) for path, _ in FIELDS}
    count = 0
    while True:
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        if time.monotonic() >= deadline:
            return
        path, high = FIELDS[rng.randrange(len(FIELDS))]
        count += 1
        value = _next_value(rng, path, high, last.get(path), count)
        last[path] = value
        session.set(widgets[path], value)
        tally.unconfirmed.setdefault(path, []).append(value)
        run = await session.rerun(timeout=RUN_TIMEOUT)
        tally.reruns.append(run.seconds)
        if _trouble(tally, run):
            continue
        saved = _saved_version(run)
        if saved is None or saved <= version:
            tally.unsaved += 1
            continue
        version = saved
        tally.saves += 1
        tally.acknowledged[path] = value
        tally.unconfirmed[path] = []


# --- the server's memory and CPU ------------------------------------------------------------

class ProcessWatch:
    """Samples a process's resident memory (``/proc``, Linux) while the load runs."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every = pid, every
        self.samples: list[int] = []  # bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.samples.append(self.rss())
            except OSError:
                return

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the servers: K app processes, and nginx in front of them ---------------------------------

def app_process(env: Mapping[str, str], log_dir: Path) -> AppServer:
    """One app server process, ``streamlit run APP_SCRIPT`` on a free loopback port."""
    sys.path.insert(0, str(ROOT / "tests"))
    import browser

    return browser.AppServer(env, log_dir, script=APP_SCRIPT)


@dataclass(slots=True)
class Site:
    """What the harness drives: the app processes, and the proxy in front of them if any."""

    servers: list[AppServer]
    proxy: Nginx | None = None

    @property
    def port(self) -> int:
        """Where a browser connects: the proxy, else the one app process."""
        return self.proxy.port if self.proxy is not None else self.servers[0].port

    @staticmethod
    def name(server: AppServer) -> str:
        """A server process as nginx names it in ``$upstream_addr``."""
        return f"{HOST}:{server.port}"

    def log_tails(self) -> str:
        parts = [f"--- {self.name(s)} ---\n{s.log_tail()}" for s in self.servers]
        if self.proxy is not None:
            parts.append(f"--- nginx ---\n{self.proxy.log_tail()}")
        return "\n".join(parts)


def check_site(*, processes: int, proxy: str | None, database_url: str | None) -> None:
    """Refuse a set-up the harness does not run (``ValueError``, saying why)."""
    if not 1 <= processes <= MAX_PROCESSES:
        raise ValueError(f"processes must be 1 to {MAX_PROCESSES}")
    if proxy is not None and proxy not in PROXIES:
        raise ValueError(f"proxy must be one of {', '.join(PROXIES)}")
    if processes > 1 and proxy is None:
        raise ValueError("several app processes need a proxy in front (--proxy nginx): each "
                         "browser must reach the process that holds its session")
    if processes > 1 and not (database_url or "").startswith("postgresql"):
        raise ValueError("several app processes share one PostgreSQL database "
                         "(--postgres or --database-url postgresql+psycopg://...)")


@contextlib.contextmanager
def open_site(url: str, folder: Path, *, processes: int = 1,
              proxy: str | None = None) -> Iterator[Site]:
    """Start ``processes`` app processes on database ``url`` (and nginx in front of them
    with ``proxy="nginx"``), each healthy; stop them all on leaving."""
    check_site(processes=processes, proxy=proxy, database_url=url)
    env = {"DATABASE_URL": url, "CAREPLAN_DEMO": "1"}
    with contextlib.ExitStack() as stack:
        servers = []
        for number in range(1, processes + 1):
            # One log folder each (streamlit.log); the single process keeps the old place.
            logs = folder if processes == 1 else folder / f"app-{number}"
            servers.append(stack.enter_context(app_process(env, logs)))
        site = Site(servers)
        if proxy == "nginx":
            sys.path.insert(0, str(ROOT / "tests"))
            import browser

            site.proxy = stack.enter_context(Nginx([s.port for s in servers], folder / "nginx",
                                                   port=browser.free_port()))
        yield site


MAX_FIRST_VISITS = 400


def first_visits(proxy: Nginx, sessions: int) -> tuple[list[str], int]:
    """The route cookie of each session's browser, from its first visit through the proxy
    (``GET /``: nginx sets the cookie), spread evenly over the app processes; and how many
    first visits that took.

    Which process a cookie goes to is nginx's choice (the cookie's hash); the access log
    says which it was. Without a choice, 8 sessions on 2 processes would all land on one in
    about 1 run of 128; so first visits are made until every process has its share (or
    ``MAX_FIRST_VISITS``), and the sessions take them in turn."""
    names = [f"{HOST}:{port}" for port in proxy.upstreams]
    share = -(-sessions // len(names))
    pools: dict[str, list[str]] = {name: [] for name in names}
    made = 0
    while made < MAX_FIRST_VISITS and any(len(pool) < share for pool in pools.values()):
        cookies: list[str] = []
        for _ in range(sessions):
            cookie = route_cookie(get(proxy.port, "/"))
            if cookie is None:
                raise RuntimeError("nginx set no route cookie on a first visit: "
                                   "deploy/nginx.conf's Set-Cookie is missing")
            cookies.append(cookie)
        made += sessions
        where = _wait_for_routes(proxy, {c.split("=", 1)[1] for c in cookies}, path="/")
        for cookie in cookies:
            upstream = where.get(cookie.split("=", 1)[1])
            if upstream is not None:  # else not logged in time: that browser is not used
                pools.setdefault(upstream, []).append(cookie)
    empty = [name for name in names if not pools[name]]
    if empty:
        raise RuntimeError(f"nginx sent none of {made} first visits to {', '.join(empty)}")
    chosen: list[str] = []
    turns = [list(reversed(pools[name])) for name in names]
    while len(chosen) < sessions:
        for pool in turns:
            if pool and len(chosen) < sessions:
                chosen.append(pool.pop())
    return chosen, made


def _wait_for_routes(proxy: Nginx, routes: set[str], *, path: str,
                     timeout: float = 10.0) -> dict[str, str]:
    """The app process that served each route id's request to ``path``, read from the access
    log (nginx writes a line when the request ends: a websocket's when it closes)."""
    deadline = time.monotonic() + timeout
    while True:
        where = {h.route: h.upstream for h in proxy.hops() if h.route in routes and h.path == path}
        if set(where) >= routes or time.monotonic() > deadline:
            return where
        time.sleep(0.05)


def sessions_served(site: Site, tallies: Sequence[Tally]) -> tuple[dict[str, int], list[str]]:
    """How many sessions each process served (its websocket, in nginx's access log), and
    each session whose requests reached more than one process or none (sticky sessions)."""
    names = [site.name(s) for s in site.servers]
    if site.proxy is None:
        return {names[0]: len(tallies)}, []
    routes = {t.cookie.split("=", 1)[1]: t for t in tallies if t.cookie}
    _wait_for_routes(site.proxy, set(routes), path=STREAM)
    seen: dict[str, set[str]] = {route: set() for route in routes}
    served = dict.fromkeys(names, 0)
    for hop in site.proxy.hops():
        if hop.route in seen:
            seen[hop.route].add(hop.upstream)
            if hop.path == STREAM and hop.upstream in served:
                served[hop.upstream] += 1
    split = [f"{routes[r].seat.username}: requests answered by {', '.join(sorted(u)) or 'none'}"
             for r, u in seen.items() if len(u) != 1]
    return served, split


# --- the run and its report -----------------------------------------------------------------

def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, int(-(-share * len(ordered) // 1)))  # ceil without float surprises
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class ServerFigures:
    """One app process during the load."""

    name: str  # host:port
    rss_start: int
    rss_peak: int
    rss_end: int
    cpu: float  # seconds of CPU it used during the load
    sessions: int  # websocket sessions it served


@dataclass(slots=True)
class Report:
    sessions: int
    seconds: float
    think: float
    database: str
    proxy: str | None
    tallies: list[Tally]
    wall: float  # from the first connect to the last session's end
    servers: list[ServerFigures]
    client_cpu: float  # seconds of CPU this harness used
    lost: list[str]
    not_once: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)  # sessions served by more than one process
    audit_records: int = 0
    audit: list[str] = field(default_factory=list)  # breaks in the audit chain
    first_visits: int = 0  # first visits through the proxy to spread the sessions evenly

    @property
    def saves(self) -> int:
        return sum(t.saves for t in self.tallies)

    @property
    def errors(self) -> int:
        return sum(t.trouble for t in self.tallies)

    @property
    def failed(self) -> bool:
        """An error, a lost or repeated answer, a split session or a broken audit chain."""
        return bool(self.errors or self.lost or self.not_once or self.split or self.audit)

    def lines(self) -> list[str]:
        from bench.__main__ import machine

        reruns = [s * 1000 for t in self.tallies for s in t.reruns]
        sign_in = [t.sign_in for t in self.tallies if t.sign_in is not None]
        first = [t.first_page for t in self.tallies if t.first_page is not None]
        mib = 1024 * 1024
        # a script run: the sign-in form, the submit and its st.rerun(), then one a change
        runs = max(1, len(first) + 2 * len(sign_in) + len(reruns))
        cpu = sum(s.cpu for s in self.servers)
        where = (f"{len(self.servers)} app processes behind {self.proxy}"
                 if len(self.servers) > 1 else f"1 app process behind {self.proxy}"
                 if self.proxy else "1 app process")
        out = [
            f"machine: {machine()}",
            f"load: {self.sessions} sessions for {self.seconds:.0f} s, think time "
            f"{self.think:g} s (x0.5-1.5), database {self.database}, {where}",
            f"first page (connect to sign-in form): {_spread(first, 's')}",
            f"sign-in (submit to intake drawn):     {_spread(sign_in, 's')}",
        ]
        if reruns:
            out.append(f"rerun after a change, save included:  p50 {percentile(reruns, .5):.0f} ms"
                       f", p95 {percentile(reruns, .95):.0f} ms, p99 "
                       f"{percentile(reruns, .99):.0f} ms, max {max(reruns):.0f} ms "
                       f"(n={len(reruns)})")
        out += [
            f"saves acknowledged: {self.saves} ({self.saves / self.wall:.1f}/s over "
            f"{self.wall:.1f} s)",
            "errors: " + ", ".join(f"{name} {count}" for name, count in (
                ("exceptions", sum(len(t.exceptions) for t in self.tallies)),
                ("error alerts", sum(len(t.errors) for t in self.tallies)),
                ("disconnects", sum(t.disconnects for t in self.tallies)),
                ("timeouts", sum(t.timeouts for t in self.tallies)),
                ("reruns that saved nothing", sum(t.unsaved for t in self.tallies)),
                ("sessions stopped early", sum(t.failure is not None for t in self.tallies)),
            )),
        ]
        for server in self.servers:
            label = "server" if len(self.servers) == 1 else f"server {server.name}"
            sessions = "" if len(self.servers) == 1 else f"{server.sessions} sessions, "
            out.append(f"{label}: {sessions}RSS {server.rss_start / mib:.0f} MiB at start, peak "
                       f"{server.rss_peak / mib:.0f} MiB, {server.rss_end / mib:.0f} MiB at end, "
                       f"CPU {server.cpu:.1f} s")
        out += [
            f"CPU during the load: servers {cpu:.1f} s ({cpu / self.wall:.2f} cores; "
            f"{cpu / runs * 1000:.0f} ms a script run, {runs} runs), harness "
            f"{self.client_cpu:.1f} s",
            f"lost answers: {len(self.lost)} (of {sum(len(t.acknowledged) for t in self.tallies)}"
            " last acknowledged values checked in the database)",
            f"answers not stored once: {len(self.not_once)} (draft versions and change_intake "
            f"records of {len(self.tallies)} visits against {self.saves} saves)",
            f"audit chain: {len(self.audit)} breaks in {self.audit_records} records",
        ]
        if self.proxy:
            out.append(f"sessions split over processes: {len(self.split)} (nginx access log; "
                       f"route cookies from {self.first_visits} first visits)")
        problems = sorted({p for t in self.tallies for p in
                           [*t.exceptions, *t.errors, *([t.failure] if t.failure else [])]})
        out += [f"  problem: {p}" for p in problems[:10]]
        for name, items in (("lost", self.lost), ("not once", self.not_once),
                            ("split", self.split), ("audit", self.audit)):
            out += [f"  {name}: {item}" for item in items[:10]]
        return out


def _spread(samples: Sequence[float], unit: str) -> str:
    if not samples:
        return "none"
    return (f"median {statistics.median(samples):.2f} {unit}, p95 {percentile(samples, .95):.2f}"
            f", max {max(samples):.2f} (n={len(samples)})")


async def _drive(seats: Sequence[Seat], cookies: Sequence[str | None], port: int, *,
                 seconds: float, think: float) -> list[Tally]:
    deadline = time.monotonic() + seconds
    return list(await asyncio.gather(*(
        clinician(seat, port, deadline=deadline, think=think, seed=index, cookie=cookie)
        for index, (seat, cookie) in enumerate(zip(seats, cookies, strict=True)))))


def measure(site: Site, seats: Sequence[Seat], url: str, *, seconds: float,
            think: float) -> Report:
    """Drive one session a seat through ``site`` for ``seconds``, then check the database
    ``url`` and the proxy's access log."""
    cookies: list[str | None] = [None] * len(seats)
    visits = 0
    if site.proxy is not None:
        chosen, visits = first_visits(site.proxy, len(seats))
        cookies = list(chosen)
    watches = [ProcessWatch(server.pid) for server in site.servers]
    starts = [(w.rss(), w.cpu_seconds()) for w in watches]
    own_start = time.process_time()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        for watch in watches:
            stack.enter_context(watch)
        tallies = in_own_loop(lambda: _drive(seats, cookies, site.port, seconds=seconds,
                                             think=think))
    wall = time.monotonic() - started
    ends = [(w.rss(), w.cpu_seconds()) for w in watches]
    own = time.process_time() - own_start
    if any(t.failure for t in tallies):
        print(site.log_tails(), file=sys.stderr)
    served, split = sessions_served(site, tallies)
    count, breaks = audit_problems(url)
    figures = [ServerFigures(site.name(server), rss_start=start[0],
                             rss_peak=max([start[0], end[0], *watch.samples]), rss_end=end[0],
                             cpu=end[1] - start[1], sessions=served.get(site.name(server), 0))
               for server, watch, start, end in zip(site.servers, watches, starts, ends,
                                                    strict=True)]
    return Report(sessions=len(seats), seconds=seconds, think=think,
                  database=url.split(":", 1)[0], proxy="nginx" if site.proxy else None,
                  tallies=tallies, wall=wall, servers=figures, client_cpu=own,
                  lost=lost_answers(url, tallies), not_once=not_once(url, tallies), split=split,
                  audit_records=count, audit=breaks, first_visits=visits)


def run_load(*, sessions: int, seconds: float, think: float, database_url: str | None = None,
             folder: Path | None = None, processes: int = 1, proxy: str | None = None) -> Report:
    """Start the app (``processes`` of it, behind ``proxy``), drive ``sessions`` clinicians
    for ``seconds``, check the database."""
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be 1 to {MAX_SESSIONS}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be above 0 and at most {MAX_SECONDS:.0f}")
    check_site(processes=processes, proxy=proxy, database_url=database_url)
    with tempfile.TemporaryDirectory(prefix="careplan-load-") as temporary:
        where = folder or Path(temporary)
        url = database_url or f"sqlite:///{where / 'load.db'}"
        seats = prepare(url, sessions, today=date.today())
        with open_site(url, where, processes=processes, proxy=proxy) as site:
            return measure(site, seats, url, seconds=seconds, think=think)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds between two changes of one clinician")
    parser.add_argument("--processes", type=int, default=1,
                        help="app processes, each on its own port (more than one: with --proxy "
                             "and PostgreSQL)")
    parser.add_argument("--proxy", choices=PROXIES, default=None,
                        help="drive the sessions through nginx run from deploy/nginx.conf")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=None,
                       help="a database to load (default: a fresh SQLite file); accounts and "
                            "patients named load-<tag>-NNN are added to it")
    where.add_argument("--postgres", action="store_true",
                       help="a fresh database on a throwaway PostgreSQL cluster (tests/pg.py)")
    args = parser.parse_args(argv)
    os.environ.setdefault("CAREPLAN_DEMO", "1")
    try:  # before a PostgreSQL cluster is started for nothing
        check_site(processes=args.processes, proxy=args.proxy,
                   database_url="postgresql" if args.postgres else args.database_url)
    except ValueError as error:
        parser.error(str(error))
    url = args.database_url
    if args.postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        import pg

        url = pg.create_database(pg.require_server())
    report = run_load(sessions=args.sessions, seconds=args.seconds, think=args.think,
                      database_url=url, processes=args.processes, proxy=args.proxy)
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
