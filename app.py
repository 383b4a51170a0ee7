"""Inomyalgia Care: page set-up, navigation, and the current patient in the sidebar."""

from __future__ import annotations

import streamlit as st

import ui
from careplan import storage
from careplan.errors import StorageError

st.set_page_config(page_title="Inomyalgia Care", page_icon="🩺", layout="wide")

pages = [
    st.Page(ui.PAGES["patients"], title="Patients", icon="👥", default=True),
    st.Page(ui.PAGES["intake"], title="Intake", icon="📝"),
    st.Page(ui.PAGES["care_plan"], title="Care plan", icon="📋"),
    st.Page(ui.PAGES["export"], title="Export", icon="📄"),
    st.Page(ui.PAGES["history"], title="History", icon="📈"),
]
navigation = st.navigation(pages)

patient_id, visit_id = ui.selection()
with st.sidebar:
    st.caption("Decision support for a clinician, not a prescription.")
    if patient_id is not None:
        try:
            with ui.db(readonly=True) as session:
                patient = storage.get_patient(session=session, patient_id=patient_id)
            st.markdown(f"**{ui.md(patient.name)}**")
            st.caption(f"Born {patient.date_of_birth.isoformat()} · MRN {ui.md(patient.mrn or '—')}"
                       + (f" · visit #{visit_id}" if visit_id else ""))
        except StorageError:
            ui.choose(patient=None, visit=None)

try:
    navigation.run()
except StorageError as error:
    st.error(f"{error}")
