"""Concurrency as a measured feature: N clinicians signed in at once, each editing an intake.

``python -m bench.load --sessions 30 --seconds 60 --think 2 [--database-url URL | --postgres]``
starts the app (``streamlit run app.py`` on 127.0.0.1), creates N clinician accounts and one patient
with a visit for each (complete example intake), and drives N websocket sessions
(``bench.session``: the browser's protocol, no browser). Each session signs in through the
form, opens its patient's intake, and changes one answer at a time (pain now, worst pain this
week, morning stiffness, notes) with a think time between changes, until the time is up.

Reported: sign-in time, rerun p50/p95/p99, errors (exception elements, error alerts,
disconnects, timeouts, reruns that saved nothing), acknowledged saves per second, the
server's CPU and memory (RSS). Then the database is read: each session's visit must hold
the last acknowledged value of each field it changed (acknowledged: the rerun after the
change finished with no exception and no error, and its run marker names a newer draft
version). Each session edits its own patient's visit, so no conflicts are expected.

Figures, not verdicts: timings are printed, never asserted. Only errors and lost answers
fail (``tests/test_load.py``).
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.session import Disconnected, Run, RunTimeout, Session, WidgetValue

ROOT = Path(__file__).resolve().parent.parent
MAX_SESSIONS = 200
MAX_SECONDS = 900.0
PASSWORD = "load harness passphrase 2026"  # noqa: S105 (throwaway accounts of a load run)
RUN_TIMEOUT = 60.0
# The answers each clinician changes: a path of the intake form and its widget's bounds.
FIELDS: tuple[tuple[str, int | None], ...] = (
    ("history.pain_now", 10),
    ("history.pain_worst_week", 10),
    ("history.morning_stiffness_minutes", 240),
    ("history.notes", None),  # a text area
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


def _in_own_loop(seats: list[Seat], port: int, *, seconds: float,
                 think: float) -> list[Tally]:
    """Drive the sessions in an event loop on a thread of its own: the calling thread may
    run a loop already (Playwright's sync API does, in the test process), and asyncio.run
    refuses to start a second one there."""
    outcome: list[list[Tally]] = []
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            outcome.append(asyncio.run(_drive(seats, port, seconds=seconds, think=think)))
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
    value: int = rng.randrange(high + 1)
    return value if value != last else (value + 1) % (high + 1)


def _trouble(tally: Tally, run: Run) -> bool:
    tally.exceptions.extend(run.exceptions)
    tally.errors.extend(run.errors)
    return bool(run.exceptions or run.errors or run.status != "ok")


async def clinician(seat: Seat, port: int, *, deadline: float, think: float,
                    seed: int) -> Tally:
    """Sign in, open the visit's intake, change answers until ``deadline`` (monotonic)."""
    tally = Tally(seat)
    rng = random.Random(seed)
    try:
        started = time.perf_counter()
        session = await Session.open("127.0.0.1", port, page="Intake",
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


# --- the run and its report -----------------------------------------------------------------

def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, int(-(-share * len(ordered) // 1)))  # ceil without float surprises
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(slots=True)
class Report:
    sessions: int
    seconds: float
    think: float
    database: str
    tallies: list[Tally]
    wall: float  # from the first connect to the last session's end
    rss_start: int
    rss_peak: int
    rss_end: int
    server_cpu: float  # seconds of CPU the server used during the load
    client_cpu: float  # and this harness
    lost: list[str]

    @property
    def saves(self) -> int:
        return sum(t.saves for t in self.tallies)

    @property
    def errors(self) -> int:
        return sum(t.trouble for t in self.tallies)

    def lines(self) -> list[str]:
        from bench.__main__ import machine

        reruns = [s * 1000 for t in self.tallies for s in t.reruns]
        sign_in = [t.sign_in for t in self.tallies if t.sign_in is not None]
        first = [t.first_page for t in self.tallies if t.first_page is not None]
        mib = 1024 * 1024
        # a script run: the sign-in form, the submit and its st.rerun(), then one a change
        runs = max(1, len(first) + 2 * len(sign_in) + len(reruns))
        out = [
            f"machine: {machine()}",
            f"load: {self.sessions} sessions for {self.seconds:.0f} s, think time "
            f"{self.think:g} s (x0.5-1.5), database {self.database}",
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
            f"server RSS: {self.rss_start / mib:.0f} MiB at start, peak "
            f"{self.rss_peak / mib:.0f} MiB, {self.rss_end / mib:.0f} MiB at end",
            f"CPU during the load: server {self.server_cpu:.1f} s "
            f"({self.server_cpu / self.wall:.2f} cores; {self.server_cpu / runs * 1000:.0f} ms "
            f"a script run, {runs} runs), harness {self.client_cpu:.1f} s",
            f"lost answers: {len(self.lost)} (of {sum(len(t.acknowledged) for t in self.tallies)}"
            " last acknowledged values checked in the database)",
        ]
        problems = sorted({p for t in self.tallies for p in
                           [*t.exceptions, *t.errors, *([t.failure] if t.failure else [])]})
        out += [f"  problem: {p}" for p in problems[:10]]
        out += [f"  lost: {item}" for item in self.lost[:10]]
        return out


def _spread(samples: Sequence[float], unit: str) -> str:
    if not samples:
        return "none"
    return (f"median {statistics.median(samples):.2f} {unit}, p95 {percentile(samples, .95):.2f}"
            f", max {max(samples):.2f} (n={len(samples)})")


async def _drive(seats: Sequence[Seat], port: int, *, seconds: float,
                 think: float) -> list[Tally]:
    deadline = time.monotonic() + seconds
    return list(await asyncio.gather(*(
        clinician(seat, port, deadline=deadline, think=think, seed=index)
        for index, seat in enumerate(seats))))


def run_load(*, sessions: int, seconds: float, think: float, database_url: str | None = None,
             folder: Path | None = None) -> Report:
    """Start the app, drive ``sessions`` clinicians for ``seconds``, check the database."""
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be 1 to {MAX_SESSIONS}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be above 0 and at most {MAX_SECONDS:.0f}")
    sys.path.insert(0, str(ROOT / "tests"))
    import browser

    with tempfile.TemporaryDirectory(prefix="careplan-load-") as temporary:
        where = folder or Path(temporary)
        url = database_url or f"sqlite:///{where / 'load.db'}"
        seats = prepare(url, sessions, today=date.today())
        server = browser.AppServer({"DATABASE_URL": url, "CAREPLAN_DEMO": "1"}, where)
        with server:
            pid = server.pid
            watch = ProcessWatch(pid)
            rss_start, cpu_start, own_start = watch.rss(), watch.cpu_seconds(), time.process_time()
            started = time.monotonic()
            with watch:
                tallies = _in_own_loop(seats, server.port, seconds=seconds, think=think)
            wall = time.monotonic() - started
            rss_end, cpu = watch.rss(), watch.cpu_seconds() - cpu_start
            own = time.process_time() - own_start
            if any(t.failure for t in tallies):
                print(server.log_tail(), file=sys.stderr)
        lost = lost_answers(url, tallies)
    return Report(sessions=sessions, seconds=seconds, think=think,
                  database=url.split(":", 1)[0], tallies=tallies, wall=wall,
                  rss_start=rss_start, rss_peak=max([rss_start, rss_end, *watch.samples]),
                  rss_end=rss_end, server_cpu=cpu, client_cpu=own, lost=lost)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds between two changes of one clinician")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=None,
                       help="a database to load (default: a fresh SQLite file); accounts and "
                            "patients named load-<tag>-NNN are added to it")
    where.add_argument("--postgres", action="store_true",
                       help="a fresh database on a throwaway PostgreSQL cluster (tests/pg.py)")
    args = parser.parse_args(argv)
    os.environ.setdefault("CAREPLAN_DEMO", "1")
    url = args.database_url
    if args.postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        import pg

        url = pg.create_database(pg.require_server())
    report = run_load(sessions=args.sessions, seconds=args.seconds, think=args.think,
                      database_url=url)
    for line in report.lines():
        print(line)
    return 1 if report.errors or report.lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
