"""Inomyalgia Care: Home, the clinician's worklist (the pages in pages/ do the work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

import ui
from careplan import patients, visits

if TYPE_CHECKING:
    from careplan.storage import WorkRow

# Where a visit opens, by how far it has got.
OPENS = {"intake": ("intake", ":material/edit_note:"),
         "to_sign": ("care_plan", ":material/assignment:"),
         "signed": ("care_plan", ":material/assignment_turned_in:")}
STAGE = {"intake": "intake in progress", "to_sign": "plan to sign", "signed": "plan signed"}


def section(title: str, rows: list[WorkRow], empty: str, *, changed: bool) -> None:
    """A list of visits, each a link that opens its patient and visit on the page it waits
    on, with what the clinician needs to tell patients apart and how far the visit has got."""
    st.header(title)
    if not rows:
        st.caption(empty)
    for row in rows:
        page, icon = OPENS[row.status]
        with st.container(gap=None):
            st.page_link(ui.PAGES[page], icon=icon,
                         label=f"**{ui.md(row.name)}** · born {row.date_of_birth.isoformat()}",
                         query_params={"patient": str(row.patient_id),
                                       "visit": str(row.visit_id)})
            when = (f"changed {row.updated_at.date().isoformat()} by {ui.md(row.updated_by)}"
                    if changed else f"visit of {row.visit_date.isoformat()}")
            mrn = f"MRN {ui.md(row.mrn)} · " if row.mrn else ""
            st.caption(f"{mrn}{STAGE[row.status]} · {when}")


me = ui.page("Home")
with ui.plain_errors():  # a database problem shows its message, not a crash
    st.title("Inomyalgia Care")
    st.page_link(ui.PAGES["patients"], label="Find or create a patient", icon=":material/group:")
    work = visits.worklist(ui.database(), me, today=ui.today())
    left, right = st.columns(2, gap="large")
    with left:
        section("Intakes in progress", work.drafts, "No intake is waiting.", changed=True)
        section("Plans to sign", work.to_sign, "No plan is waiting for a "
                "signature.", changed=True)
    with right:
        section("Today's patients", work.today, "No visit today yet.", changed=False)
        section("Recent patients", work.recent,
                f"No visit in the last {visits.RECENT_DAYS} days.", changed=False)
    st.divider()
    total = patients.count(ui.database())
    st.caption(f"{total} patient{'' if total == 1 else 's'} in all. The lists show only the "
               "patients you or your care team have seen. Red flags come first; every "
               "recommendation shows why it was made and its source.")
