"""Patients, visits, intake drafts and care-plan versions in SQLite or PostgreSQL.

The storage layer: the only module that maps tables (``careplan.database`` opens it for
the use cases). It stores what it is given and derives nothing clinical. Why:
- Nothing typed may be lost: a draft is stored whole as JSON, valid or not, and
  can be saved field by field on every change.
- Two clinicians may edit one record: each has a ``version``; a save that names
  an old version raises ``ConflictError`` (who, when, their data) and writes nothing.
- Retries must not duplicate: creating, saving a plan and signing take a
  ``request_id``; the same id twice returns the first result.
- Signed plans are immutable; a change makes a new version.
- SQLite is the embedded default (WAL, synchronous=FULL, foreign keys, busy
  timeout, writes begin IMMEDIATE); PostgreSQL (psycopg 3) serves several app
  servers. ``DATABASE_URL`` chooses.
Repository functions take the session as the keyword argument ``session``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from careplan import settings
from careplan.errors import (
    ConflictError,
    ConnectionLostError,
    DatabaseBusyError,
    NotFoundError,
    SignedPlanError,
    StorageError,
    StorageFullError,
)

if TYPE_CHECKING:  # imported where used: the sign-in form needs none of them (cold start)
    import pandas as pd

    from careplan.intake import Intake
    from careplan.plan import CarePlan
    from careplan.review import Review

DEFAULT_URL: Final = settings.DEFAULT_DATABASE_URL
BUSY_TIMEOUT_MS: Final = 5000
PlanStatus = Literal["draft", "signed"]
CARRIED_FIELDS: Final = (
    "history.conditions",
    "history.medications",
    "history.allergies",
    "history.prior_treatments",
    "patient.sex",
    "patient.preferred_language",
)
SCORE_COLUMNS: Final = ("pain_now", "peg", "wpi", "sss", "phq4")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends (SQLite would hand back naive datetimes)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_name_key", "name_key"),
        CheckConstraint("length(name) > 0", name="ck_patients_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    visits: Mapped[list[Visit]] = relationship(
        back_populates="patient", order_by="Visit.visit_date, Visit.id"
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's protocol


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_patient_date", "patient_id", "visit_date"),
        CheckConstraint("pain_now between 0 and 10", name="ck_visits_pain_now"),
        CheckConstraint("peg between 0 and 10", name="ck_visits_peg"),
        CheckConstraint("wpi between 0 and 19", name="ck_visits_wpi"),
        CheckConstraint("sss between 0 and 12", name="ck_visits_sss"),
        CheckConstraint("phq4 between 0 and 12", name="ck_visits_phq4"),
        CheckConstraint("version > 0", name="ck_visits_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    visit_date: Mapped[date] = mapped_column(Date)
    clinician: Mapped[str | None] = mapped_column(String(200))
    draft: Mapped[str] = mapped_column(Text)  # the intake as typed, JSON, valid or not
    carried_over: Mapped[str] = mapped_column(Text, default="{}")
    pain_now: Mapped[float | None]
    peg: Mapped[float | None]
    wpi: Mapped[float | None]
    sss: Mapped[float | None]
    phq4: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    patient: Mapped[Patient] = relationship(back_populates="visits")
    plans: Mapped[list[PlanVersion]] = relationship(
        back_populates="visit", order_by="PlanVersion.number"
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PlanVersion(Base):
    """One version of a visit's plan: what the rules proposed, the review, the signature."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("visit_id", "number", name="uq_plan_versions_visit_number"),
        CheckConstraint("status in ('draft', 'signed')", name="ck_plan_versions_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    intake: Mapped[str] = mapped_column(Text)  # the validated intake the plan was built from
    proposed: Mapped[str] = mapped_column(Text)  # the engine's plan JSON
    review: Mapped[str] = mapped_column(Text, default="{}")  # decisions and reasons, JSON
    status: Mapped[str] = mapped_column(String(10), default="draft")
    rule_base: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    visit: Mapped[Visit] = relationship(back_populates="plans")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RequestKey(Base):
    """Idempotency keys: a retried request finds its first result here."""

    __tablename__ = "request_keys"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    result_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


@event.listens_for(PlanVersion, "before_update")
def _signed_plans_are_immutable(mapper: Any, connection: Any, target: PlanVersion) -> None:
    status = inspect(target).attrs.status.history
    before = (status.deleted or status.unchanged or [target.status])[0]
    if before == "signed":
        raise SignedPlanError(
            f"plan version {target.number} of visit {target.visit_id} is signed and cannot "
            "change; start a new version"
        )


# ---------------------------------------------------------------- engine and sessions


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
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000},
                               hide_parameters=True)
        _sqlite_pragmas(engine, busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


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


def create_schema(engine: Engine) -> None:
    """Create every table directly (tests); deployments run the Alembic migrations."""
    Base.metadata.create_all(engine)


def upgrade(url: str | None = None) -> None:
    """Bring the database to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    command.upgrade(config, "head")


# The newest Alembic revision in migrations/versions (tests/test_migrations.py checks it), so
# the app can tell an up-to-date database without loading Alembic and every migration.
SCHEMA_REVISION: Final = "0003"


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


# ---------------------------------------------------------------- helpers


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def name_key(name: str) -> str:
    """Search key: NFC, case-folded, single spaces ('Zoe\u0301' and 'ZOË' match)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _text(value: str, *, field: str) -> str:
    """Refuse NUL on both backends alike (PostgreSQL would raise, SQLite would store it)."""
    if "\x00" in value:
        raise StorageError(f"{field} contains a NUL character, which cannot be stored")
    return value


def _claim(session: Session, *, request_id: str | None, kind: str) -> int | None:
    """The earlier result of this request, if it was already done."""
    if request_id is None:
        return None
    found = session.get(RequestKey, request_id)
    if found is None:
        return None
    if found.kind != kind:
        raise StorageError(f"request id {request_id} was already used for {found.kind}")
    return found.result_id


def _remember(session: Session, *, request_id: str | None, kind: str, result_id: int) -> None:
    if request_id is not None:
        session.add(RequestKey(key=request_id, kind=kind, result_id=result_id, created_at=utcnow()))


def _check_version(record: Patient | Visit | PlanVersion, expected: int, what: str,
                   current: object) -> None:
    if record.version != expected:
        raise ConflictError(what=what, changed_by=record.updated_by,
                            changed_at=record.updated_at, version=record.version, current=current)


def _fetch(session: Session, model: type[Any], key: int) -> Any:
    """A row by id, or NotFoundError naming what is missing."""
    row = session.get(model, key)
    if row is None:
        raise NotFoundError(f"{model.__tablename__[:-1].replace('_', ' ')} {key} does not exist")
    return row


def _lock(session: Session, model: type[Any], key: int) -> Any:
    """Load a row for update (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE already locks)."""
    statement = select(model).where(model.id == key).with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"{model.__tablename__[:-1].replace('_', ' ')} {key} does not exist")
    return row


