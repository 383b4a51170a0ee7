"""Every mapped table, and the rules the database itself keeps about them.

One module so the relationships resolve and ``Base.metadata`` is whole for Alembic. Why here:
- Signed plans are immutable: an ORM event refuses any change to a signed version.
- The audit trail is append-only: triggers refuse UPDATE and DELETE, installed by the
  migration and, for schemas made with ``create_all`` (tests), by ``APPEND_ONLY_SQL`` here.
- Timestamps are timezone-aware UTC on both backends (``UtcDateTime``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from careplan.errors import SignedPlanError

# The visit columns that keep an intake's scores beside its draft, for the trends.
SCORE_COLUMNS: Final = ("pain_now", "peg", "wpi", "sss", "phq4")


def utcnow() -> datetime:
    """Now, timezone-aware: the only kind of timestamp ``UtcDateTime`` accepts."""
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
    """A patient. ``search_key`` (the name folded for search) is indexed for any part of the
    name by ``SEARCH_INDEX_SQL``; the date of birth and ``mrn_key`` (the MRN in upper case)
    by B-trees."""

    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_name_key", "name_key"),
        Index("ix_patients_date_of_birth", "date_of_birth"),
        Index("ix_patients_mrn_key", "mrn_key"),
        CheckConstraint("length(name) > 0", name="ck_patients_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The MRN in upper case, to find one typed in any case through an index (SQLite cannot
    # describe an index on upper(mrn) to Alembic).
    mrn_key: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(256), default="", server_default="")
    date_of_birth: Mapped[date] = mapped_column(Date)
    # The handout's language (BCP 47, as the intake model allows): kept with the patient, so
    # a returning patient's new visit starts with it.
    preferred_language: Mapped[str] = mapped_column(String(35), default="en",
                                                    server_default="en")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    visits: Mapped[list[Visit]] = relationship(
        back_populates="patient", order_by="Visit.visit_date, Visit.id"
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's protocol


# Any part of a name, indexed: FTS5 with the trigram tokenizer over ``search_key`` on SQLite
# (an external-content table the triggers keep in step with ``patients``), a pg_trgm GIN
# index on PostgreSQL. Both serve ``search_key LIKE '% word%'`` for a word start anywhere in
# the name; neither is a table SQLAlchemy can describe, so both are made here (``create_all``,
# the tests) and by migration 0008, and left out of the schema comparison
# (``SEARCH_INDEX_NAMES``).
SEARCH_INDEX_SQL: Final[dict[str, tuple[str, ...]]] = {
    "sqlite": (
        "CREATE VIRTUAL TABLE patients_search USING fts5(search_key, content='patients', "
        "content_rowid='id', tokenize='trigram')",
        "CREATE TRIGGER patients_search_insert AFTER INSERT ON patients BEGIN "
        "INSERT INTO patients_search(rowid, search_key) VALUES (new.id, new.search_key); END",
        "CREATE TRIGGER patients_search_delete AFTER DELETE ON patients BEGIN "
        "INSERT INTO patients_search(patients_search, rowid, search_key) "
        "VALUES ('delete', old.id, old.search_key); END",
        "CREATE TRIGGER patients_search_update AFTER UPDATE OF search_key ON patients BEGIN "
        "INSERT INTO patients_search(patients_search, rowid, search_key) "
        "VALUES ('delete', old.id, old.search_key); "
        "INSERT INTO patients_search(rowid, search_key) VALUES (new.id, new.search_key); END",
    ),
    "postgresql": (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX ix_patients_search_trgm ON patients USING gin (search_key gin_trgm_ops)",
        # A clinician's own matches of a wide search are read from their panel by id: this
        # index answers those lookups without the table (index-only), 2x faster at 1M.
        "CREATE INDEX ix_patients_search_covering ON patients (id) INCLUDE (search_key, name_key)",
    ),
}
# The tables (FTS5 and its shadow tables) and index above, by name.
SEARCH_INDEX_NAMES: Final = frozenset({
    "patients_search", "patients_search_data", "patients_search_idx",
    "patients_search_content", "patients_search_docsize", "patients_search_config",
    "ix_patients_search_trgm", "ix_patients_search_covering"})


@event.listens_for(Patient.__table__, "after_create")
def _search_index(table: Any, connection: Any, **_: Any) -> None:
    """The search index the migration makes, for schemas made with create_all."""
    for statement in SEARCH_INDEX_SQL.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


def in_schema_comparison(name: str | None, type_: str, _parent: Any) -> bool:
    """Whether Alembic's schema comparison looks at an object (``include_name``): not at the
    search index, which SQLAlchemy cannot describe (``SEARCH_INDEX_SQL``)."""
    return name not in SEARCH_INDEX_NAMES


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


class UnfinishedReview(Base):
    """What one clinician has typed on one item of an unsigned plan version and not saved as a
    decision yet (the chosen Reject or Edit, the reason, the new text), or in the form that
    adds an item of their own (``item_id`` ``+new``): a scratch pad, kept as typed so a page
    switch or a refresh loses nothing. Never part of the review (``PlanVersion.review``)."""

    __tablename__ = "unfinished_reviews"
    __table_args__ = (
        UniqueConstraint("plan_id", "username", "item_id", name="uq_unfinished_reviews"),
        CheckConstraint("action in ('reject', 'edit')", name="ck_unfinished_reviews_action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # CASCADE: a scratch pad never holds up a plan version (none is deleted today)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str | None] = mapped_column(String(10))  # None in the add-item form
    domain: Mapped[str | None] = mapped_column(String(40))  # the add-item form only
    title: Mapped[str | None] = mapped_column(String(200))  # the add-item form only
    reason: Mapped[str] = mapped_column(Text, default="")
    patient_text: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


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
    team: Mapped[str | None] = mapped_column(String(64))  # members share patient access


class UserSession(Base):
    """A signed-in browser session; only a hash of its token is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignInFailure(Base):
    """One failed sign-in to an account from one client (its address as the server saw it),
    kept while it counts (``careplan.accounts``: the lockout is per account and client)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class KnownClient(Base):
    """A client an account last signed in from, and when: while an account is under a
    guessing attack from many clients, only the clients it knows may still try."""

    __tablename__ = "known_clients"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success: Mapped[datetime] = mapped_column(UtcDateTime)


class PatientAccess(Base):
    """Who has seen a patient, and how: created the record, worked on a visit, or opened it
    with a reason (break the glass). One row per way; the first time is kept."""

    __tablename__ = "patient_access"
    __table_args__ = (
        UniqueConstraint("patient_id", "username", "how", name="uq_patient_access"),
        CheckConstraint("how in ('created', 'visit', 'break_the_glass')",
                        name="ck_patient_access_how"),
        # A clinician's patients, from the index alone (searches, Home): ``access.opens``.
        Index("ix_patient_access_username", "username", "how", "patient_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    username: Mapped[str] = mapped_column(String(64))
    how: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")
    since: Mapped[datetime] = mapped_column(UtcDateTime)


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
    key_id: Mapped[str] = mapped_column(String(16), default="", server_default="")


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
