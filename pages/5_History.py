"""History: the patient's visits, score trends, and each visit's plan one click away."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from careplan import storage

ui.page("History")

patient, _ = ui.selection()
st.title("History")
if patient is None:
    st.info("Choose a patient first.")
    if st.button("Go to patients"):
        ui.go("patients")
    st.stop()
with ui.db(readonly=True) as session:
    frame = storage.patient_history(session=session, patient_id=patient)
if frame.empty:
    st.info("No visits yet.")
    st.stop()
scores = ["pain_now", "peg", "wpi", "sss", "phq4"]
chart = frame.set_index("visit_date")[scores].astype("float64")
st.line_chart(chart, height=280)
st.caption("Pain and PEG are 0-10, WPI 0-19, SSS 0-12, PHQ-4 0-12.")
for row in frame.itertuples():
    left, right = st.columns([5, 1])
    values = " · ".join(
        f"{name.upper().replace('_NOW', '')} {getattr(row, name):g}"
        for name in scores if not pd.isna(getattr(row, name))
    )
    state = "signed" if row.signed else ("plan drafted" if row.plans else "no plan")
    left.markdown(f"**{row.visit_date.date().isoformat()}** · {state} · {values or 'not scored'}")
    if right.button("Open plan", key=f"open-plan-{row.visit_id}"):
        ui.choose(patient=patient, visit=int(row.visit_id))
        ui.go("care_plan")