# ---------------------------------------------------------------- patients


@dataclass(frozen=True, slots=True)
class PatientRow:
    id: int
    name: str
    date_of_birth: date
    mrn: str | None
    version: int
    last_visit: date | None


def create_patient(
    *, session: Session, name: str, date_of_birth: date, mrn: str | None = None, by: str,
    request_id: str | None = None,
) -> int:
    """A new patient; the same ``request_id`` twice creates one patient."""
    earlier = _claim(session, request_id=request_id, kind="create_patient")
    if earlier is not None:
        return earlier
    clean = unicodedata.normalize("NFC", _text(name, field="name")).strip()
    if not clean:
        raise StorageError("name is required")
    now = utcnow()
    patient = Patient(name=clean, name_key=name_key(clean), date_of_birth=date_of_birth,
                      mrn=mrn or None, created_at=now, updated_at=now, updated_by=by)
    session.add(patient)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise StorageError(f"a patient with MRN {mrn} already exists") from None
    _remember(session, request_id=request_id, kind="create_patient", result_id=patient.id)
    return patient.id


def find_patients(*, session: Session, query: str, limit: int = 20) -> list[PatientRow]:
    """Patients whose name starts with ``query`` (any case, NFC) or whose MRN equals it.

    A range on the indexed key, not LIKE, so '%', '_' and '\\' are ordinary characters.
    """
    key = name_key(query)
    if not key:
        return []
    last = select(func.max(Visit.visit_date)).where(Visit.patient_id == Patient.id)
    statement = (
        select(Patient, last.scalar_subquery())
        .where((Patient.name_key >= key) & (Patient.name_key < key + "\U0010ffff"))
        .order_by(Patient.name_key, Patient.id)
        .limit(limit)
    )
    rows = [_patient_row(p, v) for p, v in session.execute(statement)]
    if len(rows) < limit and query.strip():
        by_mrn = session.execute(
            select(Patient, last.scalar_subquery()).where(Patient.mrn == query.strip())
        ).first()
        if by_mrn and all(r.id != by_mrn[0].id for r in rows):
            rows.insert(0, _patient_row(by_mrn[0], by_mrn[1]))
    return rows


