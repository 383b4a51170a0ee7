"""Intake: every answer is saved as it changes; scores and alerts update live."""

from __future__ import annotations

import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

import ui
import ui.bodymap  # Pillow: loads with this page only, never with `import ui`
from careplan.documents.report import medication_reading
from careplan.intake import form
from careplan.intake.vocabulary import AREAS

ui.page("Intake")
with ui.plain_errors():  # a database problem shows its message, not a crash

    _, visit = ui.need_visit()
    view = ui.load_draft(visit)  # the saved draft, and the preview made when it was saved
    draft, result = view.draft, view.preview
    problems, carried = result.problems, draft.carried_over

    st.title("Intake")
    # One container holds what comes and goes above the sections (a conflict, alerts, the
    # scores): the sections after it keep their place, so ticking a red flag that raises an
    # alert does not send the clinician back to the first section.
    with st.container():
        ui.conflict_notice()
        if result.plan is not None:
            for alert in result.plan.alerts:
                show = st.error if alert.severity == "emergency" else st.warning
                when = alert.timeframe.replace("_", " ")
                show(f"**{alert.severity.upper()} ({when}): {alert.title}.** "
                     f"Because: {ui.md('; '.join(alert.because))}. The care plan says what to do.",
                     icon=":material/emergency:")
            scores = result.plan.scores
            met = scores.get("fibromyalgia_criteria_met")
            criteria = "met" if met is True else ("not met" if met is False else "not known yet")
            cells = st.columns(5)
            for cell, (label, value) in zip(cells, [
                ("Pain now", scores.get("pain_now")), ("PEG", scores.get("peg")),
                ("WPI", scores.get("wpi")), ("SSS", scores.get("sss")),
                ("PHQ-4", scores.get("phq4")),
            ], strict=True):
                cell.metric(label, "—" if value is None else value)
            # in words, not a sixth figure: "not met" did not fit a sixth of a 768 px screen
            st.caption(f"Fibromyalgia criteria (ACR 2016): {criteria}")
    st.caption("Fields marked * are required. Every change is saved at once. "
               "A blank answer means 'not asked'.")


    def f(path: str, **widget: float | str | None) -> None:
        """The registry's question at ``path``; ``widget`` holds layout settings (a height)."""
        ui.field(form.entry(path), problems=problems, carried=carried, **widget)


    def heading(group: str) -> None:
        """A group's title and how to answer it, above its row of questions."""
        title = form.group(group)
        st.markdown(f"**{title.title}** ({title.note})")


    def visit_and_history() -> None:
        ui.carried_notice("Visit and history", carried)
        left, right = st.columns(2)
        with left:
            for path in ("patient.name", "patient.preferred_language", "patient.date_of_birth",
                         "patient.sex", "patient.mrn", "visit.date", "visit.clinician"):
                f(path)
            f("visit.reason", height=80)
        with right:
            for path in ("history.onset", "history.duration_weeks", "history.pattern",
                         "history.morning_stiffness_minutes",
                         "history.recent_unaccustomed_exertion"):
                f(path)
        # The 0-10 ratings take the full width: eleven buttons do not fit half of a 768 px
        # screen (9 and 10 were cut off).
        for path in ("history.pain_now", "history.pain_worst_week"):
            f(path)
        heading("history.peg")
        for question in form.in_group("history.peg"):  # a 0-10 row each: one tap
            ui.field(question, problems=problems, carried=carried)
        for path in ("history.character", "history.triggers", "history.conditions"):
            f(path)
        f("history.notes", height=100)

    def body_map() -> None:
        # The picture is for the mouse: it sits in a component's frame with no text of its
        # own. The list under it is the keyboard and screen-reader path, and says so first.
        st.markdown("Click a region on the picture to mark or unmark it. Left and right are "
                    "the patient's. **With a keyboard or a screen reader**, use the **Painful "
                    "areas** list below the picture: it marks the same regions.")

        def clicked() -> None:
            region = ui.bodymap.region_at_click(st.session_state.get("body-map-click"),
                                                natural_width=picture.width)
            if region is None:
                return
            chosen = list(st.session_state.get("f:affected_areas") or [])
            chosen = [a for a in chosen if a != region] if region in chosen else [*chosen, region]
            ordered = [a for a in AREAS if a in chosen]
            st.session_state["f:affected_areas"] = ordered
            ui.save_answer("affected_areas", ordered)

        if ui.needs_value("f:affected_areas"):
            st.session_state["f:affected_areas"] = list(draft.data.get("affected_areas") or [])
        picture = ui.bodymap.body_map_image(st.session_state["f:affected_areas"])
        streamlit_image_coordinates(picture, key="body-map-click", on_click=clicked,
                                    cursor="pointer")
        st.caption(ui.bodymap.text_alternative(st.session_state["f:affected_areas"]))
        f("affected_areas")

    def symptoms() -> None:
        heading("symptom_severity")
        for question in form.in_group("symptom_severity"):
            ui.field(question, problems=problems, carried=carried)

    def risk_factors() -> None:
        ui.carried_notice("Risk factors and screens", carried)
        left, right = st.columns(2)
        with left:
            for path in ("sedentary", "repetitive_tasks", "poor_posture", "physical_labour",
                         "smoker", "protein_each_meal", "pregnant", "pregnancy_weeks"):
                f(f"risk_factors.{path}")
        with right:
            for path in ("desk_hours_per_day", "sleep_hours", "sleep_quality",
                         "water_glasses_per_day", "alcohol_drinks_per_week"):
                f(f"risk_factors.{path}")
            with st.expander("Alcohol in UK units instead",
                             expanded=ui.answer_in_draft("risk_factors.alcohol_units_per_week")):
                f("risk_factors.alcohol_units_per_week")
        f("risk_factors.stress_level")  # a 0-10 rating: the full width
        heading("risk_factors.phq4")
        for question in form.in_group("risk_factors.phq4"):  # the validated answer words
            ui.field(question, problems=problems, carried=carried)

    def red_flags() -> None:
        st.markdown("Ask every item. An emergency answer shows an alert at the top at once.")
        questions = form.in_group("red_flags")
        answers = draft.data.get("red_flags") or {}
        open_ones = [q.path.split(".")[-1] for q in questions
                     if answers.get(q.path.split(".")[-1]) is None]
        yes = sum(1 for q in questions if answers.get(q.path.split(".")[-1]) is True)
        st.caption(f"{len(questions) - len(open_ones)} of {len(questions)} asked · {yes} yes")
        if open_ones:
            # One click for the usual answer: every question not yet answered is No. A Yes
            # already given stays; each question can still be answered on its own below.
            st.button(f"None of these ({len(open_ones)} not yet answered: No)",
                      key="red-flags-none", on_click=ui.save_answer,
                      args=("red_flags", {**answers, **dict.fromkeys(open_ones, False)}))
        flags = st.columns(2)
        for index, question in enumerate(questions):
            with flags[index % 2]:
                ui.field(question, problems=problems, carried=carried)

    def medicines() -> None:
        ui.carried_notice("Medicines", carried)
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
                st.error(f"{form.label_of(problem_path)}: {message}")
        with st.form("add-medication", clear_on_submit=True):
            cols = st.columns(3)
            name = cols[0].text_input(form.entry("history.medications.name").label, key="med-name")
            dose = cols[1].text_input(form.entry("history.medications.dose").label, key="med-dose")
            started = cols[2].date_input(f"{form.entry('history.medications.started').label} "
                                         "(optional)", value=None, format="YYYY-MM-DD",
                                         min_value=form.FIRST_DATE, max_value=ui.today(),
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
        f("history.grapefruit")
        f("history.allergies", height=80)
        allergies = draft.data.get("history", {}).get("allergies")
        if allergies == []:  # asked, and the patient knows of none: said so, not left blank
            st.caption(":material/check: No known allergies (asked).")
        elif allergies is None and st.button("No known allergies (asked)", key="no-allergies"):
            ui.save_answer("history.allergies", [])
            st.session_state.pop("loaded_visit", None)
            st.rerun()
        f("history.prior_treatments", height=80)

    # Only the open section is drawn (a switch reruns the page): a third of the widgets a
    # run, which is most of a rerun's time under a crowd (bench/load.py). The section is in
    # the URL, so a refresh comes back to it, and what comes and goes above the sections
    # (alerts, a conflict) sits in the one container drawn before them. A widget of a
    # section drawn again starts from the saved answer (ui.needs_value).
    sections = st.tabs(list(form.SECTIONS), key="section", on_change="rerun",
                       bind="query-params")
    for section, draw in zip(sections, (visit_and_history, body_map, symptoms, risk_factors,
                                        red_flags, medicines), strict=True):
        if section.open:
            with section:
                draw()

    st.divider()
    if result.complete:
        if st.button("Review the care plan", type="primary", key="to-plan"):
            ui.go("care_plan")
    else:
        fields = ", ".join(form.label_of(p) for p in sorted(problems, key=form.order_of)) \
            or "required fields"
        st.info(f"To build the plan, finish or correct: {ui.md(fields)}.")
