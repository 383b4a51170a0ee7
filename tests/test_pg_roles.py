"""On PostgreSQL the app runs as a role that can read and add audit records but not alter,
disable the triggers of, delete from or truncate the trail (the owner runs migrations)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from careplan import storage
from careplan.errors import StorageError

REWRITES = (
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "DELETE FROM audit_log",
    "UPDATE audit_log SET detail = 'nothing happened'",
    "TRUNCATE audit_log",
)


def test_the_app_role_uses_the_tables_but_cannot_rewrite_the_audit_trail() -> None:
    import pg

    admin = pg.require_server()
    url = pg.create_database(admin)
    role = f"careplan_app_{uuid.uuid4().hex[:8]}"
    owner = storage.make_engine(url)
    try:
        storage.upgrade(url)  # the owner migrates
        with owner.begin() as connection:
            connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        statements = storage.grant_app_role(owner, role)
        assert f"GRANT SELECT, INSERT ON audit_log TO {role}" in statements
        app_url = make_url(url).set(username=role, password=None)
        app = storage.make_engine(app_url.render_as_string(hide_password=False))
        try:
            storage.upgrade_if_behind(app)  # the app's first page: a read, no migration
            now = datetime.now(UTC)
            with storage.transaction(app) as session:
                patient = storage.create_patient(session=session, name="Role Test",
                                                 date_of_birth=date(1970, 1, 1), by="app")
                storage.append_audit(session=session, user="app", action="create_patient",
                                     outcome="success", now=now, patient_id=patient)
            for statement in REWRITES:
                with pytest.raises((DBAPIError, StorageError),
                                   match=r"permission denied|must be owner"), app.begin() as c:
                    c.execute(text(statement))
            with storage.transaction(app, readonly=True) as session:
                assert len(storage.audit_records(session=session)) == 1
        finally:
            app.dispose()
    finally:
        owner.dispose()
        pg.drop_database(url)
        engine = storage.make_engine(admin)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        engine.dispose()


def test_roles_are_refused_on_sqlite(tmp_path: object) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path}/roles.db")
    with pytest.raises(StorageError, match="PostgreSQL feature"):
        storage.grant_app_role(engine, "anyone")
    engine.dispose()