def _patient_row(patient: Patient, last: date | None) -> PatientRow:
    return PatientRow(patient.id, patient.name, patient.date_of_birth, patient.mrn,
                      patient.version, last)


def get_patient(*, session: Session, patient_id: int) -> PatientRow:
    patient: Patient = _fetch(session, Patient, patient_id)
    last = max((v.visit_date for v in patient.visits), default=None)
    return _patient_row(patient, last)


def update_patient(
    *, session: Session, patient_id: int, expected_version: int, by: str,
    name: str | None = None, date_of_birth: date | None = None, mrn: str | None = None,
) -> int:
    """Change demographics; a stale ``expected_version`` raises ConflictError."""
    patient: Patient = _lock(session, Patient, patient_id)
    current = {"name": patient.name, "date_of_birth": patient.date_of_birth.isoformat(),
               "mrn": patient.mrn}
    _check_version(patient, expected_version, f"Patient {patient.name}", current)
    if name is not None:
        patient.name = unicodedata.normalize("NFC", _text(name, field="name")).strip()
        patient.name_key = name_key(patient.name)
    if date_of_birth is not None:
        patient.date_of_birth = date_of_birth
    if mrn is not None:
        patient.mrn = mrn or None
    patient.updated_at, patient.updated_by = utcnow(), by
    session.flush()
    return patient.version


# ---------------------------------------------------------------- visits and drafts


@dataclass(frozen=True, slots=True)
class Draft:
    """The intake as typed, with where carried-over answers came from."""

    visit_id: int
    patient_id: int
    data: dict[str, Any]
    version: int
    updated_by: str
    updated_at: datetime
    carried_over: dict[str, str]


def start_visit(
    *, session: Session, patient_id: int, visit_date: date, clinician: str | None, by: str,
    request_id: str | None = None,
) -> int:
    """A new visit whose draft is pre-filled from the patient's last visit.

    Carried over: conditions, medications, allergies, prior treatments, sex and
    language; ``carried_over`` records each path and the visit it came from.
    """
    earlier = _claim(session, request_id=request_id, kind="start_visit")
    if earlier is not None:
        return earlier
    patient: Patient = _fetch(session, Patient, patient_id)
    data: dict[str, Any] = {
        "patient": {"name": patient.name, "date_of_birth": patient.date_of_birth.isoformat()},
        "visit": {"date": visit_date.isoformat()},
    }
    if patient.mrn:
        data["patient"]["mrn"] = patient.mrn
    if clinician:
        data["visit"]["clinician"] = clinician
    carried: dict[str, str] = {}
    previous = session.execute(
        select(Visit).where(Visit.patient_id == patient_id)
        .order_by(Visit.visit_date.desc(), Visit.id.desc()).limit(1)
    ).scalar_one_or_none()
    if previous is not None:
        old = json.loads(previous.draft)
        for path in CARRIED_FIELDS:
            value = _get_path(old, path)
            if value is not None:
                _set_path(data, path, value)
                carried[path] = f"visit of {previous.visit_date.isoformat()} (#{previous.id})"
    now = utcnow()
    visit = Visit(patient_id=patient_id, visit_date=visit_date, clinician=clinician,
                  draft=_json(data), carried_over=_json(carried), created_at=now,
                  updated_at=now, updated_by=by)
    session.add(visit)
    session.flush()
    _remember(session, request_id=request_id, kind="start_visit", result_id=visit.id)
    return visit.id


