"""audit records name the key that signed them

Each audit record gets ``key_id``: a public fingerprint of the HMAC key that signed it
(empty for a record hashed without a key). The records written before keep an empty id and
verify exactly as before; a record's id is part of its hash from now on, so a record cannot
be passed off as signed by another key or as unsigned.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", recreate="never") as batch:
        batch.add_column(sa.Column("key_id", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", recreate="never") as batch:
        batch.drop_column("key_id")
