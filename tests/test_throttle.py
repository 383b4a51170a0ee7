"""Sign-in attempts are throttled per client before any password is hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_auth_pages import fresh, sign_in

from careplan import accounts
from careplan.throttle import Throttle
from factories import PASSWORD

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_client_waits_after_too_many_failures_until_the_oldest_ages_out() -> None:
    throttle = Throttle(limit=3, window=timedelta(minutes=10))
    for minute in range(3):
        assert throttle.wait("10.0.0.9", START + timedelta(minutes=minute)) is None
        throttle.failed("10.0.0.9", START + timedelta(minutes=minute))
    assert throttle.wait("10.0.0.9", START + timedelta(minutes=3)) == timedelta(minutes=7)
    assert throttle.wait("10.0.0.7", START + timedelta(minutes=3)) is None  # another client
    assert throttle.wait("10.0.0.9", START + timedelta(minutes=10)) is None  # aged out


def test_a_right_password_clears_the_count() -> None:
    throttle = Throttle(limit=2)
    throttle.failed("local", START)
    throttle.succeeded("local")
    throttle.failed("local", START)
    assert throttle.wait("local", START) is None


def test_a_spray_over_many_names_is_refused_without_hashing(
    database: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten wrong guesses over ten names lock no account, but the eleventh attempt from the
    same client, even with a right password, is refused before argon2 runs."""
    hashed: list[str] = []
    check = accounts._check

    def counting(account: object, password: str) -> object:
        hashed.append(password)
        return check(account, password)  # type: ignore[arg-type]

    monkeypatch.setattr(accounts, "_check", counting)
    test = fresh()
    for number in range(10):
        test = sign_in(test, f"guess{number}", "not the password")
        assert accounts.GENERIC_FAILURE in [e.value for e in test.error]
    assert len(hashed) == 10
    test = sign_in(test, "rivera", PASSWORD)
    assert test.title[0].value == "Sign in"
    assert any("Too many sign-in attempts" in e.value for e in test.error)
    assert len(hashed) == 10  # refused before any hashing
