"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import pg
from careplan import storage as db


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = pg.create_database(pg.require_server())
    try:
        yield url
    finally:
        pg.drop_database(url)


def test_upgrade_matches_the_models(empty_url: str) -> None:
    db.upgrade(empty_url)
    db.upgrade(empty_url)  # running it again is harmless
    engine = db.make_engine(empty_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