def get_draft(*, session: Session, visit_id: int, lock: bool = False) -> Draft:
    """The visit's draft; ``lock`` holds the row until the transaction ends (to build on it)."""
    return _draft(_lock(session, Visit, visit_id) if lock else _fetch(session, Visit, visit_id))


def _draft(visit: Visit) -> Draft:
    # A draft saved before a field was renamed is shown in the current form (migration 0003
    # rewrites stored drafts; this covers a database not yet migrated).
    data = _upgraded(json.loads(visit.draft))
    return Draft(visit.id, visit.patient_id, data, visit.version,
                 visit.updated_by, visit.updated_at, json.loads(visit.carried_over))


Scores = Mapping[str, float | None]
ScoresOf = Callable[[dict[str, Any]], "Scores | None"]


def save_draft(
    *, session: Session, visit_id: int, data: Mapping[str, Any], expected_version: int, by: str,
    scores: Scores | None = None,
) -> int:
    """Store the whole draft as typed (valid or not); returns the new version.

    ``scores`` (from a valid intake) are stored beside it for the trends; without them
    the visit's stored scores are cleared, so a trend never shows stale figures.
    """
    visit: Visit = _lock(session, Visit, visit_id)
    if _already_saved(visit, _json(dict(data)), by):
        return visit.version  # a repeated request (double click, retry): nothing to do
    _check_version(visit, expected_version, f"The intake of visit {visit_id}",
                   json.loads(visit.draft))
    _apply_draft(visit, dict(data), by, scores)
    session.flush()
    return visit.version


def save_draft_field(
    *, session: Session, visit_id: int, path: str, value: Any, expected_version: int, by: str,
    scores_of: ScoresOf | None = None,
) -> Draft:
    """Store one answer at a dotted ``path`` (``None`` removes it: 'not asked').

    Returns the draft as stored. ``scores_of`` is given the new draft (under the row lock)
    and returns the scores to store beside it, or ``None`` while it is not a valid intake;
    the caller derives them, so storage stays free of the clinical engine.
    """
    visit: Visit = _lock(session, Visit, visit_id)
    # The answer is edited in the current form (as get_draft shows it), so an old-form
    # field cannot outvote the correction.
    current = _upgraded(json.loads(visit.draft))
    if visit.version != expected_version and _get_path(current, path) == value and (
        visit.updated_by == by
    ):
        return _draft(visit)  # the same answer saved twice by the same person
    _check_version(visit, expected_version, f"The intake of visit {visit_id}", current)
    if value is None:
        _del_path(current, path)
    else:
        _set_path(current, path, value)
    if _already_saved(visit, _json(current), by):
        return _draft(visit)
    _apply_draft(visit, current, by, None if scores_of is None else scores_of(current))
    session.flush()
    return _draft(visit)


def _already_saved(visit: Visit, encoded: str, by: str) -> bool:
    """The stored draft is already exactly this, saved by the same person."""
    return visit.draft == encoded and visit.updated_by == by


def _upgraded(data: Any) -> Any:
    from careplan.intake import upgrade_legacy_fields

    return upgrade_legacy_fields(data) if isinstance(data, dict) else data


def _apply_draft(visit: Visit, data: dict[str, Any], by: str, scores: Scores | None) -> None:
    visit.draft = _json(data)
    visit_info = data.get("visit")
    if isinstance(visit_info, dict):
        when = visit_info.get("date")
        if isinstance(when, str):
            with suppress(ValueError):  # a bad date stays in the draft; validation reports it
                visit.visit_date = date.fromisoformat(when)
        clinician = visit_info.get("clinician")
        if isinstance(clinician, str):
            visit.clinician = clinician[:200]
    for name in SCORE_COLUMNS:
        score = None if scores is None else scores.get(name)
        setattr(visit, name, None if score is None else float(score))
    visit.updated_at, visit.updated_by = utcnow(), by


