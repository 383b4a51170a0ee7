"""patient access and care teams

``patient_access`` records who has seen a patient and how (created the record, worked on a
visit, or opened it with a reason: break the glass); ``users.team`` names an account's care
team, whose members share the access of the first two kinds.

The table is filled from the audit trail, which names the user (not the display name) of
every patient created and every visit started or edited, so nobody loses the patients they
were treating when this revision is applied.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Who created or worked on a visit of each patient, as the audit trail names them (the
# actions that meant so at this revision); the first time each, for ``since``.
BACKFILL = """
INSERT INTO patient_access (patient_id, username, how, reason, since)
SELECT a.patient_id, a.username,
       CASE WHEN a.action = 'create_patient' THEN 'created' ELSE 'visit' END, '', MIN(a.at)
FROM audit_log a JOIN patients p ON p.id = a.patient_id
WHERE a.outcome = 'success' AND a.action IN ('create_patient', 'create_intake',
      'change_intake', 'save_plan', 'review_plan', 'sign_plan', 'revise_plan')
GROUP BY a.patient_id, a.username,
         CASE WHEN a.action = 'create_patient' THEN 'created' ELSE 'visit' END
"""


def upgrade() -> None:
    op.create_table(
        "patient_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("how in ('created', 'visit', 'break_the_glass')",
                           name="ck_patient_access_how"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "username", "how", name="uq_patient_access"),
    )
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("team", sa.String(length=64), nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("team")
    op.drop_table("patient_access")
