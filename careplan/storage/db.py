"""Engines, transactions, the schema and plain errors: how the package reaches the database.

Why:
- SQLite is the embedded default (WAL, synchronous=FULL, foreign keys, busy timeout,
  writes begin IMMEDIATE); PostgreSQL (psycopg 3) serves several app servers.
  ``DATABASE_URL`` chooses.
- Every unit of work is one ``transaction``; driver errors become the package's own
  (busy, full, connection lost) with a message a person can act on.
- The app checks the schema revision with one query instead of loading Alembic.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from careplan import settings
from careplan.errors import ConnectionLostError, DatabaseBusyError, StorageError, StorageFullError
from careplan.storage.models import Base

DEFAULT_URL: Final = settings.DEFAULT_DATABASE_URL
BUSY_TIMEOUT_MS: Final = 5000


def database_url() -> str:
    """``DATABASE_URL`` or the embedded SQLite file under ``data/``."""
    return settings.current().database_url


def make_engine(url: str | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """An engine with the durability settings PHI needs on each backend.

    ``hide_parameters`` keeps patient data out of error messages and logs.
    """
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _private_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000},
                               hide_parameters=True)
        _sqlite_pragmas(engine, busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _private_file(path: Path) -> None:
    """The database file readable by its owner only (0600): it holds PHI. SQLite gives its
    -wal and -shm files the same mode as the database file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       f"busy_timeout={busy_timeout_ms}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at once, so a read that turns into a write
        # cannot fail with "database is locked" half way (pysqlite begins lazily).
        mode = "DEFERRED" if connection.get_execution_options().get("readonly") else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")


APPEND_ONLY_TABLES: Final = ("audit_log",)


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """On PostgreSQL, let ``role`` (the app's login) use the schema without owning it:
    read and write every table, but only read and add audit records.

    Why: the owner (who runs the migrations) can alter a table, disable its triggers or
    truncate it; the app's role then cannot, so a stolen app password cannot rewrite the
    audit trail. Run by the owner after each migration (new tables need their grants).
    Returns the statements run.
    """
    if engine.dialect.name != "postgresql":
        raise StorageError("roles are a PostgreSQL feature; SQLite has one file owner")
    quote = engine.dialect.identifier_preparer.quote
    who = quote(role)
    statements = [f"GRANT USAGE ON SCHEMA public TO {who}"]
    for table in Base.metadata.sorted_tables:
        name = quote(table.name)
        statements.append(f"REVOKE ALL ON {name} FROM {who}")
        rights = "SELECT, INSERT" if table.name in APPEND_ONLY_TABLES else (
            "SELECT, INSERT, UPDATE, DELETE")
        statements.append(f"GRANT {rights} ON {name} TO {who}")
    statements += [f"REVOKE ALL ON alembic_version FROM {who}",
                   f"GRANT SELECT ON alembic_version TO {who}",
                   f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}"]
    with translate_errors(), engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    return statements


def create_schema(engine: Engine) -> None:
    """Create every table directly (tests); deployments run the Alembic migrations."""
    Base.metadata.create_all(engine)


def upgrade(url: str | None = None, *, revision: str = "head") -> None:
    """Bring the database to the newest Alembic revision (or to ``revision``: the search
    benchmark loads its patients at the revision before the index, as a clinic would have
    them, and lets migration 0008 index them)."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[2]  # careplan/storage/db.py -> repo
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    command.upgrade(config, revision)


# The newest Alembic revision in migrations/versions (tests/test_migrations.py checks it), so
# the app can tell an up-to-date database without loading Alembic and every migration.
SCHEMA_REVISION: Final = "0009"


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (``None``: never migrated)."""
    with translate_errors(), engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return None if revision is None else str(revision)


def upgrade_if_behind(engine: Engine, url: str | None = None) -> None:
    """Run the migrations only when the database is not at ``SCHEMA_REVISION``.

    Deployments migrate before the app starts (``make run``), so the app's first page
    usually pays one query here instead of an Alembic run; an empty database (a fresh
    checkout, a page test) is still brought up to date."""
    if schema_revision(engine) != SCHEMA_REVISION:
        upgrade(url)


@contextmanager
def transaction(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, errors made plain."""
    bind = engine.execution_options(readonly=True) if readonly else engine
    with translate_errors(), Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver errors into the package's own, with a message a person can act on."""
    try:
        yield
    except StorageError:
        raise
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseBusyError(
                "The database is busy with another save. Nothing was lost; try again."
            ) from exc
        if "full" in text or "no space" in text:
            raise StorageFullError(
                "The database is full, so this was not saved. Free space, then save again."
            ) from exc
        if exc.connection_invalidated or "closed" in text or "terminat" in text or (
            "connection" in text
        ):
            raise ConnectionLostError(
                "The connection to the database dropped. Nothing half-saved; try again."
            ) from exc
        raise StorageError(f"The database reported a problem: {exc.orig}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ConnectionLostError(
                "The connection to the database dropped. Nothing half-saved; try again."
            ) from exc
        raise StorageError(f"The database refused the change: {exc.orig}") from exc
