"""Demo data: a few fictional patients with history, added once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from careplan import demo
from careplan import storage as db
from careplan.clinical.review import blockers, needs_acknowledgement
from careplan.errors import NotReadyToSignError

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


TODAY = date(2026, 11, 25)

def _urgent_first(history: Any) -> Any:
    """Samuel's visits with the clarithromycin (the urgent MED-STATIN-CONTRA alert) on the
    first one, which the demo signs, and without it on the last."""
    (first, before), (last, after) = history
    return ((first, after), (last, before))


URGENT_FIRST: Any = tuple(
    (name, born, mrn, _urgent_first(history) if mrn == "DEMO-0004" else history)
    for name, born, mrn, history in demo.PATIENTS)


@pytest.fixture
def sqlite(tmp_path: Path) -> Engine:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    db.create_schema(engine)
    return engine


def signed_demo_plans(engine: Engine) -> list[db.StoredPlan]:
    with db.transaction(engine, readonly=True) as s:
        visits = [int(v) for p in db.find_patients(session=s, query="DEMO")
                  for v in db.patient_history(session=s, patient_id=p.id)["visit_id"]]
        plans = [p for v in visits for p in db.plans_of_visit(session=s, visit_id=v)]
    return [p for p in plans if p.status == "signed"]


@pytest.mark.parametrize("patients", [demo.PATIENTS, URGENT_FIRST], ids=["as shipped",
                                                                         "urgent alert signed"])
def test_every_signed_demo_plan_is_one_a_clinician_could_sign(
    sqlite: Engine, patients: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo signs through the rules of signing (``visits.sign`` refuses a plan with an
    emergency or urgent alert not acknowledged, or an item not reviewed): the demo clinician
    acknowledged each such alert on the visit day, before the signature."""
    monkeypatch.setattr(demo, "PATIENTS", patients)
    demo.seed(sqlite, today=TODAY)
    signed = signed_demo_plans(sqlite)
    assert len(signed) == sum(len(history) - 1 for *_, history in patients)
    urgent = 0
    for stored in signed:
        assert stored.review is not None
        assert not blockers(stored.plan, stored.review, stored.intake)
        assert stored.signed_by == demo.CLINICIAN
        for alert in filter(needs_acknowledgement, stored.plan.alerts):
            urgent += 1
            mark = stored.review.acknowledgement_of(alert)
            assert mark is not None
            assert mark.by == demo.CLINICIAN
            assert stored.signed_at is not None
            assert mark.at <= stored.signed_at
            day = datetime.combine(stored.plan.visit.date, time(10, 2), UTC)
            if day <= stored.signed_at:  # seeded after the visit day (as `make run` seeds)
                assert mark.at == day
    assert urgent == (patients is URGENT_FIRST)


def test_the_demo_refuses_to_sign_a_plan_no_clinician_could_sign(
    sqlite: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A red-flag question left unasked on a visit the demo would sign stops the seeding."""
    name, born, mrn, history = demo.PATIENTS[0]
    unasked = ((history[0][0], {**history[0][1], "red_flags.dark_urine": None}), *history[1:])
    monkeypatch.setattr(demo, "PATIENTS", ((name, born, mrn, unasked),))
    with pytest.raises(NotReadyToSignError, match="red-flag question not asked"):
        demo.seed(sqlite, today=TODAY)
    assert signed_demo_plans(sqlite) == []
