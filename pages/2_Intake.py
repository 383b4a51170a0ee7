"""Intake: every answer is saved as it changes; scores and alerts update live."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

import ui
from careplan import intake as model
from careplan.drafts import preview
from careplan.facts import words
from careplan.report import medication_reading
from careplan.vocabulary import AREA_LABELS

ui.page("Intake")

_, visit = ui.need_visit()
draft = ui.load_draft(visit)
result = preview(draft.data, today=ui.today())
problems, carried = result.problems, draft.carried_over

st.title("Intake")
ui.conflict_notice()
if result.plan is not None:
    for alert in result.plan.alerts:
        show = st.error if alert.severity == "emergency" else st.warning
        show(f"**{alert.severity.upper()} ({alert.timeframe.replace('_', ' ')}): {alert.title}.** "
             f"Because: {ui.md('; '.join(alert.because))}. The care plan says what to do.",
             icon=":material/emergency:")
    scores = result.plan.scores
    met = scores.get("fibromyalgia_criteria_met")
    criteria = "met" if met is True else ("not met" if met is False else None)
    cells = st.columns(6)
    for cell, (label, value) in zip(cells, [
        ("Pain now", scores.get("pain_now")), ("PEG", scores.get("peg")),
        ("WPI", scores.get("wpi")), ("SSS", scores.get("sss")), ("PHQ-4", scores.get("phq4")),
        ("Fibromyalgia criteria", criteria),
    ], strict=True):
        cell.metric(label, "—" if value is None else value)
st.caption("Fields marked * are required. Every change is saved at once. "
           "A blank answer means 'not asked'.")


def f(
    kind: ui.FieldKind, path: str, label: str, *, options: Sequence[Any] = (),
    fmt: Callable[[Any], str] = str, **widget: float | str | None,
) -> None:
    """One answer; ``widget`` holds the Streamlit widget's own settings (bounds, height)."""
    ui.field(kind, path, label, problems=problems, carried=carried, options=options, fmt=fmt,
             **widget)


tabs = st.tabs(["Visit and history", "Body map", "Symptoms", "Risk factors and screens",
                "Red flags", "Medicines"])
with tabs[0]:
    left, right = st.columns(2)
    with left:
        f("text", "patient.name", "Patient name *")
        f("date", "patient.date_of_birth", "Date of birth *")
        f("choice", "patient.sex", "Sex", options=model.SEXES, index=None)
        f("text", "patient.mrn", "MRN")
        f("date", "visit.date", "Visit date *")
        f("text", "visit.clinician", "Clinician")
        f("textarea", "visit.reason", "Reason for the visit", height=80)
    with right:
        f("choice", "history.onset", "Onset", options=model.ONSETS, index=None)
        f("int", "history.duration_weeks", "How long (weeks)", min_value=0, max_value=5200,
          value=None)
        f("choice", "history.pattern", "Pattern", options=model.PATTERNS, index=None)
        f("int", "history.pain_now", "Pain now (0-10)", min_value=0, max_value=10, value=None)
        f("int", "history.pain_worst_week", "Worst pain this week (0-10)", min_value=0,
          max_value=10, value=None)
        f("int", "history.morning_stiffness_minutes", "Morning stiffness (minutes)",
          min_value=0, max_value=1440, value=None)
        f("yesno", "history.recent_unaccustomed_exertion", "Recent unaccustomed exertion")
    st.markdown("**PEG-3** (past week, 0-10)")
    peg = st.columns(3)
    with peg[0]:
        f("int", "history.peg.pain", "Average pain", min_value=0, max_value=10, value=None)
    with peg[1]:
        f("int", "history.peg.enjoyment", "Interference with enjoyment", min_value=0,
          max_value=10, value=None)
    with peg[2]:
        f("int", "history.peg.activity", "Interference with general activity", min_value=0,
          max_value=10, value=None)
    f("multi", "history.character", "Character of the pain", options=model.CHARACTERS,
      fmt=words)
    f("multi", "history.triggers", "Triggers", options=model.TRIGGERS, fmt=words)
    f("multi", "history.conditions", "Conditions", options=model.CONDITIONS, fmt=words)
    f("textarea", "history.notes", "Notes", height=100)

with tabs[1]:
    st.markdown("Click a region to mark or unmark it. Left and right are the patient's.")

    def clicked() -> None:
        region = ui.region_at_click(st.session_state.get("body-map-click"),
                                    natural_width=picture.width)
        if region is None:
            return
        chosen = list(st.session_state.get("f:affected_areas") or [])
        chosen = [a for a in chosen if a != region] if region in chosen else [*chosen, region]
        ordered = [a for a in model.AREAS if a in chosen]
        st.session_state["f:affected_areas"] = ordered
        ui.save_answer("affected_areas", ordered)

    if "f:affected_areas" not in st.session_state:
        st.session_state["f:affected_areas"] = list(draft.data.get("affected_areas") or [])
    picture = ui.body_map_image(st.session_state["f:affected_areas"])
    streamlit_image_coordinates(picture, key="body-map-click", on_click=clicked,
                                cursor="pointer")
    f("multi", "affected_areas", "Painful areas (Widespread Pain Index)", options=model.AREAS,
      fmt=lambda area: AREA_LABELS[area])

