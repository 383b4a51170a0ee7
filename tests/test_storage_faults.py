"""Faults a clinic will meet: a killed writer, a locked file, a full disk, a dropped link."""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

import pg
from careplan import storage as db
from careplan.errors import ConnectionLostError, DatabaseBusyError, StorageFullError
from factories import example_data

ROOT = Path(__file__).resolve().parent.parent
BORN = date(1970, 1, 1)

WRITER = """
import sys
from datetime import date
from careplan import storage as db
engine = db.make_engine(sys.argv[1])
db.create_schema(engine)
for i in range(100_000):
    with db.transaction(engine) as s:
        patient = db.create_patient(session=s, name=f"P{i:06d}", date_of_birth=date(1970, 1, 1),
                                    by="writer")
        visit = db.start_visit(session=s, patient_id=patient, visit_date=date(2026, 11, 20),
                               clinician=None, by="writer")
        db.save_draft_field(session=s, visit_id=visit, path="history.notes",
                            value=f"{i:06d}:" + "n" * 8000, expected_version=1, by="writer")
    if i == 5:
        print("writing", flush=True)
"""


def test_sigkill_mid_save_leaves_whole_records_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        time.sleep(0.4)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    raw = sqlite3.connect(tmp_path / "killed.db")
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        patients = raw.execute("SELECT id, name FROM patients ORDER BY id").fetchall()
        visits = raw.execute("SELECT patient_id, draft FROM visits ORDER BY patient_id").fetchall()
    finally:
        raw.close()
    assert len(patients) > 5
    assert [p for p, _ in visits] == [p for p, _ in patients]  # each patient saved with its visit
    for (_, name), (_, draft) in zip(patients, visits, strict=True):
        notes = json.loads(draft)["history"]["notes"]
        assert notes == f"{name[1:]}:" + "n" * 8000  # the whole draft or no record at all


