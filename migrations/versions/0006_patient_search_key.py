"""patients are found by any word of their name, accents folded

``search_key`` holds the name folded for search: accents removed (NFKD without combining
marks), case-folded, every run of characters that are not letters or digits one space, with
a leading space so a word start is ' word'. "Zoë Nguyễn" becomes " zoe nguyen", so "Nguyen",
"nguyễn" and "zoe ng" all find her. Existing rows are filled with the function as it is
at this revision (snapshotted below: a migration must not change when the code does).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:40:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

patients = sa.table("patients", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("search_key", sa.String))


def _search_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " " + " ".join(re.sub(r"[\W_]+", " ", bare).split())


def upgrade() -> None:
    with op.batch_alter_table("patients", recreate="never") as batch:
        batch.add_column(sa.Column("search_key", sa.String(256), nullable=False,
                                   server_default=""))
    connection = op.get_bind()
    for row in connection.execute(sa.select(patients.c.id, patients.c.name)).all():
        connection.execute(patients.update().where(patients.c.id == row.id)
                           .values(search_key=_search_key(row.name)))


def downgrade() -> None:
    with op.batch_alter_table("patients", recreate="never") as batch:
        batch.drop_column("search_key")