def _get_path(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def _del_path(data: dict[str, Any], path: str) -> None:
    *parents, leaf = path.split(".")
    node: Any = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


# ---------------------------------------------------------------- plans


@dataclass(frozen=True, slots=True)
class StoredPlan:
    id: int
    visit_id: int
    number: int
    plan: CarePlan
    review: Review | None
    status: PlanStatus
    signed_by: str | None
    signed_at: datetime | None
    version: int
    intake: Intake  # the validated intake this version was built from


def save_plan(
    *, session: Session, visit_id: int, intake: Intake, plan: CarePlan, by: str,
    request_id: str | None = None,
) -> int:
    """Store ``plan`` (built from ``intake``, the visit's draft) as the visit's next version."""
    earlier = _claim(session, request_id=request_id, kind="save_plan")
    if earlier is not None:
        return earlier
    visit: Visit = _lock(session, Visit, visit_id)
    number = 1 + max((p.number for p in visit.plans), default=0)
    now = utcnow()
    stored = PlanVersion(
        visit_id=visit_id, number=number, intake=intake.model_dump_json(exclude_none=True),
        proposed=plan.model_dump_json(), review="{}", status="draft",
        rule_base=f"{plan.rule_base.version}+{plan.rule_base.digest}", created_at=now,
        updated_at=now, updated_by=by,
    )
    session.add(stored)
    session.flush()
    _remember(session, request_id=request_id, kind="save_plan", result_id=stored.id)
    return stored.id


def claimed(*, session: Session, request_id: str | None, kind: str) -> int | None:
    """The result of a request already done (a retry or a double click), if any."""
    return _claim(session, request_id=request_id, kind=kind)


def patient_of_visit(*, session: Session, visit_id: int) -> int:
    """The patient a visit belongs to: the visit decides, never the URL."""
    visit: Visit = _fetch(session, Visit, visit_id)
    return visit.patient_id


def patient_of_plan(*, session: Session, plan_id: int) -> int:
    plan: PlanVersion = _fetch(session, PlanVersion, plan_id)
    return patient_of_visit(session=session, visit_id=plan.visit_id)


def save_review(
    *, session: Session, plan_id: int, review: Review, expected_version: int, by: str,
) -> int:
    """Record the clinician's decisions on an unsigned plan version."""
    stored: PlanVersion = _lock(session, PlanVersion, plan_id)
    if stored.status == "signed":
        raise SignedPlanError("this plan is signed; revise it to make a new version")
    _check_version(stored, expected_version, f"The review of plan {stored.number}",
                   json.loads(stored.review))
    stored.review = review.model_dump_json(exclude={"signed_by", "signed_on"})
    stored.updated_at, stored.updated_by = utcnow(), by
    session.flush()
    return stored.version


def sign_plan(
    *, session: Session, plan_id: int, expected_version: int, by: str, request_id: str | None,
) -> int:
    """Sign a plan version; signing twice with the same request id is one signature."""
    earlier = _claim(session, request_id=request_id, kind="sign_plan")
    if earlier is not None:
        return earlier
    stored: PlanVersion = _lock(session, PlanVersion, plan_id)
    if stored.status == "signed":
        raise SignedPlanError(f"plan {stored.number} was already signed by {stored.signed_by}")
    _check_version(stored, expected_version, f"The review of plan {stored.number}",
                   json.loads(stored.review))
    now = utcnow()
    stored.status, stored.signed_by, stored.signed_at = "signed", by, now
    stored.updated_at, stored.updated_by = now, by
    session.flush()
    _remember(session, request_id=request_id, kind="sign_plan", result_id=stored.id)
    return stored.id


def revise_plan(*, session: Session, plan_id: int, by: str, request_id: str | None = None) -> int:
    """A new unsigned version with the same proposal and review, to change a signed plan."""
    earlier = _claim(session, request_id=request_id, kind="revise_plan")
    if earlier is not None:
        return earlier
    source: PlanVersion = _lock(session, PlanVersion, plan_id)
    visit: Visit = _fetch(session, Visit, source.visit_id)
    now = utcnow()
    copy = PlanVersion(
        visit_id=source.visit_id, number=1 + max(p.number for p in visit.plans),
        intake=source.intake, proposed=source.proposed, review=source.review, status="draft",
        rule_base=source.rule_base, created_at=now, updated_at=now, updated_by=by,
    )
    session.add(copy)
    session.flush()
    _remember(session, request_id=request_id, kind="revise_plan", result_id=copy.id)
    return copy.id


def get_plan(*, session: Session, plan_id: int) -> StoredPlan:
    return _stored(_fetch(session, PlanVersion, plan_id))


def plans_of_visit(*, session: Session, visit_id: int) -> list[StoredPlan]:
    rows = session.execute(
        select(PlanVersion).where(PlanVersion.visit_id == visit_id).order_by(PlanVersion.number)
    ).scalars()
    return [_stored(row) for row in rows]


def _stored(row: PlanVersion) -> StoredPlan:
    from careplan.intake import Intake
    from careplan.plan import CarePlan
    from careplan.review import Review

    review_data = json.loads(row.review)
    review = None
    if review_data:
        review = Review.model_validate_json(row.review)
    if row.status == "signed" and row.signed_by and row.signed_at:
        review = (review or Review()).model_copy(
            update={"signed_by": row.signed_by, "signed_on": row.signed_at.date()}
        )
    status: PlanStatus = "signed" if row.status == "signed" else "draft"
    intake = Intake.model_validate_json(row.intake)
    return StoredPlan(row.id, row.visit_id, row.number, CarePlan.model_validate_json(row.proposed),
                      review, status, row.signed_by, row.signed_at, row.version, intake)


# ---------------------------------------------------------------- history


HISTORY_COLUMNS: Final = ("visit_id", "visit_date", "clinician", "pain_now", "peg", "wpi", "sss",
                          "phq4", "plans", "signed")


def patient_history(*, session: Session, patient_id: int) -> pd.DataFrame:
    """One row per visit, oldest first, with the scores to chart and plan status."""
    import pandas as pd  # only History draws a frame: pandas, NumPy and pyarrow cost ~0.3 s

    _fetch(session, Patient, patient_id)
    plans = (
        select(PlanVersion.visit_id, func.count().label("plans"),
               func.max(PlanVersion.signed_at).label("signed_at"))
        .group_by(PlanVersion.visit_id).subquery()
    )
    rows = session.execute(
        select(Visit.id, Visit.visit_date, Visit.clinician, Visit.pain_now, Visit.peg, Visit.wpi,
               Visit.sss, Visit.phq4, plans.c.plans, plans.c.signed_at)
        .outerjoin(plans, plans.c.visit_id == Visit.id)
        .where(Visit.patient_id == patient_id)
        .order_by(Visit.visit_date, Visit.id)
    ).all()
    frame = pd.DataFrame(
        [(r[0], pd.Timestamp(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], int(r[8] or 0),
          r[9] is not None) for r in rows],
        columns=list(HISTORY_COLUMNS),
    )
    for name in SCORE_COLUMNS:
        frame[name] = frame[name].astype("Float64")
    return frame


def count_patients(*, session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Patient)).scalar_one())


