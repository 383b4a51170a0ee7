"""The tests' copy of the contract example stays identical to shared/contract."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from factories import EXAMPLE_PATH

SHARED = Path(__file__).resolve().parents[2] / "shared" / "contract" / "intake.example.json"


def test_example_copy_matches_the_shared_contract() -> None:
    if not SHARED.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared contract at {SHARED}")
        pytest.skip("shared/ is not beside this checkout")
    assert EXAMPLE_PATH.read_bytes() == SHARED.read_bytes()

