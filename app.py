"""Inomyalgia Care: entry page.

The full dashboard (patients, intake, care plan, export, history) arrives with
the dashboard issue; until then this page builds a plan from an intake JSON
file so the engine can be tried in the browser. Thin: all logic is in careplan.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from careplan.engine import build_plan
from careplan.errors import IntakeError
from careplan.validation import validate_intake

st.set_page_config(page_title="Inomyalgia Care", page_icon="🩺", layout="wide")
st.title("Inomyalgia Care")
st.caption("Care plans for persistent muscle pain. Decision support for a clinician, "
           "not a prescription.")

upload = st.file_uploader("Intake JSON (shared contract format)", type=["json"])
if upload is None:
    st.info("Upload an intake file to see the care plan the rules propose.")
    st.stop()

try:
    intake = validate_intake(upload.getvalue(), today=date.today())
except IntakeError as exc:
    st.error("The intake has problems. Nothing was changed.")
    for problem in exc.problems:
        st.write(f"- {problem}")
    st.stop()

plan = build_plan(intake=intake, today=date.today())
st.subheader(f"{plan.patient.name}, {plan.patient.age}, visit {plan.visit.date.isoformat()}")
for alert in plan.alerts:
    show = st.error if alert.severity == "emergency" else st.warning
    show(f"{alert.severity.upper()}: {alert.title}. {alert.action}")
for rec in plan.recommendations:
    with st.expander(f"{rec.domain.replace('_', ' ')}: {rec.title}"):
        st.write(rec.patient_text)
        st.caption(f"{rec.id} · because: {'; '.join(rec.because)} · source: {rec.source}")
if plan.screens_not_done:
    st.caption("Screens not done: " + "; ".join(plan.screens_not_done))
