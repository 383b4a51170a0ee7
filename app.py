"""Inomyalgia Care: the landing page (the pages in pages/ do the work)."""

from __future__ import annotations

import streamlit as st

import ui
from careplan import patients

ui.page("Home")
with ui.plain_errors():  # a database problem shows its message, not a crash
    st.title("Inomyalgia Care")
    st.markdown("Intake and care plans for persistent muscle pain. Red flags come first; every "
                "recommendation shows why it was made and its source.")
    st.metric("Patients", patients.count(ui.database()))
    st.page_link(ui.PAGES["patients"], label="Find or create a patient", icon=":material/group:")
    patient, visit = ui.selection()
    if visit is not None:
        st.page_link(ui.PAGES["intake"], label="Continue the current intake",
                     icon=":material/edit_note:", query_params={"patient": str(patient),
                                                                "visit": str(visit)})
