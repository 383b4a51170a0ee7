"""History: the patient's visits, score trends, and each visit's plan one click away."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from careplan import patients

me = ui.page("History")
with ui.plain_errors():  # a database problem shows its message, not a crash
    patient, _ = ui.selection()
    st.title("History")
    if patient is None:
        st.info("Choose a patient first.")
        if st.button("Go to patients"):
            ui.go("patients")
        st.stop()
    frame = patients.history(ui.database(), me, patient_id=patient)
    if frame.empty:
        st.info("No visits yet.")
        st.stop()
    # Named as the clinician knows them, and one chart per kind of scale: a 0-10 rating
    # beside a count of painful areas on one axis misleads the eye.
    labels = {"pain_now": "Pain now (0-10)", "peg": "PEG (0-10)", "wpi": "WPI (0-19)",
              "sss": "SSS (0-12)", "phq4": "PHQ-4 (0-12)"}
    scores = list(labels)
    by_date = frame.set_index("visit_date")[scores].astype("float64").rename(columns=labels)

    def trend(columns: list[str], alt: str) -> None:
        """One line per score with a point at each visit. Drawn from a spec of its own: each
        point then carries its figures for a screen reader, where st.line_chart adds a layer
        of hover points that is an unnamed graphic (axe: svg-img-alt)."""
        long = (by_date[columns].rename_axis("Visit").reset_index()
                .melt(id_vars="Visit", var_name="Score", value_name="Value").dropna())
        st.vega_lite_chart(long, {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "Visit", "type": "temporal", "title": None},
                "y": {"field": "Value", "type": "quantitative", "title": None},
                "color": {"field": "Score", "type": "nominal", "title": None,
                          "legend": {"orient": "bottom"}},
            },
        }, width="stretch", height=240, alt=alt)

    ratings, counts = st.columns(2)
    with ratings:
        st.markdown("**Pain ratings** (0 none to 10 worst)")
        trend([labels["pain_now"], labels["peg"]],
              "Pain now and PEG at each visit; the figures are listed below.")
    with counts:
        st.markdown("**Widespread pain, symptoms and mood** (higher is worse)")
        trend([labels["wpi"], labels["sss"], labels["phq4"]],
              "WPI, SSS and PHQ-4 at each visit; the figures are listed below.")
    # Each column read with its type, so a row is (int, Timestamp, int, bool, score floats).
    score_values = zip(*(frame[name].astype("Float64") for name in scores), strict=True)
    rows = zip(frame["visit_id"].astype(int), pd.to_datetime(frame["visit_date"]),
               frame["plans"].astype(int), frame["signed"].astype(bool), score_values, strict=True)
    for visit_id, visit_date, plans_made, signed, row_scores in rows:
        left, right = st.columns([5, 1])
        values = " · ".join(
            f"{labels[name].split(' (')[0]} {value:g}"
            for name, value in zip(scores, row_scores, strict=True) if not pd.isna(value)
        )
        state = "signed" if signed else ("plan drafted" if plans_made else "no plan")
        left.markdown(f"**{visit_date.date().isoformat()}** · {state} · {values or 'not scored'}")
        if right.button("Open plan", key=f"open-plan-{visit_id}"):
            ui.choose(patient=patient, visit=visit_id)
            ui.go("care_plan")
