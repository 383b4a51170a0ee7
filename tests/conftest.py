"""Shared fixtures. Factories live in factories.py so tests can import them directly."""

from __future__ import annotations

import pytest

from careplan.engine import default_rule_base
from careplan.intake import Intake
from careplan.rules import RuleBase
from factories import make_intake


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
