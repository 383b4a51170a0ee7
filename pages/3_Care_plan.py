"""Care plan: alerts first (acknowledge the urgent ones), then every recommendation, open,
with its decision inline; then sign, which waits until nothing is left undecided."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

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
    AccessDeniedError,
    ConflictError,
    InputError,
    IntakeError,
    NotReadyToSignError,
    SessionEndedError,
    StorageError,
)
from careplan.intake import form
from careplan.intake.model import NOTE_MAX_CHARS, RED_FLAGS

if TYPE_CHECKING:
    from careplan.accounts import SignedIn
    from careplan.storage import Unfinished

CHOICES: Final = ("Accept", "Reject", "Edit")
ACTION_OF: Final = {"Accept": "accept", "Reject": "reject", "Edit": "edit"}
CHOICE_OF: Final = {action: choice for choice, action in ACTION_OF.items()}
BADGES: Final = {  # the status of an item as a badge (Markdown directive)
    None: ":gray-badge[Not reviewed]",
    "accept": ":green-badge[:material/check: Accepted]",
    "reject": ":red-badge[:material/close: Rejected]",
    "edit": ":blue-badge[:material/edit: Edited]",
}
UNFINISHED: Final = {"reject": "rejection", "edit": "edit"}  # "an unfinished edit"
STATUS: Final = {None: "not reviewed", "accept": "accepted", "reject": "rejected",
                 "edit": "edited"}
TOUCHED: Final = "review-touched"  # items whose controls changed in this run (callbacks)
UNFINISHED_ACTION: Final[dict[str, visits.ReviewAction]] = {"Reject": "reject", "Edit": "edit"}
# Unfinished typing kept in the database (visits.keep_unfinished): what this session last
# showed or kept of each (plan id, item id), to see it changed elsewhere (another tab); and
# why what was typed at an item was not kept, said there.
SEEN: Final = "review-typing-seen"
NOT_KEPT: Final = "review-typing-not-kept"
ADDING: Final = "+new"  # the add-item form, in SEEN and NOT_KEPT
ADD_KEYS: Final = ("add-domain", "add-title", "add-text", "add-reason")


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


def item_keys(plan_id: int, item_id: str) -> tuple[str, str, str]:
    """The session-state keys of an item's decision, reason and text for the patient."""
    return f"dec:{plan_id}:{item_id}", f"why:{plan_id}:{item_id}", f"txt:{plan_id}:{item_id}"


def shown(kept: Unfinished | None) -> tuple[str | None, ...] | None:
    """Kept typing as the controls show it, to compare what is kept with what was seen."""
    if kept is None:
        return None
    return kept.action, kept.reason, kept.patient_text, kept.domain, kept.title


def keep(plan_id: int, item_id: str, save: Callable[[SignedIn], Unfinished | None]) -> None:
    """Keep what is typed at an item now, from its widget's callback: a callback runs even
    when the click that ends the typing goes to another page, or a refresh follows, before
    this page runs again. Why it was not kept is said at the item; the typing stays."""
    who = ui.actor()
    if who is None:
        return
    refused: dict[str, str] = st.session_state.setdefault(NOT_KEPT, {})
    try:
        kept = save(who)
    except SessionEndedError:
        ui.session_ended()
        return
    except (StorageError, InputError, AccessDeniedError) as error:
        refused[item_id] = str(error)
        return
    refused.pop(item_id, None)
    st.session_state.setdefault(SEEN, {})[(plan_id, item_id)] = shown(kept)


def typed(plan_id: int, item_id: str) -> None:
    """Callback of an item's controls: this run acts on this item, and the Reject or Edit
    chosen, the reason and the text typed are kept at once, finished or not (Accept, or
    nothing chosen, drops them)."""
    touched(item_id)
    choice_key, reason_key, text_key = item_keys(plan_id, item_id)
    action = UNFINISHED_ACTION.get(str(st.session_state.get(choice_key)))
    text = st.session_state.get(text_key) if action == "edit" else None
    keep(plan_id, item_id, lambda who: visits.keep_unfinished(
        ui.database(), who, plan_id=plan_id, item_id=item_id, action=action,
        reason=str(st.session_state.get(reason_key) or ""),
        patient_text=None if text is None else str(text), now=ui.now()))


def add_typed(plan_id: int) -> None:
    """Callback of the add-item form's fields: what is typed there is kept at once."""
    domain, title, text, reason = (str(st.session_state.get(k) or "") for k in ADD_KEYS)
    keep(plan_id, ADDING, lambda who: visits.keep_unfinished_addition(
        ui.database(), who, plan_id=plan_id, domain=domain, title=title, patient_text=text,
        reason=reason, now=ui.now()))


