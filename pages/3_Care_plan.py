"""Care plan: alerts first (acknowledge the urgent ones), then every recommendation, open,
with its decision inline; then sign, which waits until nothing is left undecided."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import streamlit as st

import ui
from careplan import settings, visits
from careplan.clinical.plan import DOMAINS, Alert, Recommendation
from careplan.clinical.review import (
    AddedRecommendation,
    Decision,
    Item,
    PlanChanges,
    Review,
    blockers,
    needs_acknowledgement,
    plan_changes,
    same_proposal,
)
from careplan.documents.report import CLINICIAN_HEADINGS
from careplan.errors import (
    ConflictError,
    InputError,
    IntakeError,
    NotReadyToSignError,
    StorageError,
)
from careplan.intake import form
from careplan.intake.model import RED_FLAGS

CHOICES: Final = ("Accept", "Reject", "Edit")
ACTION_OF: Final = {"Accept": "accept", "Reject": "reject", "Edit": "edit"}
CHOICE_OF: Final = {action: choice for choice, action in ACTION_OF.items()}
BADGES: Final = {  # the status of an item as a badge (Markdown directive)
    None: ":gray-badge[Not reviewed]",
    "accept": ":green-badge[:material/check: Accepted]",
    "reject": ":red-badge[:material/close: Rejected]",
    "edit": ":blue-badge[:material/edit: Edited]",
}
STATUS: Final = {None: "not reviewed", "accept": "accepted", "reject": "rejected",
                 "edit": "edited"}
TOUCHED: Final = "review-touched"  # items whose controls changed in this run (callbacks)


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def listing(items: tuple[Item, ...]) -> str:
    return ", ".join(f"“{ui.md(i.title)}”" for i in items)


def changes_in_words(changes: PlanChanges, *, before: Review | None) -> list[str]:
    """One line per kind of change; a removed or reworded item says what it was decided."""

    def was(item: Item) -> str:
        decision = None if before is None else before.decision_for(item.id)
        return "" if decision is None else f" (was {STATUS[decision.action]})"

    lines: list[str] = []
    if changes.added:
        lines.append(f"**Added:** {listing(changes.added)}")
    if changes.removed:
        lines.append("**Removed:** " + ", ".join(f"“{ui.md(i.title)}”{was(i)}"
                                                  for i in changes.removed))
    if changes.reworded:
        lines.append("**Reworded, to review again:** " + ", ".join(
            f"“{ui.md(i.title)}”{was(i)}" for i in changes.reworded))
    alerts = tuple(i for i in changes.reasons if isinstance(i, Alert))
    if alerts:
        lines.append(f"**Alerts with other facts behind them, to acknowledge again:** "
                     f"{listing(alerts)}")
    recs = tuple(i for i in changes.reasons if not isinstance(i, Alert))
    if recs:
        lines.append(f"**Same words, other facts behind them (decision kept):** {listing(recs)}")
    return lines


def touched(item_id: str) -> None:
    """Callback of an item's controls: this run acts on what the clinician changed only."""
    st.session_state.setdefault(TOUCHED, set()).add(item_id)


