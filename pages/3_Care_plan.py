"""Care plan: alerts first, then each recommendation to accept, reject or edit; then sign."""

from __future__ import annotations

import streamlit as st

import ui
from careplan import visits
from careplan.clinical.plan import DOMAINS, Recommendation
from careplan.clinical.review import AddedRecommendation, Decision, Review
from careplan.clinical.scoring import red_flags_not_asked
from careplan.documents.report import CLINICIAN_HEADINGS
from careplan.errors import IntakeError, SignedPlanError, StorageError
from careplan.intake.model import RED_FLAGS

me = ui.page("Care plan")
with ui.plain_errors():  # a database problem shows its message, not a crash

    _, visit = ui.need_visit()
    st.title("Care plan")
    check = ui.load_draft(visit).preview  # made once per saved draft, shared with the Intake page
    plans = visits.plans(ui.database(), me, visit_id=visit)
    if not check.complete:
        missing = ", ".join(f"{path} {message}" for path, message in check.problems.items())
        st.warning("The intake is not complete yet, so no plan can be built: " + ui.md(missing))
        if st.button("Back to the intake"):
            ui.go("intake")
        st.stop()

    current = plans[-1] if plans else None
    stale = current is not None and check.plan is not None and (
        current.plan.model_dump(exclude={"generated_on"})
        != check.plan.model_dump(exclude={"generated_on"})
    )
    if current is None or (stale and current.status == "draft"):
        label = "Build the care plan" if current is None else "Rebuild from the changed intake"
        if st.button(label, type="primary", key="build-plan"):
            try:
                ui.guarded(visits.build_plan_version, ui.database(), me, visit_id=visit,
                           today=ui.today(), request_id=ui.request_id(f"plan-{visit}-{len(plans)}"),
                           now=ui.now())
                st.rerun()
            except (IntakeError, StorageError) as error:
                st.error(str(error))
        if current is None:
            st.stop()
    if current is None:
        st.stop()
    plan = current.plan
    plan_id = current.id  # read by the widgets below (a function does not see `current` narrowed)
    signed = current.status == "signed"
    if stale:
        st.info("The intake changed after this plan was made.")

    if signed:
        when = current.signed_at.strftime("%Y-%m-%d %H:%M UTC") if current.signed_at else ""
        signer = ui.md(current.signed_by or "")
        st.success(f"Version {current.number}, signed by {signer} at {when}. "
                   "A signed plan cannot change.")
        if st.button("Revise (makes a new version)", key="revise"):
            ui.guarded(visits.revise, ui.database(), me, plan_id=current.id,
                       request_id=ui.request_id(f"revise-{current.id}"), now=ui.now())
            st.rerun()

    for alert in plan.alerts:
        show = {"emergency": st.error, "urgent": st.warning}.get(alert.severity, st.info)
        show(f"**{alert.severity.upper()} ({alert.timeframe.replace('_', ' ')}): {alert.title}.** "
             f"{alert.action}  \nBecause: {ui.md('; '.join(alert.because))}  \n"
             f"Source: {alert.source} · `{alert.id}`", icon=":material/emergency:")
    if plan.screens_not_done:
        st.caption("Screens not done: " + ui.md("; ".join(plan.screens_not_done)))

    review = current.review or Review()
    choices = ("Accept", "Reject", "Edit")


    def decision_widgets(rec: Recommendation) -> Decision | None:
        """The accept / reject / edit control of one recommendation, with its reason."""
        existing = review.decision_for(rec.id)
        previous = existing.action if existing else ""
        default = {"reject": "Reject", "edit": "Edit"}.get(previous, "Accept")
        action = st.radio("Decision", choices, index=choices.index(default), horizontal=True,
                          key=f"dec:{plan_id}:{rec.id}", disabled=signed)
        if action == "Accept":
            return Decision(item_id=rec.id, action="accept")
        given = (existing.reason if existing else "") or ""
        reason = st.text_input("Reason (required)", value=given,
                               key=f"why:{plan_id}:{rec.id}", disabled=signed)
        text = rec.patient_text
        if action == "Edit":
            edited = (existing.patient_text if existing else None) or rec.patient_text
            text = st.text_area("Text for the patient", value=edited,
                                key=f"txt:{plan_id}:{rec.id}", disabled=signed)
        if not reason.strip():
            st.error("Give a reason for this decision.")
            return None
        if action == "Reject":
            return Decision(item_id=rec.id, action="reject", reason=reason)
        return Decision(item_id=rec.id, action="edit", reason=reason, patient_text=text)


    decisions: list[Decision] = []
    missing_reason = False
    for domain in DOMAINS:
        recs = plan.by_domain(domain)
        if not recs:
            continue
        st.subheader(CLINICIAN_HEADINGS[domain])
        for rec in recs:
            status = review.decision_for(rec.id)
            marks = {"reject": " · rejected", "edit": " · edited"}
            mark = marks.get(status.action if status else "", "")
            with st.expander(f"{rec.title} · `{rec.id}`{mark}", expanded=False):
                st.markdown(f"**For the patient:** {ui.md(rec.patient_text)}")
                st.markdown(f"**Clinician note:** {rec.clinician_note}")
                st.caption(f"Because: {ui.md('; '.join(rec.because))} · Source: {rec.source}")
                decision = decision_widgets(rec)
            if decision is None:
                missing_reason = True
            else:
                decisions.append(decision)
    if plan.withheld:
        st.caption("Held back until the emergency is assessed: "
                   + ", ".join(w.id for w in plan.withheld))

    added = list(review.added)
    st.subheader("Add a recommendation")
    for item in added:
        st.markdown(f"- {ui.md(item.title)}: {ui.md(item.patient_text)} "
                    f"_(reason: {ui.md(item.reason)})_")
    if not signed:
        with st.form("add-rec", clear_on_submit=True):
            domain = st.selectbox("Domain", DOMAINS, format_func=lambda d: CLINICIAN_HEADINGS[d])
            title = st.text_input("Title")
            text = st.text_area("Text for the patient")
            reason = st.text_input("Reason")
            if st.form_submit_button("Add"):
                try:
                    added.append(AddedRecommendation(domain=domain, title=title, patient_text=text,
                                                     reason=reason))
                except ValueError:
                    st.error("Title, text for the patient and reason are all required.")

    if not signed:
        try:
            new_review = Review(decisions=tuple(decisions), added=tuple(added))
        except ValueError as error:
            st.error(str(error))
            st.stop()
        if new_review != review:
            try:
                ui.guarded(visits.review, ui.database(), me, plan_id=current.id,
                           decisions=new_review, expected_version=current.version, now=ui.now())
                st.rerun()
            except (StorageError, SignedPlanError) as error:
                st.error(str(error))
        st.divider()
        unasked = red_flags_not_asked(current.intake)
        if unasked:
            st.error(f"**{len(unasked)} of {len(RED_FLAGS)} red-flag questions were not asked**, "
                     "so a serious cause is not ruled out and the plan cannot be signed. Ask "
                     "them on the Intake page (Red flags), then rebuild the plan.",
                     icon=":material/emergency:")
            if st.button("Ask the red-flag questions", key="to-red-flags"):
                ui.go("intake")
        elif missing_reason:
            st.warning("Every rejection or edit needs a reason before you can sign.")
        elif st.button("Sign the plan", type="primary", key="sign"):
            try:
                ui.guarded(visits.sign, ui.database(), me, plan_id=current.id,
                           expected_version=current.version,
                           request_id=ui.request_id(f"sign-{current.id}"), now=ui.now())
                st.rerun()
            except StorageError as error:
                st.error(str(error))
    if signed and st.button("Go to export", type="primary", key="to-export"):
        ui.go("export")