def add_cleared(plan_id: int) -> None:
    """"Clear" in the add-item form: its fields empty, and nothing kept."""
    for key in ADD_KEYS[1:]:
        st.session_state[key] = ""
    add_typed(plan_id)


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
    typing = (visits.UnfinishedTyping({}, None, ()) if signed
              else visits.unfinished_typing(ui.database(), me, plan_id=plan_id))
    seen: dict[tuple[int, str], tuple[str | None, ...] | None] = st.session_state.setdefault(
        SEEN, {})
    not_kept: dict[str, str] = st.session_state.get(NOT_KEPT, {})

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
        return item_keys(plan_id, rec.id)

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

    def show_kept(rec: Recommendation, kept: Unfinished) -> None:
        """Set the item's controls to the unfinished typing kept for it."""
        choice_key, reason_key, text_key = keys(rec)
        st.session_state[choice_key] = CHOICE_OF[kept.action or "edit"]
        st.session_state[reason_key] = kept.reason
        if kept.action == "edit":
            st.session_state[text_key] = (words[rec.id] if kept.patient_text is None
                                          else kept.patient_text)

    def in_sync(rec: Recommendation) -> None:
        """Controls drawn for the first time (in this session, or again after another page),
        or whose kept unfinished typing changed elsewhere (another tab), show that typing,
        else the saved decision; finished typing that a run cut short never saved is saved
        now. Controls showing neither the saved decision nor unfinished typing (another tab
        saved since, or 'Accept all remaining') are set to the saved decision."""
        if rec.id in changed_now:
            return
        kept = typing.decisions.get(rec.id)
        if keys(rec)[0] not in st.session_state or seen.get((plan_id, rec.id)) != shown(kept):
            seen[(plan_id, rec.id)] = shown(kept)
            if kept is None:
                show_saved(rec)
                return
            show_kept(rec, kept)
            decision, missing = wanted(rec)
            if missing is None and decision != stored.decision_for(rec.id):
                changed_now.add(rec.id)  # draw() saves it
            return
        decision, missing = wanted(rec)
        if missing is None and decision != stored.decision_for(rec.id):
            show_saved(rec)

    def forget(rec: Recommendation) -> None:
        """Drop the kept typing of an item whose controls show its saved decision."""
        try:
            ui.guarded(visits.keep_unfinished, ui.database(), me, plan_id=plan_id,
                       item_id=rec.id, action=None, reason="", patient_text=None,
                       now=ui.now())
            seen[(plan_id, rec.id)] = None
        except (StorageError, InputError) as error:
            unfinished[rec.id] = f"Not saved: {error}"

    def save(rec: Recommendation, decision: Decision | None) -> None:
        try:
            ui.guarded(visits.decide, ui.database(), me, plan_id=plan_id, item_id=rec.id,
                       decision=decision, expected_version=current_version, now=ui.now())
            seen[(plan_id, rec.id)] = None  # the decision dropped the typing kept for it
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
            for other in (o for o in typing.others if o.item_id == rec.id):
                st.caption(f":material/edit_note: {ui.md(other.by)} has an unfinished "
                           f"{UNFINISHED[other.action or 'edit']} of this item, not saved "
                           "(theirs: not shown here).")
            if signed:
                if decision is not None and decision.reason:
                    st.caption(f"Reason: {ui.md(decision.reason)}")
                return
            choice_key, reason_key, text_key = keys(rec)
            # Each widget's default is its current value as well (as in ui.fields): a browser
            # drawing it first in a run cut short by the next shows that, not a blank.
            args = (plan_id, rec.id)
            choice = st.segmented_control(
                f"Decision on {rec.title}", CHOICES, key=choice_key,
                default=st.session_state.get(choice_key), label_visibility="collapsed",
                on_change=typed, args=args)
            if choice in ("Reject", "Edit"):
                if reason_key not in st.session_state:  # shown again after a while
                    show_saved(rec, reason_key)
                st.text_input("Reason (required)", value=st.session_state[reason_key],
                              key=reason_key, max_chars=NOTE_MAX_CHARS,
                              placeholder="Why, in a few words", on_change=typed, args=args)
            if choice == "Edit":
                if text_key not in st.session_state:
                    show_saved(rec, text_key)
                st.text_area("Text for the patient", value=st.session_state[text_key],
                             key=text_key, max_chars=NOTE_MAX_CHARS, on_change=typed,
                             args=args)
            want, missing = wanted(rec)
            if missing is None and want != decision and rec.id in changed_now:
                save(rec, want)
            if missing is None and want == decision and rec.id in typing.decisions:
                forget(rec)  # shows the saved decision: nothing is unfinished
            if rec.id in not_kept:
                st.error(f"Not saved: {ui.md(not_kept[rec.id])} What you typed is still "
                         "here.", icon=":material/error:")
            if rec.id in unfinished:  # a save refused in this run: says why itself
                st.warning(unfinished[rec.id], icon=":material/edit_note:")
            elif missing is not None:
                unfinished[rec.id] = missing
                kept = "" if rec.id in not_kept else (" What you typed is kept meanwhile, "
                                                      "also if you leave this page.")
                st.warning(f"**Not saved yet.** {missing}{kept}", icon=":material/edit_note:")

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
    adding = False  # the add-item form holds typing not added yet
    if not signed:
        kept_addition = typing.addition
        if ADD_KEYS[1] not in st.session_state or seen.get((plan_id, ADDING)) != shown(
                kept_addition):  # drawn anew, or typed in another tab since
            seen[(plan_id, ADDING)] = shown(kept_addition)
            st.session_state[ADD_KEYS[0]] = (kept_addition.domain if kept_addition is not None
                                             and kept_addition.domain in DOMAINS
                                             else DOMAINS[0])
            for key, value in zip(ADD_KEYS[1:], ("", "", ""), strict=True):
                st.session_state[key] = value
            if kept_addition is not None:
                st.session_state[ADD_KEYS[1]] = kept_addition.title or ""
                st.session_state[ADD_KEYS[2]] = kept_addition.patient_text or ""
                st.session_state[ADD_KEYS[3]] = kept_addition.reason
        values = {key: str(st.session_state.get(key) or "") for key in ADD_KEYS}
        adding = any(values[key].strip() for key in ADD_KEYS[1:])
        with st.expander("Add a recommendation of your own", icon=":material/add:",
                         expanded=adding):
            domain = st.selectbox("Domain", DOMAINS, format_func=lambda d: CLINICIAN_HEADINGS[d],
                                  key=ADD_KEYS[0], on_change=add_typed, args=(plan_id,))
            title = st.text_input("Title", value=values[ADD_KEYS[1]], key=ADD_KEYS[1],
                                  max_chars=visits.TITLE_MAX_CHARS, on_change=add_typed,
                                  args=(plan_id,))
            text = st.text_area("Text for the patient", value=values[ADD_KEYS[2]],
                                key=ADD_KEYS[2], max_chars=NOTE_MAX_CHARS,
                                on_change=add_typed, args=(plan_id,))
            reason = st.text_input("Reason", value=values[ADD_KEYS[3]], key=ADD_KEYS[3],
                                   max_chars=NOTE_MAX_CHARS, on_change=add_typed,
                                   args=(plan_id,))
            if ADDING in not_kept:
                st.error(f"Not saved: {ui.md(not_kept[ADDING])} What you typed is still here.",
                         icon=":material/error:")
            if adding:
                lacking = [name for name, value in (("a title", title), ("the text for the "
                           "patient", text), ("a reason", reason)) if not value.strip()]
                st.warning("**Not saved yet.** This recommendation is not on the plan until "
                           "you add it" + (f"; it needs {' and '.join(lacking)}" if lacking
                                           else "") + ". What you typed is kept meanwhile, "
                           "also if you leave this page.", icon=":material/edit_note:")
            with st.container(horizontal=True):
                add = st.button("Add", key="add-rec", icon=":material/add:")
                st.button("Clear", key="add-clear", on_click=add_cleared, args=(plan_id,),
                          disabled=not adding)
            if add:
                try:
                    own = AddedRecommendation(domain=domain, title=title, patient_text=text,
                                              reason=reason)
                except ValueError:
                    st.error("Title, text for the patient and reason are all required.")
                else:
                    try:
                        ui.guarded(visits.add_own, ui.database(), me, plan_id=plan_id,
                                   item=own, expected_version=current_version, now=ui.now())
                        for key in ADD_KEYS:  # drawn anew, empty (the typing kept went)
                            del st.session_state[key]
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
        if adding:
            why = ", ".join(filter(None, [why, "your own recommendation not added (add it, or "
                                          "clear it)"]))
        if typing.others:
            titles = {r.id: r.title for r in recs}
            st.info("**Unfinished typing of others, not saved:** " + "; ".join(
                f"{ui.md(o.by)}, " + (f"an unfinished {UNFINISHED[o.action]} of "
                                     f"“{ui.md(titles.get(o.item_id, o.item_id))}”"
                                     if o.action else "a recommendation of their own")
                + f" (since {when(o.updated_at)})" for o in typing.others)
                + ". It is theirs and not shown here; it does not stop signing, and signing "
                "drops it.", icon=":material/edit_note:")
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