me = ui.page("Care plan")
with ui.plain_errors():  # a database problem shows its message, not a crash

    _, visit = ui.need_visit()
    st.title("Care plan")
    check = ui.load_draft(visit).preview  # made once per saved draft, shared with the Intake page
    plans = visits.plans(ui.database(), me, visit_id=visit)
    if not check.complete:
        missing = "; ".join(f"{form.label_of(path)} ({message})" for path, message in
                            sorted(check.problems.items(), key=lambda p: form.order_of(p[0])))
        st.warning("The intake is not complete yet, so no plan can be built. Finish or "
                   f"correct: {ui.md(missing)}.")
        if st.button("Back to the intake"):
            ui.go("intake")
        st.stop()

    current = plans[-1] if plans else None
    stale = current is not None and not same_proposal(current.plan, check.plan)
    if current is None or (stale and current.status == "draft"):
        if current is not None and check.plan is not None:
            coming = plan_changes(current.plan, check.plan)
            lines = changes_in_words(coming, before=current.review) or [
                "No item changes: only scores or facts the items do not show."]
            st.info(f"**The intake changed after version {current.number} was made.** "
                    "Rebuilding keeps the decisions on unchanged items and the acknowledgements "
                    "of unchanged alerts, and changes these:  \n" + "  \n".join(lines),
                    icon=":material/update:")
        label = "Build the care plan" if current is None else "Rebuild from the changed intake"
        if st.button(label, type="primary", key="build-plan"):
            try:
                ui.guarded(visits.build_plan_version, ui.database(), me, visit_id=visit,
                           today=ui.today(), request_id=ui.request_id(f"plan-{visit}-{len(plans)}"),
                           now=ui.now())
                st.rerun()
            except IntakeError as error:
                st.error("The plan was not built: " + ui.md("; ".join(
                    f"{form.label_of(p.path)}: {p.message}" for p in error.problems)) + ".")
            except StorageError as error:
                st.error(str(error))
    if current is None:
        st.stop()
    plan = current.plan
    plan_id = current.id  # read by the widgets below (a function does not see `current` narrowed)
    signed = current.status == "signed"
    stored = current.review or Review()
    words = visits.patient_words(plan, stored, locale=settings.current().locale)
    proposed = visits.patient_words(plan, None, locale=settings.current().locale)
    previous = plans[-2] if len(plans) > 1 else None
    since = None if previous is None or signed else plan_changes(previous.plan, plan)

    if signed:
        signer = ui.md(current.signed_by or "")
        at = when(current.signed_at) if current.signed_at else ""
        st.success(f"Version {current.number}, signed by {signer} at {at}. "
                   "A signed plan cannot change.")
        if stale:
            st.info("The intake changed after this plan was signed. Revise it to make a new "
                    "version, then rebuild it from the changed intake.")
        with st.container(horizontal=True):
            if st.button("Go to export", type="primary", key="to-export",
                         icon=":material/download:"):
                ui.go("export")
            if st.button("Revise (makes a new version)", key="revise"):
                ui.guarded(visits.revise, ui.database(), me, plan_id=current.id,
                           request_id=ui.request_id(f"revise-{current.id}"), now=ui.now())
                st.rerun()
    elif since and previous is not None:
        st.info(f"**Rebuilt from the changed intake: what changed since version "
                f"{previous.number}.** Decisions on unchanged items were kept.  \n"
                + "  \n".join(changes_in_words(since, before=previous.review)),
                icon=":material/difference:")

    ready = blockers(plan, current.review, current.intake, intake_changed=stale)
    if ready.red_flags and not signed:
        st.error(f"**{len(ready.red_flags)} of {len(RED_FLAGS)} red-flag questions were not "
                 "asked**, so a serious cause is not ruled out and the plan cannot be signed. "
                 "Ask them on the Intake page (Red flags), then rebuild the plan.",
                 icon=":material/emergency:")
        if st.button("Ask the red-flag questions", key="to-red-flags"):
            ui.go("intake")

    current_version = current.version

    def acknowledge(alert: Alert) -> None:
        try:
            ui.guarded(visits.acknowledge, ui.database(), me, plan_id=plan_id,
                       alert_id=alert.id, expected_version=current_version, now=ui.now())
            st.rerun()
        except (StorageError, InputError) as error:
            st.error(str(error))

    if plan.alerts:
        st.header("Alerts", anchor=False)
    for alert in plan.alerts:
        with st.container(key=f"alert-{alert.id}"):
            show = {"emergency": st.error, "urgent": st.warning}.get(alert.severity, st.info)
            show(f"**{alert.severity.upper()} ({alert.timeframe.replace('_', ' ')}): "
                 f"{alert.title}.** {alert.action}  \n"
                 f"**For the patient:** {ui.md(words[alert.id])}  \n"
                 f"**Because:** {ui.md('; '.join(alert.because))} · **Source:** "
                 f"{ui.md(alert.source)} · "
                 f"`{alert.id}`", icon=":material/emergency:")
            if needs_acknowledgement(alert):
                mark = stored.acknowledgement_of(alert)
                if mark is not None:
                    st.caption(f":green[:material/check_circle:] Acknowledged by "
                               f"{ui.md(mark.by)} at {when(mark.at)}.")
                elif signed:
                    st.caption("Not acknowledged.")
                elif st.button(f"Acknowledge this {alert.severity} alert",
                               key=f"ack:{plan_id}:{alert.id}", icon=":material/task_alt:"):
                    acknowledge(alert)
    if plan.screens_not_done:
        st.caption("Screens not done: " + ui.md("; ".join(plan.screens_not_done)))

    # --- the recommendations ------------------------------------------------------------
    changed_now: set[str] = st.session_state.pop(TOUCHED, set())
    unfinished: dict[str, str] = {}  # item id -> what is missing, for decisions not saved yet
    reworded = {} if since is None else {i.id: i for i in since.reworded}

    def keys(rec: Recommendation) -> tuple[str, str, str]:
        return (f"dec:{plan_id}:{rec.id}", f"why:{plan_id}:{rec.id}", f"txt:{plan_id}:{rec.id}")

    def wanted(rec: Recommendation) -> tuple[Decision | None, str | None]:
        """The decision the item's controls show, or why it is not complete yet (then it is
        not saved: an edit is saved with its own text and reason, never the proposed text)."""
        choice_key, reason_key, text_key = keys(rec)
        choice = st.session_state.get(choice_key)
        if choice is None or choice == "Accept":
            return (None if choice is None else Decision(item_id=rec.id, action="accept")), None
        reason = str(st.session_state.get(reason_key) or "").strip()
        text = str(st.session_state.get(text_key) or "").strip()
        if choice == "Reject" and not reason:
            return None, "Give a reason to reject this item; it is not saved until then."
        if choice == "Edit":
            missing = []
            if not text or text in (rec.patient_text, proposed[rec.id]):
                missing.append("change the text for the patient")
            if not reason:
                missing.append("give a reason")
            if missing:
                return None, (" and ".join(missing).capitalize()
                              + "; the edit is not saved until then.")
        try:
            if choice == "Reject":
                return Decision(item_id=rec.id, action="reject", reason=reason), None
            return Decision(item_id=rec.id, action="edit", reason=reason, patient_text=text), None
        except ValueError as error:
            return None, str(error).split("\n")[-1]

    def show_saved(rec: Recommendation, *only: str) -> None:
        """Set the item's controls (or ``only`` these keys) to its saved decision. Through
        session state, so the browser shows it as well (a widget's own default would not
        replace what the browser holds)."""
        decision = stored.decision_for(rec.id)
        choice_key, reason_key, text_key = keys(rec)
        saved = {choice_key: None if decision is None else CHOICE_OF[decision.action],
                 reason_key: (decision.reason or "") if decision is not None else "",
                 text_key: words[rec.id]}
        for key, value in saved.items():
            if not only or key in only:
                st.session_state[key] = value

    def in_sync(rec: Recommendation) -> None:
        """Controls drawn for the first time, or showing neither the saved decision nor
        unfinished typing (another tab saved since, or 'Accept all remaining'), are set to
        the saved decision."""
        if rec.id in changed_now:
            return
        if keys(rec)[0] not in st.session_state:
            show_saved(rec)
            return
        decision, missing = wanted(rec)
        if missing is None and decision != stored.decision_for(rec.id):
            show_saved(rec)

    def save(rec: Recommendation, decision: Decision | None) -> None:
        try:
            ui.guarded(visits.decide, ui.database(), me, plan_id=plan_id, item_id=rec.id,
                       decision=decision, expected_version=current_version, now=ui.now())
            st.rerun()
        except ConflictError as error:
            who = ("you, in another tab or window" if error.changed_by == me.display_name
                   else ui.md(error.changed_by))
            unfinished[rec.id] = (f"Not saved: this plan's review was changed by {who} at "
                                  f"{when(error.changed_at)}. The page now shows it; choose "
                                  "again.")
        except (StorageError, InputError) as error:
            unfinished[rec.id] = f"Not saved: {error}"

    recs = plan.recommendations
    for rec in recs:
        in_sync(rec)
    waiting = tuple(r.id for r in recs if stored.decision_for(r.id) is None
                    and st.session_state.get(keys(r)[0]) in (None, "Accept"))
    decided = sum(stored.decision_for(r.id) is not None for r in recs)
    if recs:
        st.header("Recommendations", anchor=False)
        with st.container(horizontal=True, vertical_alignment="center"):
            if decided == len(recs):
                st.markdown(f"**All {len(recs)} reviewed.**")
            else:
                st.markdown(f"**{decided} of {len(recs)} reviewed.** Nothing is accepted until "
                            "you decide it.")
            if waiting and not signed and st.button(
                    f"Accept all remaining ({len(waiting)})", key="accept-remaining",
                    icon=":material/done_all:"):
                try:
                    ui.guarded(visits.accept_remaining, ui.database(), me, plan_id=plan_id,
                               item_ids=waiting, expected_version=current_version,
                               now=ui.now())
                    st.rerun()  # the next run sets their controls to Accept (in_sync)
                except (StorageError, InputError) as error:
                    st.error(str(error))

    def draw(rec: Recommendation) -> None:
        """One recommendation, open: status, patient text, why, source, then its decision."""
        decision = stored.decision_for(rec.id)
        with st.container(border=True, key=f"item-{rec.id}"):
            status = BADGES[None if decision is None else decision.action]
            st.markdown(f"**{ui.md(rec.title)}** {status} `{rec.id}`")
            if rec.id in reworded and previous is not None:
                before = None if previous.review is None else previous.review.decision_for(rec.id)
                if before is not None:
                    said = f" ({ui.md(before.reason)})" if before.reason else ""
                    was = next(r for r in previous.plan.recommendations if r.id == rec.id)
                    st.caption(f":material/history: Reworded since version {previous.number}, "
                               f"where it was {STATUS[before.action]}{said}; it said: "
                               f"“{ui.md(was.patient_text)}” Decide it again.")
            if decision is not None and decision.action == "reject":
                st.markdown(f":gray[Not on the handout (rejected): {ui.md(words[rec.id])}]")
            else:
                st.markdown(f":gray[For the patient:] {ui.md(words[rec.id])}")
            if decision is not None and decision.action == "edit":
                st.caption(f"Proposed: {ui.md(proposed[rec.id])}")
            st.caption(f"{ui.md(rec.clinician_note)}  \nBecause: {ui.md('; '.join(rec.because))}"
                       f" · Source: {ui.md(rec.source)}")
            if signed:
                if decision is not None and decision.reason:
                    st.caption(f"Reason: {ui.md(decision.reason)}")
                return
            choice_key, reason_key, text_key = keys(rec)
            choice = st.segmented_control(
                f"Decision on {rec.title}", CHOICES, key=choice_key,
                label_visibility="collapsed", on_change=touched, args=(rec.id,))
            if choice in ("Reject", "Edit"):
                if reason_key not in st.session_state:  # shown again after a while
                    show_saved(rec, reason_key)
                st.text_input("Reason (required)", key=reason_key, on_change=touched,
                              args=(rec.id,), placeholder="Why, in a few words")
            if choice == "Edit":
                if text_key not in st.session_state:
                    show_saved(rec, text_key)
                st.text_area("Text for the patient", key=text_key, on_change=touched,
                             args=(rec.id,))
            want, missing = wanted(rec)
            if missing is None and want != decision and rec.id in changed_now:
                save(rec, want)
            missing = unfinished.get(rec.id, missing)
            if missing is not None:
                unfinished[rec.id] = missing
                st.warning(missing, icon=":material/edit_note:")

    for domain in DOMAINS:
        in_domain = plan.by_domain(domain)
        if in_domain:
            st.subheader(CLINICIAN_HEADINGS[domain], anchor=False)
            for rec in in_domain:
                draw(rec)

    if plan.withheld:
        st.caption("Held back by a stricter item, or as a repeat of a printed one, so the "
                   "patient does not see them:  \n"
                   + "  \n".join(f"`{w.id}`: {ui.md(w.reason.removeprefix('held back: '))}"
                                  for w in plan.withheld))

    added = list(stored.added)
    if added:
        st.subheader("Your own recommendations", anchor=False)
    for own in added:
        st.markdown(f"- **{ui.md(own.title)}** :violet-badge[Added] "
                    f"({CLINICIAN_HEADINGS[own.domain]}): {ui.md(own.patient_text)} "
                    f"_(reason: {ui.md(own.reason)})_")
    if not signed:
        with st.expander("Add a recommendation of your own", icon=":material/add:"), \
                st.form("add-rec", clear_on_submit=True, border=False):
            domain = st.selectbox("Domain", DOMAINS, format_func=lambda d: CLINICIAN_HEADINGS[d],
                                  key="add-domain")
            title = st.text_input("Title", key="add-title")
            text = st.text_area("Text for the patient", key="add-text")
            reason = st.text_input("Reason", key="add-reason")
            if st.form_submit_button("Add"):
                try:
                    own = AddedRecommendation(domain=domain, title=title, patient_text=text,
                                              reason=reason)
                except ValueError:
                    st.error("Title, text for the patient and reason are all required.")
                else:
                    try:
                        ui.guarded(visits.review, ui.database(), me, plan_id=plan_id,
                                   decisions=stored.model_copy(update={"added": (*added, own)}),
                                   expected_version=current_version, now=ui.now())
                        st.rerun()
                    except StorageError as error:
                        st.error(str(error))

    # --- signing ------------------------------------------------------------------------
    if not signed:
        st.divider()
        why = ready.summary()
        if unfinished:
            why = ", ".join(filter(None, [why, f"{len(unfinished)} decision"
                                          f"{'' if len(unfinished) == 1 else 's'} not finished"]))
        with st.container(horizontal=True, vertical_alignment="center", key="sign-row"):
            pressed = st.button("Sign the plan", type="primary", key="sign",
                                disabled=bool(why), icon=":material/signature:")
            if why:
                st.markdown(f":red[:material/block:] **Not ready to sign:** {ui.md(why)}.")
            else:
                urgent = any(needs_acknowledgement(a) for a in plan.alerts)
                st.markdown(":green[:material/check_circle:] **Ready to sign:** every item is "
                            "reviewed" + (" and every urgent alert acknowledged." if urgent
                                          else "."))
        if pressed:
            try:
                ui.guarded(visits.sign, ui.database(), me, plan_id=plan_id,
                           expected_version=current_version,
                           request_id=ui.request_id(f"sign-{plan_id}"), now=ui.now())
                st.rerun()
            except NotReadyToSignError as error:
                st.error(str(error))
            except StorageError as error:
                st.error(str(error))
