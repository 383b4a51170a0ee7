"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import pg
from careplan import storage as db
from careplan.intake.validation import validate_intake
from factories import example_data


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
            context = MigrationContext.configure(
                conn, opts={"include_name": db.in_schema_comparison})
            diff = compare_metadata(context, db.Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def _alembic(url: str, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    getattr(command, action)(config, revision)


def _old_draft(**red_flags: object) -> str:
    data = example_data()
    data["red_flags"] = {"dark_urine": False, **red_flags}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def test_0003_rewrites_the_old_numbness_red_flag_in_stored_drafts(empty_url: str) -> None:
    _alembic(empty_url, "upgrade", "0002")
    old_yes = _old_draft(numbness_or_bladder_bowel_change=True)
    old_no = _old_draft(numbness_or_bladder_bowel_change=False)
    both = _old_draft(numbness_or_bladder_bowel_change=True,
                      saddle_numbness_or_bladder_bowel_change=False)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    stamp = {"created_at": now, "updated_at": now, "updated_by": "setup", "version": 1}
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO patients (id, name, name_key, date_of_birth, created_at, "
                "updated_at, updated_by, version) VALUES (1, 'Zoë', 'zoë', :born, :created_at, "
                ":updated_at, :updated_by, :version)"), {"born": date(1968, 3, 14), **stamp})
            for visit_id, draft in ((1, old_yes), (2, old_no), (3, both), (4, "{not json")):
                conn.execute(sa.text(
                    "INSERT INTO visits (id, patient_id, visit_date, draft, carried_over, "
                    "created_at, updated_at, updated_by, version) VALUES (:id, 1, :seen, "
                    ":draft, '{}', :created_at, :updated_at, :updated_by, :version)"),
                    {"id": visit_id, "seen": date(2026, 11, 20), "draft": draft, **stamp})
            for plan_id, status in ((1, "draft"), (2, "signed")):
                conn.execute(sa.text(
                    "INSERT INTO plan_versions (id, visit_id, number, intake, proposed, review, "
                    "status, rule_base, created_at, updated_at, updated_by, version) VALUES "
                    "(:id, 1, :id, :intake, '{}', '{}', :status, 'x', :created_at, :updated_at, "
                    ":updated_by, :version)"),
                    {"id": plan_id, "intake": old_yes, "status": status, **stamp})
    finally:
        engine.dispose()

    db.upgrade(empty_url)

    engine = db.make_engine(empty_url)
    try:
        with engine.connect() as conn:
            drafts: dict[int, str] = dict(
                conn.execute(sa.text("SELECT id, draft FROM visits")).all())
            intakes: dict[int, str] = dict(
                conn.execute(sa.text("SELECT id, intake FROM plan_versions")).all())
        flags = {i: json.loads(drafts[i])["red_flags"] for i in (1, 2, 3)}
        assert flags[1]["saddle_numbness_or_bladder_bowel_change"] is True
        assert "limb_numbness_or_tingling" not in flags[1]  # a yes does not say which numbness
        assert flags[2]["saddle_numbness_or_bladder_bowel_change"] is False
        assert flags[2]["limb_numbness_or_tingling"] is False  # the old 'no' covered any numbness
        assert flags[3]["saddle_numbness_or_bladder_bowel_change"] is True  # a yes is never cleared
        assert all("numbness_or_bladder_bowel_change" not in f for f in flags.values())
        assert drafts[4] == "{not json"  # what was typed is never lost
        assert json.loads(intakes[1])["red_flags"]["saddle_numbness_or_bladder_bowel_change"]
        assert intakes[2] == old_yes  # a signed record stays as signed

        with db.transaction(engine, readonly=True) as session:
            saved = db.get_draft(session=session, visit_id=1)
        intake = validate_intake(saved.data, today=date(2026, 11, 25))
        assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is True
        assert intake.legacy_notes == ()  # the migration did the reading
    finally:
        engine.dispose()

    _alembic(empty_url, "downgrade", "0002")
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            back: dict[int, str] = dict(
                conn.execute(sa.text("SELECT id, draft FROM visits")).all())
    finally:
        engine.dispose()
    assert json.loads(back[1])["red_flags"]["numbness_or_bladder_bowel_change"] is True
    assert json.loads(back[2])["red_flags"]["numbness_or_bladder_bowel_change"] is False
    assert "saddle_numbness_or_bladder_bowel_change" not in json.loads(back[1])["red_flags"]


def test_a_draft_saved_in_the_old_form_loads_in_the_new_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with db.transaction(engine) as session:
            patient = db.create_patient(session=session, name="Zoë", date_of_birth=date(
                1968, 3, 14), mrn=None, by="setup")
            visit = db.start_visit(session=session, patient_id=patient, clinician=None,
                                   visit_date=date(2026, 11, 20), by="setup")
        with engine.begin() as conn:  # as an unmigrated server would have left it
            conn.execute(sa.text("UPDATE visits SET draft = :draft WHERE id = :id"),
                         {"draft": _old_draft(numbness_or_bladder_bowel_change=True), "id": visit})
        with db.transaction(engine, readonly=True) as session:
            draft = db.get_draft(session=session, visit_id=visit)
        assert draft.data["red_flags"]["saddle_numbness_or_bladder_bowel_change"] is True
        assert "numbness_or_bladder_bowel_change" not in draft.data["red_flags"]
        with db.transaction(engine) as session:  # the clinician corrects the answer: it sticks
            db.save_draft_field(session=session, visit_id=visit, path=(
                "red_flags.saddle_numbness_or_bladder_bowel_change"), value=False,
                expected_version=draft.version, by="rivera")
        with db.transaction(engine, readonly=True) as session:
            data = db.get_draft(session=session, visit_id=visit).data
        intake = validate_intake(data, today=date(2026, 11, 25))
        assert intake.red_flags.saddle_numbness_or_bladder_bowel_change is False
    finally:
        engine.dispose()


def test_schema_revision_is_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    assert ScriptDirectory.from_config(config).get_heads() == [db.SCHEMA_REVISION]


def test_upgrade_if_behind_migrates_only_when_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = db.make_engine(url)
    try:
        assert db.schema_revision(engine) is None
        _alembic(url, "upgrade", "0002")
        assert db.schema_revision(engine) == "0002"
        db.upgrade_if_behind(engine, url)  # behind: migrated
        assert db.schema_revision(engine) == db.SCHEMA_REVISION
        calls: list[str | None] = []
        # patched where upgrade_if_behind looks it up (the package re-exports it)
        monkeypatch.setattr("careplan.storage.db.upgrade", calls.append)
        db.upgrade_if_behind(engine, url)  # current: one query, no Alembic
        assert calls == []
    finally:
        engine.dispose()
    monkeypatch.undo()
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = db.make_engine(fresh)
    try:
        db.upgrade_if_behind(engine, fresh)  # never migrated: an empty database still works
        assert db.schema_revision(engine) == db.SCHEMA_REVISION
    finally:
        engine.dispose()


def test_0005_gives_each_user_the_patients_the_audit_trail_shows_they_worked_on(
    empty_url: str,
) -> None:
    _alembic(empty_url, "upgrade", "0004")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as conn:
            for patient in (1, 2):
                conn.execute(sa.text(
                    "INSERT INTO patients (id, name, name_key, date_of_birth, created_at, "
                    "updated_at, updated_by, version) VALUES (:id, 'Zoë', 'zoë', :born, :at, "
                    ":at, 'setup', 1)"), {"id": patient, "born": date(1968, 3, 14), "at": now})
            records = [("rivera", "create_patient", 1, "success"),
                       ("rivera", "change_intake", 1, "success"),
                       ("okafor", "sign_plan", 1, "success"),
                       ("okafor", "change_intake", 2, "denied"),  # refused: no access
                       ("admin", "view_patient", 2, "success")]  # a view is not work
            for seq, (user, action, patient, outcome) in enumerate(records, start=1):
                conn.execute(sa.text(
                    "INSERT INTO audit_log (seq, at, username, action, patient_id, outcome, "
                    "detail, prev_hash, hash, key_id) VALUES (:seq, :at, :user, :action, "
                    ":patient, :outcome, '', '', '', '')"),
                    {"seq": seq, "at": now, "user": user, "action": action, "patient": patient,
                     "outcome": outcome})
        _alembic(empty_url, "upgrade", "head")
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT patient_id, username, how FROM patient_access ORDER BY id")).all()
    finally:
        engine.dispose()
    assert sorted(map(tuple, rows)) == [(1, "okafor", "visit"), (1, "rivera", "created"),
                                        (1, "rivera", "visit")]


def test_0006_fills_the_search_key_of_existing_patients(empty_url: str) -> None:
    _alembic(empty_url, "upgrade", "0005")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO patients (id, name, name_key, date_of_birth, created_at, "
                "updated_at, updated_by, version) VALUES (1, 'Zoë Nguyễn', 'zoë nguyễn', :born, "
                ":now, :now, 'setup', 1)"), {"born": date(1968, 3, 14), "now": now})
    finally:
        engine.dispose()
    db.upgrade(empty_url)
    engine = db.make_engine(empty_url)
    try:
        with db.transaction(engine, readonly=True) as session:
            assert [p.id for p in db.find_patients(session=session, query="nguyen")] == [1]
    finally:
        engine.dispose()


