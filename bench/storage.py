"""Storage benchmark: 10,000 patients and 50,000 visits in SQLite, the way a clinic grows."""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.timing import Timing
from careplan import storage

PATIENTS = 10_000
VISITS_EACH = 5
SYLLABLES = ("an", "be", "co", "da", "el", "fa", "gi", "ho", "is", "ju", "ka", "lo", "ma", "ne",
             "or", "pa", "qu", "ri", "sa", "to", "ul", "vi", "wa", "xe", "yo", "zo")


def _name(rng: random.Random) -> str:
    first = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
    last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    return f"{last} {first}"


def seed(url: str) -> tuple[Any, list[str], int]:
    """Bulk-load the data set; returns the engine, sample prefixes and a visit to edit."""
    engine = storage.make_engine(url)
    storage.create_schema(engine)
    rng = random.Random(7)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    names = [_name(rng) for _ in range(PATIENTS)]
    with engine.begin() as conn:
        conn.execute(insert(storage.Patient), [
            {"id": i + 1, "name": n, "name_key": storage.name_key(n),
             "search_key": storage.search_key(n),
             "date_of_birth": date(1940, 1, 1) + timedelta(days=rng.randrange(25_000)),
             "mrn": f"B-{i:06d}", "created_at": now, "updated_at": now, "updated_by": "bench",
             "version": 1}
            for i, n in enumerate(names)
        ])
        conn.execute(insert(storage.Visit), [
            {"patient_id": p + 1, "visit_date": date(2024, 1, 1) + timedelta(days=60 * v),
             "clinician": "Dr. Bench", "draft": json.dumps({"visit": {"date": "2024-01-01"}}),
             "carried_over": "{}", "pain_now": float(rng.randrange(11)),
             "peg": rng.randrange(100) / 10, "wpi": float(rng.randrange(20)),
             "sss": float(rng.randrange(13)), "phq4": float(rng.randrange(13)),
             "created_at": now, "updated_at": now, "updated_by": "bench", "version": 1}
            for p in range(PATIENTS) for v in range(VISITS_EACH)
        ])
    example = json.loads((Path(__file__).parent.parent / "careplan" / "example_intake.json")
                         .read_text("utf-8"))
    with storage.transaction(engine) as session:
        visit = storage.start_visit(session=session, patient_id=1, visit_date=date(2026, 11, 20),
                                    clinician="Dr. Bench", by="bench")
        storage.save_draft(session=session, visit_id=visit, data=example, expected_version=1,
                           by="bench")
    prefixes = [n[:3] for n in rng.sample(names, 200)]
    return engine, prefixes, visit


def run(time_ms: Callable[..., Timing]) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        engine, prefixes, visit = seed(f"sqlite:///{Path(folder) / 'bench.db'}")
        cycle = iter(prefixes * 100)
        ids = iter(list(range(1, PATIENTS + 1)) * 10)

        def search() -> None:
            with storage.transaction(engine, readonly=True) as session:
                storage.find_patients(session=session, query=next(cycle))

        def open_patient() -> None:
            with storage.transaction(engine, readonly=True) as session:
                patient = next(ids)
                storage.get_patient(session=session, patient_id=patient)
                storage.patient_history(session=session, patient_id=patient)

        state = {"version": 2, "pain": 0}

        def save_draft() -> None:
            state["pain"] = (state["pain"] + 1) % 11
            with storage.transaction(engine) as session:
                state["version"] = storage.save_draft_field(
                    session=session, visit_id=visit, path="history.pain_now",
                    value=state["pain"], expected_version=state["version"], by="bench").version

        lines = [
            f"storage: {PATIENTS:,} patients, {PATIENTS * VISITS_EACH:,} visits (SQLite, WAL)",
            "search patients by name prefix (goal < 20 ms): "
            + time_ms(search, warmup=20, repeats=300).show(),
            "open a patient with history (goal < 20 ms):  "
            + time_ms(open_patient, warmup=20, repeats=300).show(),
            "save a draft field, fsync'd (goal < 20 ms):  "
            + time_ms(save_draft, warmup=10, repeats=200).show(),
        ]
        engine.dispose()
    return lines