# ---------------------------------------------------------------- accounts and sign-in


class User(Base):
    """A clinician's account: one per person; the password is stored only as argon2id."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role in ('clinician', 'admin')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserSession(Base):
    """A signed-in browser session; only a hash of its token is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """Append-only audit trail; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_patient", "patient_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class Account:
    """The stored account, for signing in only: it carries the password hash.

    Never shown: pages and commands that list accounts get an :class:`AccountView`.
    """

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: datetime | None
    password_hash: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """The shown account (Admin page, ``careplan users list``): no password hash, no secrets."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: datetime | None


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name, user.role, user.active,
                   user.failed_attempts, user.locked_until, user.password_hash)


def _account_view(user: User) -> AccountView:
    return AccountView(user.id, user.username, user.display_name, user.role, user.active,
                       user.failed_attempts, user.locked_until)


def count_users(*, session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(User)).scalar_one())


def add_user(
    *, session: Session, username: str, display_name: str, role: str, password_hash: str,
    now: datetime,
) -> int:
    user = User(username=username, display_name=display_name, role=role,
                password_hash=password_hash, active=True, failed_attempts=0, created_at=now,
                updated_at=now)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise StorageError(f"the user name {username} is taken") from None
    return user.id


def find_user(*, session: Session, username: str, lock: bool = False) -> Account | None:
    statement = select(User).where(User.username == username)
    if lock:
        statement = statement.with_for_update()
    user = session.execute(statement).scalar_one_or_none()
    return None if user is None else _account(user)


