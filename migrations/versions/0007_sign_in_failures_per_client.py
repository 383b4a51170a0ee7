"""failed sign-ins are counted per account and client; the clients an account knows

``sign_in_failures`` keeps each failed sign-in (account, client address, when) while it
counts, so a lockout closes one account to one client instead of to everyone: an attacker
who knows an administrator's user name can no longer lock the administrator out.
``known_clients`` keeps where each account last signed in from: while an account is under
a guess from many clients at once, only the clients it knows may still try
(``careplan.accounts``). ``users.locked_until`` now means "known clients only until".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_failures_user_at", "sign_in_failures", ["user_id", "at"])
    op.create_table(
        "known_clients",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "client"),
    )


def downgrade() -> None:
    op.drop_table("known_clients")
    op.drop_index("ix_sign_in_failures_user_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
