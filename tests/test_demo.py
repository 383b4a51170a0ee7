"""Demo data: a few fictional patients with history, added once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from careplan import demo
from careplan import storage as db

ROOT = Path(__file__).resolve().parent.parent


def test_seed_makes_patients_with_history_on_both_backends(engine: Engine) -> None:
    patients, visits = demo.seed(engine, today=date(2026, 11, 25))
    assert 3 <= patients <= 5
    assert visits >= 2 * patients
    with db.transaction(engine, readonly=True) as s:
        rows = db.find_patients(session=s, query="DEMO-0001") + db.find_patients(
            session=s, query="Peter")
        assert {r.name for r in rows} == {"Maria Demo-Santos", "Peter Demo-Novak"}
        history = db.patient_history(session=s, patient_id=rows[0].id)
    assert len(history) >= 2
    assert history["pain_now"].notna().all()
    assert history["signed"].tolist()[:-1] == [True] * (len(history) - 1)


def test_command_adds_demo_data_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "careplan", "demo-data", "--if-empty"], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=120, check=True,
        )
        return done.stdout

    assert run().startswith("Added 4 demo patients")
    assert "no demo data added" in run()
    engine = db.make_engine(url)
    with db.transaction(engine, readonly=True) as s:
        assert db.count_patients(session=s) == 4
    engine.dispose()


def test_migrate_brings_an_empty_database_to_the_newest_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "careplan", "migrate"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == f"The database schema is at revision {db.SCHEMA_REVISION}."
    engine = db.make_engine(url)
    assert db.schema_revision(engine) == db.SCHEMA_REVISION
    with db.transaction(engine, readonly=True) as s:
        assert db.count_patients(session=s) == 0  # migrating adds no patients
    engine.dispose()
