"""split the numbness red flag in stored drafts

red_flags.numbness_or_bladder_bowel_change became saddle_numbness_or_bladder_bowel_change
(cauda equina, an emergency) and limb_numbness_or_tingling. Stored drafts (visits.draft)
and the intakes of unsigned plan versions are rewritten the way the intake model reads
the old field (careplan.intake.model.fold_legacy_numbness, snapshotted below):

- the old answer becomes the saddle one (the safer reading); if the saddle field is
  also there the two are combined with OR, so a "yes" is never cleared;
- an old "no" also answers the limb question when that was not given (the old
  question asked about any numbness); an old "yes" leaves the limb question unasked.

Signed plan versions are records and are left exactly as signed: the model still
reads their old field, and the plan built from them said what it read.
The JSON is stored as text on both backends, so rows are rewritten in Python.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "numbness_or_bladder_bowel_change"
SADDLE = "saddle_numbness_or_bladder_bowel_change"
LIMB = "limb_numbness_or_tingling"

visits = sa.table("visits", sa.column("id", sa.Integer), sa.column("draft", sa.Text))
plan_versions = sa.table(
    "plan_versions",
    sa.column("id", sa.Integer),
    sa.column("intake", sa.Text),
    sa.column("status", sa.String),
)


def _encode(value: Any) -> str:  # as careplan.storage._json at this revision
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _split(flags: dict[str, Any]) -> dict[str, Any] | None:
    """New-form red flags, or None when there is nothing (valid) to rewrite."""
    if OLD not in flags:
        return None
    old = flags[OLD]
    if old is not None and not isinstance(old, bool):
        return None  # a typed mistake stays in the draft; validation names it
    out = {k: v for k, v in flags.items() if k != OLD}
    if old is None:
        return out
    saddle = out.get(SADDLE)
    if saddle is None:
        out[SADDLE] = old
    elif isinstance(saddle, bool):
        out[SADDLE] = saddle or old
    if out.get(LIMB) is None and old is False:
        out[LIMB] = False
    return out


def _join(flags: dict[str, Any]) -> dict[str, Any] | None:
    """Old-form red flags (for a downgrade): yes if either new answer is yes."""
    if SADDLE not in flags and LIMB not in flags:
        return None
    answers = [flags.get(SADDLE), flags.get(LIMB)]
    out = {k: v for k, v in flags.items() if k not in (SADDLE, LIMB)}
    if True in answers:
        out[OLD] = True
    elif False in answers:
        out[OLD] = False
    return out


def _rewrite(text: str | None, change: Callable[[dict[str, Any]], dict[str, Any] | None]
             ) -> str | None:
    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("red_flags"), dict):
        return None
    flags = change(data["red_flags"])
    if flags is None:
        return None
    return _encode({**data, "red_flags": flags})


def _run(change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(visits.c.id, visits.c.draft)).all():
        text = _rewrite(row.draft, change)
        if text is not None:
            bind.execute(visits.update().where(visits.c.id == row.id).values(draft=text))
    unsigned = sa.select(plan_versions.c.id, plan_versions.c.intake).where(
        plan_versions.c.status != "signed"
    )
    for row in bind.execute(unsigned).all():
        text = _rewrite(row.intake, change)
        if text is not None:
            bind.execute(
                plan_versions.update().where(plan_versions.c.id == row.id).values(intake=text)
            )


def upgrade() -> None:
    _run(_split)


def downgrade() -> None:
    _run(_join)