def test_0008_indexes_existing_patients_and_keeps_their_language(empty_url: str) -> None:
    """The search index is filled for the patients already there (SQLite's FTS5 table is
    rebuilt; PostgreSQL builds the GIN index over them), their MRNs are found in any case,
    and each takes the language of its latest visit's draft (a broken draft: English)."""
    _alembic(empty_url, "upgrade", "0007")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    stamp = {"now": now, "born": date(1968, 3, 14)}
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as conn:
            for patient, name, key, mrn in ((1, "Zoë Nguyễn", " zoe nguyen", "a-1"),
                                            (2, "María García López", " maria garcia lopez",
                                             None)):
                conn.execute(sa.text(
                    "INSERT INTO patients (id, name, name_key, search_key, mrn, date_of_birth, "
                    "created_at, updated_at, updated_by, version) VALUES (:id, :name, :name, "
                    ":key, :mrn, :born, :now, :now, 'setup', 1)"),
                    {"id": patient, "name": name, "key": key, "mrn": mrn, **stamp})
            drafts = ((1, 1, date(2026, 1, 5), {"patient": {"preferred_language": "en"}}),
                      (2, 1, date(2026, 6, 5), {"patient": {"preferred_language": "es"}}),
                      (3, 2, date(2026, 6, 5), "{broken"))
            for visit, patient, seen, draft in drafts:
                conn.execute(sa.text(
                    "INSERT INTO visits (id, patient_id, visit_date, draft, carried_over, "
                    "created_at, updated_at, updated_by, version) VALUES (:id, :patient, :seen, "
                    ":draft, '{}', :now, :now, 'setup', 1)"),
                    {"id": visit, "patient": patient, "seen": seen, "now": now,
                     "draft": draft if isinstance(draft, str) else json.dumps(draft)})
    finally:
        engine.dispose()
    db.upgrade(empty_url)
    engine = db.make_engine(empty_url)
    try:
        with db.transaction(engine, readonly=True) as session:
            assert [p.id for p in db.find_patients(session=session, query="garcia")] == [2]
            assert [p.id for p in db.find_patients(session=session, query="A-1")] == [1]
            assert [db.get_patient(session=session, patient_id=i).preferred_language
                    for i in (1, 2)] == ["es", "en"]
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":  # the index itself, not a scan, finds them
                assert conn.exec_driver_sql(
                    "SELECT rowid FROM patients_search WHERE patients_search MATCH "
                    "'\" nguyen\"'").all() == [(1,)]
            else:
                assert conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_indexes WHERE indexname = "
                    "'ix_patients_search_trgm'").scalar() == 1
    finally:
        engine.dispose()
    _alembic(empty_url, "downgrade", "0007")  # and back: the index and columns go
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("patients")}
            assert not {"preferred_language", "mrn_key"} & columns
            assert "patients_search" not in sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
    db.upgrade(empty_url)


def test_0009_adds_the_unfinished_review_table_and_takes_it_away_again(empty_url: str) -> None:
    """The table comes with 0009, one row per plan, user and item; a downgrade drops it and
    only it."""
    _alembic(empty_url, "upgrade", "0008")
    _alembic(empty_url, "upgrade", "0009")
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            assert "unfinished_reviews" in inspector.get_table_names()
            assert [c["column_names"] for c in inspector.get_unique_constraints(
                "unfinished_reviews")] == [["plan_id", "username", "item_id"]]
    finally:
        engine.dispose()
    _alembic(empty_url, "downgrade", "0008")
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert "unfinished_reviews" not in tables
            assert {"plan_versions", "audit_log", "patients"} <= tables
    finally:
        engine.dispose()
    db.upgrade(empty_url)
