"""The database an app or command works on: one engine, opened once, migrated if behind.

Why a handle of its own: the use cases (``visits``, ``patients``, ``admin``) open their
transactions on it, so the dashboard holds a ``Database`` and never imports the storage
layer or SQLAlchemy itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from careplan import settings, storage

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Database:
    """An opened database; ``transaction`` is one unit of work (commit or roll back)."""

    engine: Engine

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        with storage.transaction(self.engine, readonly=readonly) as session:
            yield session


def open_database(url: str | None = None) -> Database:
    """Open ``url`` (default: the configured one); migrate only a database that is behind."""
    url = url or settings.current().database_url
    engine = storage.make_engine(url)
    storage.upgrade_if_behind(engine, url)
    return Database(engine)
