"""A patient's visits as one frame, for the History page's chart and table.

The only pandas import of the package, inside the function: pandas, NumPy and pyarrow cost
~0.3 s that no other page should pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careplan.storage.models import SCORE_COLUMNS, Patient, PlanVersion, Visit
from careplan.storage.records import _fetch

if TYPE_CHECKING:
    import pandas as pd

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
