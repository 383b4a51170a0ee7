"""patients are found by any part of the name through an index; their preferred language

- Search: ``search_key`` (migration 0006) is indexed for a word start anywhere in the name:
  an FTS5 table with the trigram tokenizer on SQLite (kept in step with ``patients`` by
  triggers, and filled here for the existing rows), a pg_trgm GIN index on PostgreSQL
  (built here from the existing rows), with a covering index on the id there that lets a
  clinician's own matches be read from their panel without the table. A ``LIKE '% word%'``
  scan took 137 ms on SQLite and 372 ms on PostgreSQL at a million patients; the index
  serves it in a few milliseconds (README, "Search").
- B-trees on the date of birth (a search by 1968-03-14, the duplicate check), on the new
  ``patients.mrn_key`` (the MRN in upper case, filled here: an MRN typed in any case), and
  on ``patient_access`` by user name (covering: the patients a clinician and their team may
  open, for a search and for Home).
- ``patients.preferred_language`` (BCP 47, "en" by default): the handout's language kept
  with the patient. Existing patients take the language of their latest visit's draft
  when it names one the handout has ("en", "es"), else "en".

The SQL is a snapshot of ``careplan.storage.models.SEARCH_INDEX_SQL`` at this revision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_INDEX_SQL = {  # a snapshot of careplan.storage.SEARCH_INDEX_SQL at this revision
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
        # the existing rows
        "INSERT INTO patients_search(patients_search) VALUES ('rebuild')",
    ),
    "postgresql": (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX ix_patients_search_trgm ON patients USING gin (search_key gin_trgm_ops)",
        # A clinician's own matches of a wide search are read from their panel by id: this
        # index answers those lookups without the table (index-only), 2x faster at 1M.
        "CREATE INDEX ix_patients_search_covering ON patients (id) INCLUDE (search_key, name_key)",
    ),
}
DROP_SEARCH_INDEX_SQL = {
    "sqlite": ("DROP TRIGGER patients_search_update", "DROP TRIGGER patients_search_delete",
               "DROP TRIGGER patients_search_insert", "DROP TABLE patients_search"),
    "postgresql": ("DROP INDEX ix_patients_search_covering",  # the extension may serve others
                   "DROP INDEX ix_patients_search_trgm"),
}
LANGUAGES = ("en", "es")  # the handout's languages at this revision

patients = sa.table("patients", sa.column("id", sa.Integer),
                    sa.column("preferred_language", sa.String))
visits = sa.table("visits", sa.column("id", sa.Integer), sa.column("patient_id", sa.Integer),
                  sa.column("visit_date", sa.Date), sa.column("draft", sa.Text))


def _language(draft: str) -> str | None:
    try:
        data = json.loads(draft)
    except ValueError:
        return None
    patient = data.get("patient") if isinstance(data, dict) else None
    language = patient.get("preferred_language") if isinstance(patient, dict) else None
    return language if language in LANGUAGES else None


def upgrade() -> None:
    with op.batch_alter_table("patients", recreate="never") as batch:
        batch.add_column(sa.Column("preferred_language", sa.String(35), nullable=False,
                                   server_default="en"))
        batch.add_column(sa.Column("mrn_key", sa.String(64), nullable=True))
    op.execute("UPDATE patients SET mrn_key = upper(mrn) WHERE mrn IS NOT NULL")  # ASCII MRNs
    op.create_index("ix_patients_date_of_birth", "patients", ["date_of_birth"])
    op.create_index("ix_patients_mrn_key", "patients", ["mrn_key"])
    op.create_index("ix_patient_access_username", "patient_access",
                    ["username", "how", "patient_id"])
    connection = op.get_bind()
    for statement in SEARCH_INDEX_SQL.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)
    latest: dict[int, str] = {}  # each patient's latest visit's draft (date, then id)
    rows = connection.execute(sa.select(visits.c.patient_id, visits.c.draft)
                              .order_by(visits.c.patient_id, visits.c.visit_date, visits.c.id))
    for patient_id, draft in rows:
        latest[patient_id] = draft
    for patient_id, draft in latest.items():
        language = _language(draft)
        if language is not None and language != "en":
            connection.execute(patients.update().where(patients.c.id == patient_id)
                               .values(preferred_language=language))


def downgrade() -> None:
    for statement in DROP_SEARCH_INDEX_SQL.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.drop_index("ix_patient_access_username", table_name="patient_access")
    op.drop_index("ix_patients_mrn_key", table_name="patients")
    op.drop_index("ix_patients_date_of_birth", table_name="patients")
    with op.batch_alter_table("patients", recreate="never") as batch:
        batch.drop_column("mrn_key")
        batch.drop_column("preferred_language")
