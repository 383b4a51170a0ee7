"""unfinished review typing is kept as typed, per plan version, item and clinician

``unfinished_reviews`` holds what a clinician has typed on the Care plan page and not saved
as a decision yet: the Reject or Edit chosen on a recommendation, the reason, the new text
for the patient, and the fields of the form that adds an item of their own (``item_id``
``+new``). One row per plan version, user name and item; a scratch pad, never part of the
review, so a page switch, a refresh or a new tab loses nothing typed. No existing data
changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unfinished_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=True),
        sa.Column("domain", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("patient_text", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action in ('reject', 'edit')", name="ck_unfinished_reviews_action"),
        sa.ForeignKeyConstraint(["plan_id"], ["plan_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "username", "item_id", name="uq_unfinished_reviews"),
    )


def downgrade() -> None:
    op.drop_table("unfinished_reviews")
