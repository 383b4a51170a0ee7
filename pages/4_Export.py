"""Export: the patient handout (also large print), the clinician summary and the plan JSON."""

from __future__ import annotations

import streamlit as st

import ui
from careplan import storage
from careplan.pdf import clinician_pdf, patient_pdf

ui.page("Export")

_, visit = ui.need_visit()
st.title("Export")
with ui.db(readonly=True) as session:
    plans = storage.plans_of_visit(session=session, visit_id=visit)
if not plans:
    st.info("There is no plan for this visit yet.")
    if st.button("Go to the care plan"):
        ui.go("care_plan")
    st.stop()
current = plans[-1]
if current.status != "signed":
    st.warning("This plan is not signed: the handout will say DRAFT.")
stem = f"care-plan-{current.plan.visit.date.isoformat()}-v{current.number}"
st.download_button("Patient handout (PDF)", patient_pdf(current.plan, review=current.review),
                   file_name=f"{stem}.pdf", mime="application/pdf", type="primary",
                   key="download-handout")
st.download_button("Large-print handout (PDF)",
                   patient_pdf(current.plan, review=current.review, large_print=True),
                   file_name=f"{stem}-large-print.pdf", mime="application/pdf",
                   key="download-large")
st.download_button("Clinician summary (PDF)", clinician_pdf(current.plan, review=current.review),
                   file_name=f"{stem}-summary.pdf", mime="application/pdf", key="download-summary")
st.download_button("Plan (JSON)", current.plan.model_dump_json(indent=2),
                   file_name=f"{stem}.json", mime="application/json", key="download-json")