def test_locked_past_the_busy_timeout_is_a_clear_retryable_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = db.make_engine(f"sqlite:///{path}", busy_timeout_ms=200)
    db.create_schema(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    typed = {"name": "Ann Typed"}
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(DatabaseBusyError, match="busy"), db.transaction(engine) as s:
            db.create_patient(session=s, name=typed["name"], date_of_birth=BORN, by="a")
        assert 0.15 < time.monotonic() - started < 5
        holder.execute("ROLLBACK")
        with db.transaction(engine) as s:
            db.create_patient(session=s, name=typed["name"], date_of_birth=BORN, by="a")
        with db.transaction(engine, readonly=True) as s:
            assert [p.name for p in db.find_patients(session=s, query="ann")] == ["Ann Typed"]
    finally:
        holder.close()
        engine.dispose()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Engine, dict[str, int]]]:
    """A SQLite database capped by max_page_count, as if the disk were nearly full."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    db.create_schema(engine)
    with engine.connect() as conn:
        base = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    cap = {"pages": int(base) + 40}

    @event.listens_for(engine, "connect")
    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={cap['pages']}")

    engine.dispose()  # reconnect so the cap applies to every pooled connection
    yield engine, cap
    engine.dispose()


def fill_until_full(engine: Engine, visit: int, progress: dict[str, int]) -> None:
    """Save patients and long notes until the database refuses; count what was saved."""
    for i in range(500):
        with db.transaction(engine) as s:
            db.create_patient(session=s, name=f"Filler {i}" + "x" * 150, date_of_birth=BORN,
                              by="a")
            progress["version"] = db.save_draft_field(
                session=s, visit_id=visit, path="history.notes", value=f"{i}" + "y" * 6000,
                expected_version=progress["version"], by="a").version
        progress["saved"] += 1


def test_disk_full_is_clear_rolled_back_and_the_database_stays_usable(
    small_disk: tuple[Engine, dict[str, int]],
) -> None:
    engine, cap = small_disk
    with db.transaction(engine) as s:
        patient = db.create_patient(session=s, name="Full Disk", date_of_birth=BORN, by="a")
        visit = db.start_visit(session=s, patient_id=patient, visit_date=date(2026, 11, 20),
                               clinician=None, by="a")
    progress = {"saved": 0, "version": 1}
    with pytest.raises(StorageFullError, match="full"):
        fill_until_full(engine, visit, progress)
    saved, version = progress["saved"], progress["version"]
    with db.transaction(engine, readonly=True) as s:
        assert db.count_patients(session=s) == saved + 1  # the failed one left nothing behind
        assert db.get_draft(session=s, visit_id=visit).version == version
    cap["pages"] += 2000  # space freed
    engine.dispose()
    with db.transaction(engine) as s:
        db.save_draft_field(session=s, visit_id=visit, path="history.notes", value="after",
                            expected_version=version, by="a")


@pytest.fixture
def proxied() -> Iterator[tuple[Engine, pg.FaultProxy]]:
    url = pg.create_database(pg.require_server())
    proxy = pg.FaultProxy.for_url(url).start()
    engine = db.make_engine(proxy.url_for(url))
    try:
        db.create_schema(engine)
        yield engine, proxy
    finally:
        engine.dispose()
        proxy.stop()
        pg.drop_database(url)


def save_then_lose_the_link(engine: Engine, proxy: pg.FaultProxy) -> None:
    """Send the insert, then cut the connection before COMMIT gets through."""
    with db.transaction(engine) as s:
        db.create_patient(session=s, name="Dropped Link", date_of_birth=BORN, by="a",
                          request_id="create-dropped-link")
        s.flush()
        proxy.drop_all()


def test_postgres_connection_dropped_mid_save_then_retry_makes_one_record(
    proxied: tuple[Engine, pg.FaultProxy],
) -> None:
    engine, proxy = proxied
    with pytest.raises(ConnectionLostError, match="dropped"):
        save_then_lose_the_link(engine, proxy)
    for _ in range(2):  # the clinician presses Save again; then a double click
        with db.transaction(engine) as s:
            db.create_patient(session=s, name="Dropped Link", date_of_birth=BORN, by="a",
                              request_id="create-dropped-link")
    with db.transaction(engine, readonly=True) as s:
        assert [p.name for p in db.find_patients(session=s, query="dropped")] == ["Dropped Link"]


def test_postgres_pool_recovers_after_the_server_side_drops(
    proxied: tuple[Engine, pg.FaultProxy],
) -> None:
    engine, proxy = proxied
    with db.transaction(engine) as s:
        patient = db.create_patient(session=s, name="Ann", date_of_birth=BORN, by="a")
    proxy.drop_all()  # idle pooled connections die; pre-ping must notice
    with db.transaction(engine) as s:
        visit = db.start_visit(session=s, patient_id=patient, visit_date=date(2026, 11, 20),
                               clinician=None, by="a")
        db.save_draft(session=s, visit_id=visit, data=example_data(), expected_version=1,
                      by="a")
    with db.transaction(engine, readonly=True) as s:
        assert db.get_draft(session=s, visit_id=visit).data == example_data()


@pytest.fixture
def quick_busy(database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The pages' database with a 300 ms busy timeout (5 s in production), so a test that
    holds SQLite's write lock meets the timeout quickly."""
    made = db.make_engine
    monkeypatch.setattr(db, "make_engine", functools.partial(made, busy_timeout_ms=300))
    return database


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another process's writer holding SQLite's write lock past the busy timeout."""
    holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_busy_database_at_create_says_retry_and_keeps_the_form(quick_busy: str) -> None:
    """26 on the Patients page: 'busy, try again' and the form as typed; the retry creates
    the patient once."""
    from apps import app, no_trouble

    test = app("patients")
    test.text_input(key="new-name").input("Ann Busy")
    test.date_input(key="new-born").set_value(BORN)
    test.text_input(key="new-mrn").input("B-1")
    with write_lock_held(quick_busy):
        test.button(key="FormSubmitter:new-patient-Create patient and start a visit").click()
        test.run()
    no_trouble(test)
    assert test.title[0].value == "Patients"
    assert any("The database is busy with another save. Nothing was lost; try again." in e.value
               for e in test.error)
    assert (test.text_input(key="new-name").value, test.date_input(key="new-born").value,
            test.text_input(key="new-mrn").value) == ("Ann Busy", BORN, "B-1")
    test.button(key="FormSubmitter:new-patient-Create patient and start a visit").click().run()
    assert test.title[0].value == "Intake"
    engine = db.make_engine(quick_busy)
    with db.transaction(engine, readonly=True) as s:
        assert [p.name for p in db.find_patients(session=s, query="ann busy")] == ["Ann Busy"]
    engine.dispose()


def test_a_busy_database_at_an_answer_says_retry_and_keeps_the_answer_on_screen(
    quick_busy: str,
) -> None:
    """26 on the Intake page: the answer stays in its field with 'not saved yet'; the next
    change after the lock is gone is saved."""
    from apps import app, create_patient, no_trouble

    create_patient()
    test = app("intake", patient=1, visit=1)
    test.segmented_control(key="f:history.pain_now").set_value(4).run()
    with write_lock_held(quick_busy):
        test.segmented_control(key="f:history.pain_now").set_value(7).run()
    no_trouble(test)
    assert test.segmented_control(key="f:history.pain_now").value == 7
    assert any(e.value.startswith("Not saved yet: The database is busy") for e in test.error)
    engine = db.make_engine(quick_busy)
    with db.transaction(engine, readonly=True) as s:
        assert db.get_draft(session=s, visit_id=1).data["history"]["pain_now"] == 4
    test.segmented_control(key="f:history.pain_now").set_value(8).run()
    no_trouble(test)
    assert not any("Not saved yet" in e.value for e in test.error)
    with db.transaction(engine, readonly=True) as s:
        assert db.get_draft(session=s, visit_id=1).data["history"]["pain_now"] == 8
    engine.dispose()
