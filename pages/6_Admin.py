"""Admin: accounts, care teams, the audit trail and its break-the-glass records to review
(administrators only; every view is audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from careplan import accounts, admin, audit
from careplan.documents.csv_safe import to_csv
from careplan.errors import AccountError, StorageError

me = ui.page("Admin", admin=True)
with ui.plain_errors():  # a database problem shows its message, not a crash
    st.title("Admin")

    st.header("Accounts", anchor=False)
    users = admin.list_users(ui.database())
    st.dataframe(pd.DataFrame(
        [(u.username, u.display_name, u.role, u.team or "", "active" if u.active else "disabled",
          u.locked_until.isoformat() if u.locked_until else "") for u in users],
        columns=["User name", "Name", "Role", "Team", "State", "Known clients only until"],
    ), hide_index=True)
    with st.form("add-user", clear_on_submit=True):
        cols = st.columns(3)
        username = cols[0].text_input("User name", key="new-user")
        name = cols[1].text_input("Full name", key="new-user-name")
        role = cols[2].selectbox("Role", accounts.ROLES, key="new-user-role")
        password = st.text_input("First password (12 characters or more)", type="password",
                                 key="new-user-password")
        if st.form_submit_button("Add account"):
            try:
                ui.guarded(admin.add_user, ui.database(), me, username=username, display_name=name,
                           role=role, password=password, now=ui.now())
                st.success(f"Added {ui.md(username)}.")
            except (AccountError, StorageError) as error:
                st.error(str(error))
    others = [u.username for u in users if u.username != me.username]
    if others:
        pick, disable, enable = st.columns([2, 1, 1])
        chosen = pick.selectbox("Account", others, key="manage-user")
        if disable.button("Disable", key="disable-user"):
            ui.guarded(admin.set_active, ui.database(), me, username=chosen, active=False,
                       now=ui.now())
            st.rerun()
        if enable.button("Enable", key="enable-user"):
            ui.guarded(admin.set_active, ui.database(), me, username=chosen, active=True,
                       now=ui.now())
            st.rerun()
    st.caption("Members of a care team share access to the patients any of them created or "
               "worked on a visit of. Leave the team blank for none.")
    with st.form("set-team"):
        member, team_box = st.columns(2)
        who_in = member.selectbox("Account", [u.username for u in users], key="team-user")
        team = team_box.text_input("Care team", key="team-name")
        if st.form_submit_button("Set the team"):
            try:
                kept = ui.guarded(admin.set_team, ui.database(), me, username=who_in,
                                  team=team, now=ui.now())
            except (AccountError, StorageError) as error:
                st.error(str(error))
            else:  # drawn again, so the accounts table above shows the new team
                st.session_state["team-notice"] = (f"{ui.md(who_in)} is in team {ui.md(kept)}."
                                                   if kept else f"{ui.md(who_in)} is in no team.")
                st.rerun()
    if notice := st.session_state.pop("team-notice", None):
        st.success(notice)

    st.header("Audit trail", anchor=False)
    cols = st.columns(3)
    names = sorted({u.username for u in users})
    who = cols[0].selectbox("User", ["(all)", *names], key="audit-user")
    action = cols[1].selectbox("Action", ["(all)", *audit.ACTIONS], key="audit-action")
    patient = cols[2].number_input("Patient id", min_value=1, value=None, step=1,
                                   key="audit-patient")
    trail = ui.guarded(
        admin.trail, ui.database(), me, user=None if who == "(all)" else who,
        action=None if action == "(all)" else action,
        patient_id=None if patient is None else int(patient), limit=500,
        audited=bool(st.session_state.get("audited_audit_view")), now=ui.now())
    st.session_state["audited_audit_view"] = True
    if trail.problems:
        st.error("The audit trail is broken: " + "; ".join(trail.problems))
    else:
        st.success(f"The audit trail is intact: {trail.total} records, hash chain verified.")
    table = [(r.seq, r.at.isoformat(timespec="seconds"), r.user, r.action, r.patient_id or "",
              r.outcome, r.detail) for r in trail.shown]
    header = ["#", "When (UTC)", "User", "Action", "Patient", "Outcome", "Detail"]
    st.dataframe(pd.DataFrame(table, columns=header), hide_index=True)
    st.download_button("Download as CSV", to_csv(header, table), file_name="audit-trail.csv",
                       mime="text/csv", key="audit-csv")

    st.header("Break the glass", anchor=False)
    st.caption("Every record opened with a reason by someone who had not seen the patient, "
               "newest first. Review each reason.")
    if not trail.glass:
        st.info("No record has been opened with a reason.")
    else:
        st.dataframe(pd.DataFrame(
            [(r.at.isoformat(timespec="seconds"), r.user, r.patient_id, r.detail)
             for r in trail.glass],
            columns=["When (UTC)", "User", "Patient", "Reason"]), hide_index=True)
