"""Patients, visits, intake drafts and care-plan versions in SQLite or PostgreSQL.

The storage layer: the only package that maps tables (``careplan.database`` opens it for
the use cases). It stores what it is given and derives nothing clinical. Why:
- Nothing typed may be lost: a draft is stored whole as JSON, valid or not, and
  can be saved field by field on every change (``visits``).
- Two clinicians may edit one record: each has a ``version``; a save that names
  an old version raises ``ConflictError`` (who, when, their data) and writes nothing
  (``records``).
- Retries must not duplicate: creating, saving a plan and signing take a
  ``request_id``; the same id twice returns the first result (``records``).
- Signed plans are immutable; a change makes a new version (``models``, ``plans``).
- SQLite is the embedded default (WAL, synchronous=FULL, foreign keys, busy
  timeout, writes begin IMMEDIATE); PostgreSQL (psycopg 3) serves several app
  servers. ``DATABASE_URL`` chooses (``db``).
Repository functions take the session as the keyword argument ``session``.

One module a concept: ``db`` (engines, transactions, schema, errors), ``models`` (the
tables), ``records`` (what every record shares), ``patients``, ``visits`` (drafts),
``plans``, ``history`` (the only pandas use, loaded on call), ``users`` (accounts and
sessions), ``access`` (who may open which patient), ``audit`` (the trail). Callers import
the package: ``storage.get_draft(...)``.
"""

from __future__ import annotations

from careplan.storage.access import How, accessible, grant_access, has_access, opened_by
from careplan.storage.audit import append_audit, audit_records
from careplan.storage.db import (
    APPEND_ONLY_TABLES,
    BUSY_TIMEOUT_MS,
    DEFAULT_URL,
    SCHEMA_REVISION,
    create_schema,
    database_url,
    grant_app_role,
    make_engine,
    schema_revision,
    transaction,
    translate_errors,
    upgrade,
    upgrade_if_behind,
)
from careplan.storage.history import HISTORY_COLUMNS, patient_history
from careplan.storage.models import (
    APPEND_ONLY_SQL,
    SCORE_COLUMNS,
    SEARCH_INDEX_NAMES,
    SEARCH_INDEX_SQL,
    AuditRow,
    Base,
    KnownClient,
    Patient,
    PatientAccess,
    PlanVersion,
    RequestKey,
    SignInFailure,
    User,
    UserSession,
    UtcDateTime,
    Visit,
    in_schema_comparison,
    utcnow,
)
from careplan.storage.patients import (
    Matches,
    PatientRow,
    Search,
    count_patients,
    create_patient,
    find_patients,
    get_patient,
    mrn_key,
    name_key,
    patient_with_mrn,
    read_search,
    same_person,
    search_key,
    search_patients,
    update_patient,
)
from careplan.storage.plans import (
    PlanStatus,
    StoredPlan,
    get_plan,
    patient_of_plan,
    plans_of_visit,
    revise_plan,
    save_plan,
    save_review,
    sign_plan,
)
from careplan.storage.records import claimed
from careplan.storage.users import (
    Account,
    AccountView,
    add_user,
    clear_failures,
    count_users,
    end_sessions,
    failures_since,
    find_user,
    get_session,
    knows_client,
    list_users,
    record_failure,
    remember_client,
    start_session,
    touch_session,
    update_user,
)
from careplan.storage.visits import (
    CARRIED_FIELDS,
    NOT_SEEN,
    Draft,
    Scores,
    ScoresOf,
    get_draft,
    patient_of_visit,
    save_draft,
    save_draft_field,
    start_visit,
)

__all__ = [
    "APPEND_ONLY_SQL",
    "APPEND_ONLY_TABLES",
    "BUSY_TIMEOUT_MS",
    "CARRIED_FIELDS",
    "DEFAULT_URL",
    "HISTORY_COLUMNS",
    "NOT_SEEN",
    "SCHEMA_REVISION",
    "SCORE_COLUMNS",
    "SEARCH_INDEX_NAMES",
    "SEARCH_INDEX_SQL",
    "Account",
    "AccountView",
    "AuditRow",
    "Base",
    "Draft",
    "How",
    "KnownClient",
    "Matches",
    "Patient",
    "PatientAccess",
    "PatientRow",
    "PlanStatus",
    "PlanVersion",
    "RequestKey",
    "Scores",
    "ScoresOf",
    "Search",
    "SignInFailure",
    "StoredPlan",
    "User",
    "UserSession",
    "UtcDateTime",
    "Visit",
    "accessible",
    "add_user",
    "append_audit",
    "audit_records",
    "claimed",
    "clear_failures",
    "count_patients",
    "count_users",
    "create_patient",
    "create_schema",
    "database_url",
    "end_sessions",
    "failures_since",
    "find_patients",
    "find_user",
    "get_draft",
    "get_patient",
    "get_plan",
    "get_session",
    "grant_access",
    "grant_app_role",
    "has_access",
    "in_schema_comparison",
    "knows_client",
    "list_users",
    "make_engine",
    "mrn_key",
    "name_key",
    "opened_by",
    "patient_history",
    "patient_of_plan",
    "patient_of_visit",
    "patient_with_mrn",
    "plans_of_visit",
    "read_search",
    "record_failure",
    "remember_client",
    "revise_plan",
    "same_person",
    "save_draft",
    "save_draft_field",
    "save_plan",
    "save_review",
    "schema_revision",
    "search_key",
    "search_patients",
    "sign_plan",
    "start_session",
    "start_visit",
    "touch_session",
    "transaction",
    "translate_errors",
    "update_patient",
    "update_user",
    "upgrade",
    "upgrade_if_behind",
    "utcnow",
]
