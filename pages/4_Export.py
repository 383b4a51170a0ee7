"""Export: the patient handout (also large print), the clinician summary, the plan JSON and
the visit as a FHIR R4 Bundle.

The handout is offered in the patient's preferred language first (English or Spanish) and in
the other on request; the clinician summary is English and says which one was printed."""

from __future__ import annotations

import streamlit as st

import ui
from careplan import visits
from careplan.documents.language import (
    LANGUAGE_NAMES,
    Language,
    handout_choice,
    handout_language,
    preferred_handout_language,
)
from careplan.documents.pdf import clinician_pdf, render
from careplan.documents.report import (
    RIGHT_TO_LEFT_NOTE,
    SPANISH_NOT_REVIEWED,
    file_stem,
    patient_handout,
    right_to_left_text,
    untranslated_note,
)
from careplan.errors import SessionEndedError, SettingError
from careplan.fhir import bundle, to_json
from careplan.settings import clinic_from_env

me = ui.page("Export")
with ui.plain_errors():  # a database problem shows its message, not a crash

    _, visit = ui.need_visit()
    st.title("Export")
    plans = visits.plans(ui.database(), me, visit_id=visit)
    if not plans:
        st.info("There is no plan for this visit yet.")
        if st.button("Go to the care plan"):
            ui.go("care_plan")
        st.stop()
    current = plans[-1]
    plan_id = current.id
    if current.status != "signed":
        st.warning("This plan is not signed: the handout will say DRAFT.")
    if right_to_left_text(current.plan, review=current.review):
        st.warning(RIGHT_TO_LEFT_NOTE, icon=":material/format_textdirection_r_to_l:")
    stem = file_stem(mrn=current.intake.patient.mrn, visit_id=visit,
                     visit_date=current.plan.visit.date, version=current.number)


    def exported(what: str) -> None:
        """Audit a download against the plan's own patient (the visit decides, not the URL)."""
        try:
            visits.record_export(ui.database(), me, plan_id=plan_id, what=what, now=ui.now())
        except SessionEndedError:  # a callback: the run that follows shows the sign-in form
            ui.session_ended()


    def offer(
        label: str, data: bytes | str, name: str, mime: str, what: str, *, primary: bool = False,
    ) -> None:
        """One download; each one is recorded in the audit trail."""
        st.download_button(label, data, file_name=name, mime=mime, key=f"download-{what}",
                           on_click=exported, args=(what,),
                           type="primary" if primary else "secondary")


    tag = current.intake.patient.preferred_language
    language: Language = preferred_handout_language(tag)
    try:  # the same contact and locale as the headless command prints
        clinic = clinic_from_env()
    except SettingError as exc:  # never a handout that sends a patient to a placeholder phone
        st.error(f"The patient handout cannot be printed: {exc}.")
    else:
        choice = handout_choice(tag, locale=clinic.locale)
        if choice.note:
            st.info(f"The handout prints in English: {choice.note}.")
        language = st.radio(
            "Handout language", choice.offered, horizontal=True,
            key=f"handout-language-{plan_id}",
            format_func=lambda code: LANGUAGE_NAMES[code] + (
                " (the patient's language)" if code == handout_language(tag) else ""),
            help="The patient's preferred language comes first; the other on request.",
        )
        handout = patient_handout(current.plan, review=current.review, clinic=clinic,
                                  language=language)
        if language == "es":
            st.warning(SPANISH_NOT_REVIEWED, icon=":material/translate:")
        if note := untranslated_note(handout):
            st.warning(note)
        name, suffix = ("", "") if language == "en" else (f" in {LANGUAGE_NAMES[language]}",
                                                          f"-{language}")
        offer(f"Patient handout{name} (PDF)", render(handout), f"{stem}{suffix}.pdf",
              "application/pdf", f"handout{suffix}", primary=True)
        offer(f"Large-print handout{name} (PDF)", render(handout, large_print=True),
              f"{stem}{suffix}-large-print.pdf", "application/pdf", f"large-print{suffix}")
    offer("Clinician summary (PDF)",
          clinician_pdf(current.plan, review=current.review, handout_language=language),
          f"{stem}-summary.pdf", "application/pdf", "summary")
    offer("Plan (JSON)", current.plan.model_dump_json(indent=2), f"{stem}.json",
          "application/json", "json")

    # The bundle carries the intake this plan version was built from (stored with it).
    signed = current.status == "signed" and current.signed_at is not None
    offer("FHIR bundle (JSON)",
          to_json(bundle(intake=current.intake, plan=current.plan, review=current.review,
                         signed_by=current.signed_by if signed else None,
                         signed_on=current.signed_at.date() if signed and current.signed_at
                         else None)),
          f"{stem}-fhir.json", "application/fhir+json", "fhir")
