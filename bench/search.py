"""Patient search at a million patients, on SQLite and PostgreSQL (issue 13 point 6: under
20 ms with the index; a ``LIKE '%x%'`` scan took 137 ms and 372 ms).

``python -m bench.search [--patients N] [--postgres-url URL] [--repeats R]``

The data set is built once and kept outside the repo (building a million patients takes a
few minutes): a SQLite file under ``$CAREPLAN_BENCH_CACHE`` (default
``~/.cache/careplan-bench``), and a database named ``careplan_bench_search_...`` on the
PostgreSQL server of ``--postgres-url``, ``CAREPLAN_BENCH_POSTGRES_URL`` or
``CAREPLAN_TEST_POSTGRES_URL`` (none: PostgreSQL is left out, and the report says so). The
patients are loaded at the revision before the index (0007), as a clinic would have them,
and migration 0008 indexes them, so the build also times the migration.

What is timed is the use case a search runs (``careplan.patients.find``: the clinician's
own matches in name order, and the others by record number), for a clinician whose care
team of 10 has seen about 5,000 of the million; each of the other patients has been seen by
one of 2,000 other clinicians.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.timing import time_ms
from careplan import patients, storage
from careplan.accounts import SignedIn
from careplan.database import Database

PATIENTS = 1_000_000
DATA_VERSION = 1  # bump when the synthetic data changes: the cached copies are rebuilt
TEAM = 10  # the clinician and nine team-mates
CLINICIANS = 2_000  # who saw the other patients
SEEN_BY_TEAM = 5_000
BATCH = 20_000
ME = SignedIn(user_id=0, username="bench", display_name="Dr. Bench", role="clinician",
              token="")

FIRST = ("Zoë", "Maria", "María José", "José", "Ana", "Anna", "John", "Mary", "James",
         "Linda", "Robert", "Patricia", "Michael", "Jennifer", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty",
         "Anthony", "Sandra", "Mark", "Ashley", "Donald", "Kimberly", "Steven", "Emily",
         "Paul", "Donna", "Andrew", "Michelle", "Joshua", "Carol", "Kenneth", "Amanda",
         "Kevin", "Melissa", "Brian", "Deborah", "George", "Stephanie", "Timothy", "Rebecca",
         "Ronald", "Sharon", "Jason", "Laura", "Edward", "Cynthia", "Jeffrey", "Dorothy",
         "Ryan", "Amy", "Jacob", "Kathleen", "Gary", "Angela", "Nicholas", "Shirley",
         "Eric", "Emma", "Jonathan", "Brenda", "Stephen", "Pamela", "Larry", "Nicole",
         "Justin", "Samantha", "Scott", "Katherine", "Brandon", "Christine", "Benjamin",
         "Helen", "Samuel", "Debra", "Gregory", "Rachel", "Alexander", "Carolyn", "Patrick",
         "Janet", "Frank", "Maria", "Raymond", "Catherine", "Jack", "Heather", "Dennis",
         "Diane", "Jerry", "Olivia", "Tyler", "Julie", "Aaron", "Joyce", "Søren", "Zoltán",
         "François", "Chloé", "Jürgen", "Björn", "Ángel", "Iñaki", "Thị Lan", "Văn Minh",
         "Mei", "Wei", "Aisha", "Omar", "Fatima", "Yusuf", "Priya", "Arjun", "Olga", "Ivan")
COMMON_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
    "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris",
    "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Torres", "Nguyễn", "Hill", "Flores", "Green", "Adams", "Nelson",
    "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gómez",
    "Phillips", "Evans", "Turner", "Díaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutiérrez", "Ortiz",
    "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
    "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett",
    "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Álvarez", "Castillo", "Sanders", "Patel",
    "Myers", "Long", "Ross", "Foster", "Jiménez", "Trần", "Lê", "Phạm", "Müller", "Schmidt",
    "Kovács", "Nagy", "Novák", "O'Brien", "O'Connor", "McDonald", "Van der Berg", "De la Cruz")
SYLLABLES = ("an", "be", "co", "da", "el", "fa", "gi", "ho", "is", "ju", "ka", "lo", "ma",
             "ne", "or", "pa", "qu", "ri", "sa", "to", "ul", "vi", "wa", "xe", "yo", "zo")
BORN_FROM = date(1925, 1, 1)
BORN_DAYS = 95 * 365


def _name(rng: random.Random) -> str:
    """Four names in ten carry a common surname; the rest a rare one (a long tail). One in
    four has two given names or two surnames, so a surname is often in the middle."""
    first = rng.choice(FIRST)
    if rng.random() < 0.4:
        last = rng.choice(COMMON_SURNAMES)
    else:
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    shape = rng.random()
    if shape < 0.15:
        return f"{first} {last} {rng.choice(COMMON_SURNAMES)}"  # María José García López
    if shape < 0.25:
        return f"{first} {rng.choice(FIRST)} {last}"
    return f"{first} {last}"


# ---------------------------------------------------------------------------- building


def cache_dir() -> Path:
    return Path(os.environ.get("CAREPLAN_BENCH_CACHE")
                or Path.home() / ".cache" / "careplan-bench")


def _label(size: int) -> str:
    return f"search_{size}_r{storage.SCHEMA_REVISION}_v{DATA_VERSION}"


_patients = sa.table(  # as they are at revision 0007, before the index
    "patients", *(sa.column(c) for c in (
        "id", "name", "name_key", "search_key", "date_of_birth", "mrn", "created_at",
        "updated_at", "updated_by", "version")))
_access = sa.table("patient_access", *(sa.column(c) for c in (
    "patient_id", "username", "how", "reason", "since")))
_users = sa.table("users", *(sa.column(c) for c in (
    "username", "display_name", "role", "password_hash", "active", "failed_attempts",
    "created_at", "updated_at", "team")))


def _rows(size: int) -> Iterator[tuple[list[dict[str, object]], list[dict[str, object]]]]:
    rng = random.Random(13)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    team = {f"dr{n}" for n in range(TEAM - 1)} | {ME.username}
    for start in range(0, size, BATCH):
        people: list[dict[str, object]] = []
        seen: list[dict[str, object]] = []
        for patient in range(start + 1, min(start + BATCH, size) + 1):
            name = _name(rng)
            people.append({
                "id": patient, "name": name, "name_key": storage.name_key(name),
                "search_key": storage.search_key(name),
                "date_of_birth": BORN_FROM + timedelta(days=rng.randrange(BORN_DAYS)),
                "mrn": f"B-{patient:07d}", "created_at": now, "updated_at": now,
                "updated_by": "bench", "version": 1})
            by = (rng.choice(sorted(team)) if rng.random() < SEEN_BY_TEAM / size
                  else f"dr{rng.randrange(TEAM, CLINICIANS)}")
            seen.append({"patient_id": patient, "username": by, "how": "created",
                         "reason": "", "since": now})
        yield people, seen


def build(url: str, size: int) -> float:
    """Load ``size`` patients at revision 0007 and migrate to the newest; seconds taken."""
    started = time.perf_counter()
    storage.upgrade(url, revision="0007")
    engine = storage.make_engine(url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(sa.insert(_users), [
            {"username": name, "display_name": name, "role": "clinician", "password_hash": "-",
             "active": True, "failed_attempts": 0, "created_at": now, "updated_at": now,
             "team": "pain"}
            for name in [ME.username, *(f"dr{n}" for n in range(TEAM - 1))]])
    for people, seen in _rows(size):
        with engine.begin() as connection:
            connection.execute(sa.insert(_patients), people)
            connection.execute(sa.insert(_access), seen)
    engine.dispose()
    storage.upgrade(url)  # migration 0008: the search index over the rows already there
    engine = storage.make_engine(url)
    with engine.connect() as connection:  # as autovacuum would have left a clinic's tables
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def sqlite_url(size: int) -> tuple[str, float | None]:
    """The cached SQLite data set (built first if missing): its URL and the build time."""
    folder = cache_dir()
    path = folder / f"{_label(size)}.db"
    if path.exists():
        return f"sqlite:///{path}", None
    folder.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in folder.glob(f"{building.name}*"):
        leftover.unlink()
    took = build(f"sqlite:///{building}", size)
    building.rename(path)
    return f"sqlite:///{path}", took


def postgres_url(server: str, size: int) -> tuple[str, float | None]:
    """The cached PostgreSQL data set on ``server`` (built first if missing)."""
    admin = sa.make_url(server)
    name = f"careplan_bench_{_label(size)}"
    building = f"{name}_building"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = set(connection.exec_driver_sql("SELECT datname FROM pg_database").scalars())
            took = None
            if name not in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{building}"')
                connection.exec_driver_sql(f'CREATE DATABASE "{building}"')
                took = build(admin.set(database=building).render_as_string(hide_password=False),
                             size)
                connection.exec_driver_sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False), took


# ----------------------------------------------------------------------------- timing


@dataclass(frozen=True, slots=True)
class Case:
    what: str
    query: str


def cases(engine: sa.Engine, size: int) -> list[Case]:
    """What a clinician types: names, a date of birth and an MRN of patients in the set."""
    with engine.connect() as connection:
        def name_of(patient: int) -> str:
            return str(connection.execute(sa.text("SELECT name FROM patients WHERE id = :id"),
                                          {"id": patient}).scalar_one())

        rare = next(name_of(i) for i in range(size // 3, size)
                    if name_of(i).split()[-1] not in COMMON_SURNAMES)
        middle = next(name_of(i) for i in range(size // 5, size) if len(name_of(i).split()) == 3)
        born = connection.execute(sa.text("SELECT date_of_birth FROM patients WHERE id = :id"),
                                  {"id": size // 7}).scalar_one()
        born = born if isinstance(born, date) else date.fromisoformat(str(born))
        given = name_of(size // 7).split()[0]
    return [
        Case("a common surname", "garcia"),
        Case("a common surname, accented", "Nguyễn"),
        Case("a rare surname", rare.split()[-1].lower()),
        Case("first name + surname start", "maria gar"),
        Case("surname first, then first name", "lopez maria"),
        Case("a word in the middle of the name", middle.split()[1]),
        Case("a given name only", "zoe"),
        Case("two letters", "ng"),
        Case("one letter (no trigram: a scan)", "q"),
        Case("date of birth", born.isoformat()),
        Case("date of birth + first name", f"{born.isoformat()} {given}"),
        Case("MRN, lower case", f"b-{size // 2:07d}"),
    ]


def time_cases(url: str, size: int, repeats: int) -> list[str]:
    engine = storage.make_engine(url)
    db = Database(engine)
    lines = []
    try:
        for case in cases(engine, size):
            found = patients.find(db, ME, query=case.query)

            def search(query: str = case.query) -> None:
                patients.find(db, ME, query=query)

            timing = time_ms(search, warmup=3, repeats=repeats)
            more = "+" if len(found.others) == patients.SCANNED else ""
            lines.append(f"  {case.what + ' (' + repr(case.query) + ')':<52} "
                         f"{timing.show(2)}; shown {len(found.shown)}, others "
                         f"{len(found.others)}{more}")
    finally:
        engine.dispose()
    return lines


def run(size: int = PATIENTS, *, postgres: str | None = None, repeats: int = 30,
        say: Callable[[str], None] = print) -> None:
    """Print the figures of each backend (building its data set first if needed)."""
    say(f"patient search, {size:,} patients (goal: under 20 ms a search; "
        "median, min, max of one search through careplan.patients.find)")
    backends: list[tuple[str, Callable[[], tuple[str, float | None]]]] = [
        ("SQLite (FTS5 trigram)", lambda: sqlite_url(size))]
    server = postgres or os.environ.get("CAREPLAN_BENCH_POSTGRES_URL") or os.environ.get(
        "CAREPLAN_TEST_POSTGRES_URL")
    if server:
        on = server
        backends.append(("PostgreSQL (pg_trgm GIN)", lambda: postgres_url(on, size)))
    for title, where in backends:
        url, took = where()
        if took is not None:
            say(f"{title}: built and indexed {size:,} patients in {took:.0f} s (cached for "
                "the next run)")
        say(f"{title}:")
        for line in time_cases(url, size, repeats):
            say(line)
    if not server:
        say("PostgreSQL: left out (set CAREPLAN_BENCH_POSTGRES_URL to a server to build on)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--postgres-url", default=None,
                        help="a PostgreSQL server (admin URL) to build the cached data set on")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    from bench.__main__ import machine

    print(f"machine: {machine()}")
    run(args.patients, postgres=args.postgres_url, repeats=args.repeats)


if __name__ == "__main__":
    main()

