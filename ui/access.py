"""The refusal shown for a patient the user may not open, with the way through: a reason,
audited as break the glass.

Why in the frame and not in each page: a page never draws a patient the user may not open,
whatever the link or URL; the use cases refuse such reads and writes as well.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from careplan import access, actions
from careplan.accounts import SignedIn
from careplan.errors import ReasonError
from ui.auth import guarded
from ui.state import choose, database, now

REASON_KEY: Final = "glass-reason"


def may_open(who: SignedIn, patient_id: int) -> bool:
    """Whether ``who`` may open the patient; remembered for the session once true (access is
    never taken back while signed in, and every use case checks again)."""
    if st.session_state.get("may_open") == patient_id:
        return True
    if access.may_open(database(), who, patient_id=patient_id):
        st.session_state["may_open"] = patient_id
        return True
    return False


def refusal(who: SignedIn, patient_id: int, *, patients_page: str) -> None:
    """Say why the record is closed and offer to open it with a reason; then stop the page.

    The refused attempt is audited once per patient per session (each rerun is not a new
    attempt)."""
    if st.session_state.get("refused_audited") != patient_id:
        guarded(actions.record, database(), who, actions.Record(
            "access_denied", patient_id=patient_id, outcome="denied", detail="record opened"),
            now=now())
        st.session_state["refused_audited"] = patient_id
    st.title("No access to this patient")
    st.error(f"Patient record #{patient_id}: neither you nor your care team has seen this "
             "patient, so the record is not shown.", icon=":material/lock:")
    st.markdown("If you need it (an emergency, a colleague's patient), give the reason and open "
                "it. The reason is kept in the audit trail and reviewed by the administrators.")
    reason = st.text_area("Reason for opening this record (required)", key=REASON_KEY,
                          max_chars=access.MAX_REASON, height=80)
    left, right = st.columns(2)
    if left.button("Break the glass and open the record", type="primary", key="break-glass"):
        try:
            guarded(access.break_the_glass, database(), who, patient_id=patient_id,
                    reason=reason, now=now())
        except ReasonError as error:
            st.error(str(error))
        else:
            st.session_state.pop(REASON_KEY, None)
            st.session_state["may_open"] = patient_id
            st.rerun()
    if right.button("Back to the patient list", key="glass-back"):
        choose(patient=None, visit=None)
        st.switch_page(patients_page)
    st.stop()
