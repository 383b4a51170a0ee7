"""Shared fixtures. Factories live in factories.py so tests can import them directly."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from careplan.clinical.engine import default_rule_base
from careplan.clinical.rules import RuleBase
from careplan.intake.model import Intake
from careplan.storage import create_schema, make_engine
from factories import make_intake

# The tests print handouts for a demo clinic (a handout without a configured clinic is
# refused: tests/test_settings.py). Set before any subprocess or app server starts.
os.environ.setdefault("CAREPLAN_DEMO", "1")


@pytest.fixture(scope="session")
def rule_base() -> RuleBase:
    return default_rule_base()


@pytest.fixture
def example_intake() -> Intake:
    return make_intake()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files from the current output (review the diff!)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, empty schema on each backend: SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        create_schema(eng)
        yield eng
        eng.dispose()
        return
    import pg

    url = pg.create_database(pg.require_server())
    eng = make_engine(url)
    try:
        create_schema(eng)
        yield eng
    finally:
        eng.dispose()
        pg.drop_database(url)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL for the pages: an empty SQLite file with two signed-in accounts."""
    from apps import make_accounts

    url = f"sqlite:///{tmp_path / 'pages.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    make_accounts(url)
    return url


@pytest.fixture(autouse=True)
def _fresh_sign_in_throttle() -> Iterator[None]:
    """Each test starts with no failed sign-ins counted: the throttle lives in the process
    (as on a server), and page tests run in this one."""
    yield
    module = sys.modules.get("ui.auth")
    if module is not None:
        module.SIGN_IN_THROTTLE.clear()