def list_users(*, session: Session) -> list[AccountView]:
    """Every account as shown to an administrator, by user name; no password hashes."""
    return [_account_view(u)
            for u in session.execute(select(User).order_by(User.username)).scalars()]


def update_user(*, session: Session, user_id: int, now: datetime, **changes: Any) -> None:
    """Set account fields (active, password_hash, failed_attempts, locked_until, role)."""
    user: User = _lock(session, User, user_id)
    allowed = {"active", "password_hash", "failed_attempts", "locked_until", "role",
               "display_name"}
    for name, value in changes.items():
        if name not in allowed:
            raise StorageError(f"{name} cannot be changed here")
        setattr(user, name, value)
    user.updated_at = now
    session.flush()


def start_session(*, session: Session, user_id: int, token_hash: str, now: datetime) -> None:
    session.add(UserSession(token_hash=token_hash, user_id=user_id, created_at=now,
                            last_seen=now))
    session.flush()


def get_session(*, session: Session, token_hash: str) -> tuple[UserSession, Account] | None:
    found = session.get(UserSession, token_hash)
    if found is None:
        return None
    return found, _account(_fetch(session, User, found.user_id))


def touch_session(*, session: Session, token_hash: str, now: datetime) -> None:
    found: UserSession | None = session.get(UserSession, token_hash)
    if found is not None:
        found.last_seen = now
        session.flush()


def end_sessions(*, session: Session, user_id: int, now: datetime,
                 token_hash: str | None = None) -> None:
    """End one session, or every open session of the user (logout ends them everywhere)."""
    statement = select(UserSession).where(UserSession.user_id == user_id,
                                          UserSession.ended_at.is_(None))
    if token_hash is not None:
        statement = statement.where(UserSession.token_hash == token_hash)
    for row in session.execute(statement).scalars():
        row.ended_at = now
    session.flush()


# ---------------------------------------------------------------- audit trail


def append_audit(
    *, session: Session, user: str, action: str, outcome: str, now: datetime,
    patient_id: int | None = None, detail: str = "",
) -> int:
    """Add one chained record in the caller's transaction (so it commits with the action)."""
    from careplan.audit import GENESIS, record_hash

    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(4242)))  # one writer extends the chain
    last = session.execute(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).scalar()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = now.astimezone(UTC).replace(microsecond=now.microsecond)
    digest = record_hash(seq=seq, at=at, user=user, action=action, patient_id=patient_id,
                         outcome=outcome, detail=detail[:500], prev_hash=prev)
    session.add(AuditRow(seq=seq, at=at, username=user, action=action, patient_id=patient_id,
                         outcome=outcome, detail=detail[:500], prev_hash=prev, hash=digest))
    session.flush()
    return seq


def audit_records(
    *, session: Session, user: str | None = None, action: str | None = None,
    patient_id: int | None = None, limit: int | None = None,
) -> list[Any]:
    """Audit records oldest first, optionally filtered (filters are bound parameters)."""
    from careplan.audit import AuditRecord

    statement = select(AuditRow).order_by(AuditRow.seq)
    if user:
        statement = statement.where(AuditRow.username == user)
    if action:
        statement = statement.where(AuditRow.action == action)
    if patient_id is not None:
        statement = statement.where(AuditRow.patient_id == patient_id)
    if limit is not None:
        statement = statement.order_by(None).order_by(AuditRow.seq.desc()).limit(limit)
    rows = list(session.execute(statement).scalars())
    if limit is not None:
        rows.reverse()
    return [AuditRecord(r.seq, r.at, r.username, r.action, r.patient_id, r.outcome, r.detail,
                        r.prev_hash, r.hash) for r in rows]


APPEND_ONLY_SQL: Final[dict[str, tuple[str, ...]]] = {
    "sqlite": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    ),
}


@event.listens_for(AuditRow.__table__, "after_create")
def _append_only(table: Any, connection: Any, **_: Any) -> None:
    """The same triggers the migration installs, for schemas made with create_all."""
    for statement in APPEND_ONLY_SQL.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)
