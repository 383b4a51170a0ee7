"""Test factories: one intake builder, through the real model, with dotted overrides.

``make_intake({"history.pain_now": 9}, unset=["history.duration_weeks"])`` starts
from the contract's example intake, applies the changes and validates the
result, so every test intake is a real, valid intake.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from careplan import accounts
from careplan.database import Database
from careplan.intake.model import RED_FLAGS, Intake, upgrade_legacy_fields
from careplan.intake.validation import validate_intake

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PATH = ROOT / "careplan" / "example_intake.json"  # the contract example, shipped
TODAY = date(2026, 11, 25)


def example_data() -> dict[str, Any]:
    """A fresh deep copy of the contract's example intake as plain JSON data, current form.

    The shared example still writes the first version's
    ``red_flags.numbness_or_bladder_bowel_change``; tests start from the current form
    (as the model reads it) and test the old form on purpose where they mean to.
    """
    return upgrade_legacy_fields(json.loads(EXAMPLE_PATH.read_text(encoding="utf-8")))


def apply(
    data: dict[str, Any], changes: Mapping[str, Any] | None = None, unset: Iterable[str] = ()
) -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-path changes set and ``unset`` paths removed."""
    result = copy.deepcopy(data)
    for path, value in (changes or {}).items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = copy.deepcopy(value)
    for path in unset:
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node[part]
        node.pop(leaf, None)
    return result


def make_intake(
    changes: Mapping[str, Any] | None = None,
    *,
    unset: Iterable[str] = (),
    today: date = TODAY,
    **overrides: Any,
) -> Intake:
    """A validated intake: the example plus changes (``history__pain_now=9`` also works)."""
    merged = dict(changes or {})
    merged.update({key.replace("__", "."): value for key, value in overrides.items()})
    return validate_intake(apply(example_data(), merged, unset), today=today)


def run_command(
    *args: str | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m careplan ARGS`` as a real process, as a script or a clinic would run it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    env.pop("CAREPLAN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "careplan", *map(str, args)],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT, timeout=60,
        check=False,
    )


PASSWORD = "correct horse battery staple"


def add_staff(database: Database, now: datetime, *clinicians: tuple[str, str]) -> None:
    """An administrator ("admin", Ada Admin) and the clinicians (user name, shown name)."""
    with database.transaction() as s:
        accounts.add_user(session=s, username="admin", display_name="Ada Admin", role="admin",
                          password=PASSWORD, by="setup", now=now)
        for name, shown in clinicians:
            accounts.add_user(session=s, username=name, display_name=shown, role="clinician",
                              password=PASSWORD, by="admin", now=now)


def signed_in(database: Database, user: str, now: datetime) -> accounts.SignedIn:
    """A session for ``user`` (made by ``add_staff``), as the sign-in form would start."""
    with database.transaction() as s:
        signed = accounts.sign_in(session=s, username=user, password=PASSWORD, now=now)
    assert signed is not None
    return signed


# Patients whose handouts the reading-level gates read whole (tests/test_readability*.py).
READABILITY_SCENARIOS: dict[str, dict[str, Any]] = {
    "desk worker (example)": {},
    "statin with an interacting antibiotic": {"history.medications": [
        {"name": "Zocor 40mg", "dose": "40 mg nightly", "started": "2026-09-01"},
        {"name": "clarithromycin", "dose": "500 mg twice daily", "started": "2026-11-15"}]},
    "older adult on an anticoagulant with CKD": {
        "patient.date_of_birth": "1946-05-02",
        "history.conditions": ["chronic_kidney_disease", "hypertension"],
        "history.medications": [{"name": "Eliquis", "dose": "5 mg"}, {"name": "Advil"}]},
    "pregnancy": {"risk_factors.pregnant": True, "risk_factors.pregnancy_weeks": 24},
    "widespread pain": {
        "affected_areas": ["neck", "upper_back", "lower_back", "shoulder_left", "shoulder_right",
                           "hip_left", "hip_right", "upper_leg_left", "lower_leg_right"],
        "symptom_severity.fatigue": 3, "history.duration_weeks": 30},
    "every red flag": {f"red_flags.{flag}": True for flag in RED_FLAGS},
}
