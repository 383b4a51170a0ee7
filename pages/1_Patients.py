"""Patients: find by any part of the name, date of birth or MRN, open, or create; returning
patients start pre-filled."""

from __future__ import annotations

from datetime import date

import streamlit as st

import ui
from careplan import access, patients, visits
from careplan.errors import DuplicatePatientError, InputError, StorageError
from careplan.intake import form

LANGUAGE = form.entry("patient.preferred_language")  # its label and options, defined once

me = ui.page("Patients")
with ui.plain_errors():  # a database problem shows its message, not a crash


    def open_intake(patient: int, visit: int, request: str) -> None:
        """After a visit was made (and audited): close its request id and go to the intake."""
        ui.done(request)
        ui.choose(patient=patient, visit=visit)
        ui.go("intake")


    def create(name: str, born: date, mrn: str | None, language: str, *, anyway: bool) -> None:
        """Create the patient and go to the intake; a likely duplicate is asked about first
        (``duplicate``: the question, the form values it was asked for, and the patients it
        may be, each to open in one click)."""
        try:
            new_id, visit = ui.guarded(
                patients.create_with_visit, ui.database(), me, name=name, date_of_birth=born,
                mrn=mrn, visit_date=ui.today(), request_id=ui.request_id("create"),
                now=ui.now(), create_anyway=anyway, preferred_language=language)
        except DuplicatePatientError as error:
            st.session_state["duplicate"] = (str(error), (name, born, mrn, language),
                                             [existing(i) for i in error.matches])
            return
        except InputError as error:
            st.error(ui.md(str(error)))
            return
        except StorageError as error:
            ui.show_storage_error(error)
            return
        st.session_state.pop("duplicate", None)
        open_intake(new_id, visit, "create")


    def existing(patient_id: int) -> tuple[int, str]:
        """A likely duplicate as a button names it: by name if the clinician may open it, by
        record number otherwise (opening it then asks for a reason, audited)."""
        if access.may_open(ui.database(), me, patient_id=patient_id):
            row = patients.get(ui.database(), me, patient_id=patient_id)
            mrn = f", MRN {row.mrn}" if row.mrn else ""
            return patient_id, (f"Open {ui.md(row.name)}, born {row.date_of_birth.isoformat()}"
                                f"{ui.md(mrn)}")
        return patient_id, f"Open patient record #{patient_id} (with a reason)"


    st.title("Patients")
    query = st.text_input("Find a patient by name, date of birth or MRN", key="patient-search",
                          placeholder="Any part of the name (accents optional), a date of birth "
                                      "(1968-03-14), or an MRN")
    try:
        found = patients.find(ui.database(), me, query=query)
    except InputError as error:
        st.error(str(error))
        found = patients.Found([], [])
    total = patients.count(ui.database())

    if query.strip() and not found.shown and not found.others:
        st.info("No patient matches. Check the spelling, or create the patient below.")
    for row in found.shown:
        left, right = st.columns([4, 1])
        last = row.last_visit.isoformat() if row.last_visit else "no visits yet"
        left.markdown(f"**{ui.md(row.name)}** · born {row.date_of_birth.isoformat()} · "
                      f"MRN {ui.md(row.mrn or '—')} · last visit {last}")
        if right.button("Open", key=f"open-{row.id}"):
            ui.choose(patient=row.id, visit=None)
            st.rerun()
    if found.others:
        more = len(found.others)
        count = (f"More than {more} other patients match" if found.more else
                 f"{more} more {'patient matches' if more == 1 else 'patients match'}")
        st.info(f"{count} that neither you nor your care team has seen, so they are not shown. "
                "Narrow the search (more of the name, the date of birth, or the MRN), or open "
                "a record with a reason (audited).", icon=":material/lock:")
        for other in found.others[:5]:
            if st.button(f"Open record #{other} with a reason", key=f"glass-{other}"):
                ui.choose(patient=other, visit=None)
                st.rerun()

    patient_id, visit_id = ui.selection()
    if patient_id is not None:
        st.divider()
        patient = patients.get(ui.database(), me, patient_id=patient_id)
        history = patients.history(ui.database(), me, patient_id=patient_id)
        st.header(ui.md(patient.name), anchor=False)
        open_visits = history[~history["signed"]]
        if not open_visits.empty:
            latest = int(open_visits.iloc[-1]["visit_id"])
            when = open_visits.iloc[-1]["visit_date"].date().isoformat()
            if st.button(f"Continue the visit of {when}", type="primary", key="continue-visit"):
                ui.choose(patient=patient_id, visit=latest)
                ui.go("intake")
        label = ("Start a new visit (pre-filled from the last one)" if len(history)
                 else "Start a visit")
        if st.button(label, key="start-visit"):
            try:
                visit = ui.guarded(visits.start, ui.database(), me, patient_id=patient_id,
                                   visit_date=ui.today(), request_id=ui.request_id("start"),
                                   now=ui.now())
                open_intake(patient_id, visit, "start")
            except StorageError as error:
                ui.show_storage_error(error)

    st.divider()
    st.header("New patient", anchor=False)
    if total == 0:
        st.caption("There are no patients yet. Create the first one here.")
    with st.form("new-patient", clear_on_submit=False):
        left, right = st.columns([2, 1])
        name = left.text_input("Full name *", key="new-name")
        language = right.selectbox(
            LANGUAGE.label, LANGUAGE.options, key="new-language", help=LANGUAGE.help,
            format_func=LANGUAGE.option_label,
            index=LANGUAGE.options.index(patients.DEFAULT_LANGUAGE))
        born = st.date_input("Date of birth *", value=None, min_value=form.FIRST_DATE,
                             max_value=ui.today(), format="YYYY-MM-DD", key="new-born")
        mrn = st.text_input("MRN (optional)", key="new-mrn")
        created = st.form_submit_button("Create patient and start a visit", type="primary")
    if created:
        st.session_state.pop("duplicate", None)
        if not name.strip() or born is None:
            st.error("Full name and date of birth are required.")
        else:
            create(name, born, mrn.strip() or None, language, anyway=False)
    if duplicate := st.session_state.get("duplicate"):
        # The form's values as submitted (a form sends its fields only when submitted): the
        # button names who it creates, and submitting the form again asks again. Or open the
        # patient it may be, in one click (one they may not open asks for a reason).
        question, (asked_name, asked_born, asked_mrn, asked_language), offers = duplicate
        st.warning(ui.md(question), icon=":material/content_copy:")
        for offer_id, offer in offers:
            if st.button(offer, key=f"open-existing-{offer_id}", type="primary",
                         icon=":material/person_search:"):
                st.session_state.pop("duplicate", None)
                ui.choose(patient=offer_id, visit=None)
                st.rerun()
        if st.button(f"Create anyway: {ui.md(asked_name)}, born {asked_born.isoformat()}",
                     key="create-anyway"):
            create(asked_name, asked_born, asked_mrn, asked_language, anyway=True)