with tabs[2]:
    st.markdown("**Symptom Severity Scale** (past week; 0 none to 3 severe)")
    for path, label in (("fatigue", "Fatigue"), ("waking_unrefreshed", "Waking unrefreshed"),
                        ("cognitive_symptoms", "Cognitive symptoms")):
        f("int", f"symptom_severity.{path}", f"{label} (0-3)", min_value=0, max_value=3,
          value=None)
    for path, label in (("headaches", "Headaches (past 6 months)"),
                        ("lower_abdominal_pain", "Lower abdominal pain or cramps"),
                        ("depression", "Depression (past 6 months)")):
        f("yesno", f"symptom_severity.{path}", label)

with tabs[3]:
    left, right = st.columns(2)
    with left:
        for path, label in (("sedentary", "Mostly sedentary"),
                            ("repetitive_tasks", "Repetitive tasks"),
                            ("poor_posture", "Poor posture"),
                            ("physical_labour", "Physical labour"),
                            ("smoker", "Smokes"), ("protein_each_meal", "Protein with each meal"),
                            ("pregnant", "Pregnant")):
            f("yesno", f"risk_factors.{path}", label)
        f("int", "risk_factors.pregnancy_weeks", "Pregnancy (weeks)", min_value=0, max_value=45,
          value=None)
    with right:
        f("float", "risk_factors.desk_hours_per_day", "Desk hours a day", min_value=0.0,
          max_value=24.0, value=None)
        f("float", "risk_factors.sleep_hours", "Sleep (hours a night)", min_value=0.0,
          max_value=24.0, value=None)
        f("choice", "risk_factors.sleep_quality", "Sleep quality", options=model.SLEEP_QUALITIES,
          index=None)
        f("int", "risk_factors.stress_level", "Stress (0-10)", min_value=0, max_value=10,
          value=None)
        f("int", "risk_factors.water_glasses_per_day", "Glasses of water a day", min_value=0,
          max_value=50, value=None)
        f("float", "risk_factors.alcohol_drinks_per_week", "Alcohol: standard drinks a week",
          min_value=0.0, max_value=300.0, value=None,
          help="US standard drink: 14 g of alcohol (12 oz beer, 5 oz wine, 1.5 oz spirits)")
        with st.expander("Alcohol in UK units instead",
                         expanded=ui.answer_in_draft("risk_factors.alcohol_units_per_week")):
            f("float", "risk_factors.alcohol_units_per_week", "Alcohol: UK units a week (8 g)",
              min_value=0.0, max_value=300.0, value=None)
    st.markdown("**PHQ-4** (past 2 weeks; 0 not at all to 3 nearly every day)")
    phq = st.columns(4)
    for column, (path, label) in zip(phq, (
        ("anxious", "Nervous, anxious or on edge"), ("worry", "Cannot stop worrying"),
        ("little_interest", "Little interest or pleasure"), ("down", "Down or hopeless"),
    ), strict=True):
        with column:
            f("int", f"risk_factors.phq4.{path}", label, min_value=0, max_value=3, value=None)

with tabs[4]:
    st.markdown("Ask every item. An emergency answer shows an alert at the top at once.")
    flags = st.columns(2)
    for index, name in enumerate(model.RED_FLAGS):
        with flags[index % 2]:
            f("yesno", f"red_flags.{name}", model.RED_FLAG_LABELS[name])

with tabs[5]:
    meds = list(draft.data.get("history", {}).get("medications") or [])
    st.markdown("**Medicines** (generic or brand name; every name is checked)")
    recognised = {m.entered: m for m in (result.plan.medications if result.plan else ())}
    for index, med in enumerate(meds):
        line = st.columns([4, 1])
        known = recognised.get(str(med.get("name")))
        reading = medication_reading(known, classes=False) if known else None
        status = "not recognised: check by hand" if reading is None \
            else reading if known and known.read_as else f"recognised as {reading}"
        line[0].markdown(f"{ui.md(str(med.get('name')))} · {ui.md(str(med.get('dose') or ''))}"
                         f" · started {ui.md(str(med.get('started') or '—'))} · _{status}_")
        if line[1].button("Remove", key=f"remove-med-{index}"):
            ui.save_answer("history.medications", meds[:index] + meds[index + 1:])
            st.session_state.pop("loaded_visit", None)
            st.rerun()
    for problem_path, message in problems.items():
        if problem_path.startswith("history.medications"):
            st.error(f"{problem_path}: {message}")
    with st.form("add-medication", clear_on_submit=True):
        cols = st.columns(3)
        name = cols[0].text_input("Medicine name", key="med-name")
        dose = cols[1].text_input("Dose", key="med-dose")
        started = cols[2].date_input("Started (optional)", value=None, format="YYYY-MM-DD",
                                     min_value=date(1900, 1, 1), max_value=ui.today(),
                                     key="med-started")
        if st.form_submit_button("Add medicine") and name.strip():
            entry = {"name": name.strip(), **({"dose": dose.strip()} if dose.strip() else {}),
                     **({"started": started.isoformat()} if started else {})}
            ui.save_answer("history.medications", [*meds, entry])
            st.session_state.pop("loaded_visit", None)
            st.rerun()
    if not meds and st.button("No medicines (asked)", key="no-meds"):
        ui.save_answer("history.medications", [])
        st.session_state.pop("loaded_visit", None)
        st.rerun()
    f("yesno", "history.grapefruit", "Grapefruit or grapefruit juice regularly")
    f("lines", "history.allergies", "Allergies (one per line)", height=80)
    f("lines", "history.prior_treatments", "Prior treatments (one per line)", height=80)

st.divider()
if result.complete:
    if st.button("Review the care plan", type="primary", key="to-plan"):
        ui.go("care_plan")
else:
    fields = ", ".join(sorted(problems)) or "required fields"
    st.info(f"To build the plan, finish or correct: {ui.md(fields)}.")
