"""Faults a clinic will meet: a killed writer, a locked file, a full disk, a dropped link."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
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
