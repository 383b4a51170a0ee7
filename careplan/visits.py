"""A visit's use cases: start it, answer a question, confirm carried-over answers, preview,
build a plan version, review (decide an item, accept the remaining ones, acknowledge an
alert), sign, revise and export; and the worklist of a clinician's open visits (Home).

Why a layer of its own: each use case is one transaction that includes its audit record
and checks the session first (``actions.write``); the pages call these and nothing below
them; and the clinical work happens once per step: an answer costs one validation and one
plan build, and the preview made while saving is the one the next page run shows
(``open_draft`` reuses it while the draft's version is unchanged). Each one, read or
write, refuses an actor who may not open the visit's patient (``careplan.access``): the
patient is the one the visit or plan belongs to, never one a page names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from careplan import access, storage
from careplan.actions import Record, write
from careplan.errors import (
    InputError,
    IntakeError,
    NotReadyToSignError,
    Problem,
    SignedPlanError,
)
from careplan.text import hidden_character, nfc, refusal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from careplan.accounts import SignedIn
    from careplan.audit import Action
    from careplan.clinical.drafts import Preview
    from careplan.clinical.plan import CarePlan
    from careplan.clinical.review import AddedRecommendation, Decision, Item, Review
    from careplan.database import Database


@dataclass(frozen=True, slots=True)
class DraftView:
    """A visit's draft as saved, with its preview made on ``today``."""

    draft: storage.Draft
    preview: Preview
    today: date

    def shows(self, draft: storage.Draft, today: date) -> bool:
        """This view still describes ``draft`` (same visit, version and day)."""
        return (self.draft.visit_id, self.draft.version, self.today) == (
            draft.visit_id, draft.version, today) and self.draft.data == draft.data


def open_draft(
    db: Database, actor: SignedIn, *, visit_id: int, today: date,
    cached: DraftView | None = None,
) -> DraftView:
    """The saved draft, always read from the database; its preview reused from ``cached``
    when that was made from the same saved version."""
    from careplan.clinical.drafts import (
        preview,  # the engine loads with the first intake, not sign-in
    )

    draft = access.checked_read(
        db, actor, patient=lambda session: storage.patient_of_visit(session=session,
                                                                    visit_id=visit_id),
        read=lambda session, _: storage.get_draft(session=session, visit_id=visit_id),
        detail=f"visit {visit_id}")
    if cached is not None and cached.shows(draft, today):
        return cached
    return DraftView(draft, preview(draft.data, today=today), today)


def start(
    db: Database, actor: SignedIn, *, patient_id: int, visit_date: date,
    request_id: str | None, now: datetime,
) -> int:
    """A new visit for the patient, pre-filled from the last one with what stays true
    between visits (``form.CARRIED``), each answer marked until it is confirmed or
    changed; audited create_intake."""
    from careplan.intake.form import CARRIED

    def work(session: Session) -> tuple[int, Record]:
        visit = storage.start_visit(session=session, patient_id=patient_id,
                                    visit_date=visit_date, clinician=actor.display_name,
                                    by=actor.display_name, request_id=request_id,
                                    carry=CARRIED)
        return visit, Record("create_intake", patient_id, f"visit {visit}")

    return write(db, actor, "create_intake", work, now=now,
                 patient=lambda _session: patient_id, seen=True)


def confirm_carried(
    db: Database, actor: SignedIn, *, visit_id: int, section: str, expected_version: int,
    today: date, now: datetime,
) -> DraftView:
    """"Same as last visit": the answers of ``section`` carried over from the last visit
    were checked with the patient and count as today's (their marks go; nothing else
    changes). Audited change_intake, naming the section."""
    from careplan.clinical.drafts import preview
    from careplan.intake.form import section_of

    def work(session: Session) -> tuple[storage.Draft, Record]:
        current = storage.get_draft(session=session, visit_id=visit_id)
        paths = [p for p in current.carried_over if section_of(p) == section]
        draft = storage.confirm_carried(session=session, visit_id=visit_id, paths=paths,
                                        expected_version=expected_version,
                                        by=actor.display_name)
        return draft, Record("change_intake", draft.patient_id,
                             f"visit {visit_id}: {len(paths)} carried-over answers confirmed "
                             f"({section})")

    draft = write(db, actor, "change_intake", work, now=now,
                  patient=lambda session: storage.patient_of_visit(session=session,
                                                                  visit_id=visit_id))
    return DraftView(draft, preview(draft.data, today=today), today)


NOT_SEEN: Final = storage.NOT_SEEN


def answer(
    db: Database, actor: SignedIn, *, visit_id: int, path: str, value: Any,
    expected_version: int, today: date, now: datetime, seen: object = NOT_SEEN,
) -> DraftView:
    """Save one answer with the scores of the new draft and its audit record.

    ``seen``: the answer at ``path`` in the version the clinician edited. A draft changed
    since only at other questions (another tab) is not a conflict: the answer is saved on
    top of it. A change at the same question is.

    Text is stored composed (NFC). Raises ``ConflictError`` (someone saved first),
    ``SessionEndedError``, or ``IntakeError`` for what the form cannot produce: a number that
    is not finite (NaN or infinity) or outside the question's bounds, or text with an
    invisible or control character (a crafted client, a paste); on any of them, nothing was
    written. What a person can type but is wrong (a date of birth after the visit) is saved
    as typed and shown with its message: nothing typed is lost.
    """
    value = _composed(value)
    refused = _refused(path, value)
    if refused is not None:
        raise IntakeError([refused])
    from careplan.clinical.drafts import preview

    made: list[Preview] = []

    def scores_of(data: dict[str, Any]) -> dict[str, float | None] | None:
        made.append(preview(data, today=today))
        return made[-1].scores()

    def work(session: Session) -> tuple[storage.Draft, Record]:
        draft = storage.save_draft_field(session=session, visit_id=visit_id, path=path,
                                         value=value, expected_version=expected_version,
                                         by=actor.display_name, scores_of=scores_of,
                                         seen=seen)
        return draft, Record("change_intake", draft.patient_id, path)

    draft = write(db, actor, "change_intake", work, now=now, seen=True,
                  patient=lambda session: storage.patient_of_visit(session=session,
                                                                   visit_id=visit_id))
    shown = made[-1] if made else preview(draft.data, today=today)
    return DraftView(draft, shown, today)


def patient_of(db: Database, *, visit_id: int) -> int:
    """The patient a visit belongs to (``NotFoundError`` if there is no such visit)."""
    with db.transaction(readonly=True) as session:
        return storage.patient_of_visit(session=session, visit_id=visit_id)


LARGEST: Final = 1e15  # beyond any answer of the form; a larger number is refused unstored
NOT_SAVED: Final = "this answer was not saved"


def _composed(value: Any) -> Any:
    """``value`` with every text in it composed (NFC): 'Zoe\\u0308' is stored as 'Zoë'."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {k: _composed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_composed(v) for v in value]
    return value


def _refused(path: str, value: Any) -> Problem | None:
    """Why ``value`` cannot be stored at ``path`` (the first reason found), or ``None``.

    Numbers are checked against the bounds of their question in the form registry, so
    -1, 200 or 10**20 for a 0-10 rating is refused as the model would word it."""
    if isinstance(value, dict):
        return next((p for k, v in value.items()
                     if (p := _refused(f"{path}.{k}", v)) is not None), None)
    if isinstance(value, list):
        return next((p for i, v in enumerate(value)
                     if (p := _refused(f"{path}[{i}]", v)) is not None), None)
    if isinstance(value, str):
        hidden = hidden_character(value, lines=True)
        return None if hidden is None else Problem(path, f"{refusal(hidden)}; {NOT_SAVED}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return Problem(path, f"must be a number; {NOT_SAVED}")
    if isinstance(value, float) and not value.is_integer() and _kind(path) == "int":
        return Problem(path, f"must be a whole number; {NOT_SAVED}")  # 6.5 is not 6
    bounds = _bounds(path)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        low, high = (str(int(b)) if float(b).is_integer() else str(b) for b in bounds)
        return Problem(path, f"must be between {low} and {high}; {NOT_SAVED}")
    if abs(value) > LARGEST:
        return Problem(path, f"is too large; {NOT_SAVED}")
    return None


def _bounds(path: str) -> tuple[float, float] | None:
    from careplan.intake import form  # the registry loads with the first answer

    try:
        return form.entry(re.sub(r"\[\d+\]", "", path)).bounds
    except KeyError:
        return None


def _kind(path: str) -> str | None:
    from careplan.intake import form

    try:
        return form.entry(re.sub(r"\[\d+\]", "", path)).kind
    except KeyError:
        return None


def plans(db: Database, actor: SignedIn, *, visit_id: int) -> list[storage.StoredPlan]:
    """Every plan version of the visit, oldest first."""
    return access.checked_read(
        db, actor, patient=lambda session: storage.patient_of_visit(session=session,
                                                                    visit_id=visit_id),
        read=lambda session, _: storage.plans_of_visit(session=session, visit_id=visit_id),
        detail=f"plans of visit {visit_id}")


def build_plan_version(
    db: Database, actor: SignedIn, *, visit_id: int, today: date, request_id: str | None,
    now: datetime,
) -> int:
    """Validate the saved draft and store the plan the rules propose as a new version.

    A version built again (the intake changed) carries the review of the one before forward
    (``review.carried_forward``): decisions on items whose words are unchanged, the
    acknowledgements of unchanged alerts and the clinician's own items; a reworded item is
    not reviewed again. The audit record says how many decisions were carried. Unfinished
    typing (``keep_unfinished``) moves to the new version on the items it still has,
    reworded or not, so going to the Intake page to check an answer and rebuilding loses
    nothing typed; on an item the rebuild removed, it goes with the item.

    Raises ``IntakeError`` when the draft is not a valid intake (nothing stored).
    """
    from careplan.clinical.engine import build_plan
    from careplan.clinical.review import carried_forward
    from careplan.intake.validation import validate_intake

    def work(session: Session) -> tuple[int, Record]:
        earlier = storage.claimed(session=session, request_id=request_id, kind="save_plan")
        draft = storage.get_draft(session=session, visit_id=visit_id, lock=True)
        if earlier is not None:
            return earlier, Record("save_plan", draft.patient_id, f"plan {earlier} (repeated)")
        intake = validate_intake(draft.data, today=today)
        plan = build_plan(intake=intake, today=today)
        before = storage.last_plan_of_visit(session=session, visit_id=visit_id)
        carried = None if before is None else carried_forward(before.plan, before.review, plan)
        plan_id = storage.save_plan(session=session, visit_id=visit_id, intake=intake, plan=plan,
                                    by=actor.display_name, request_id=request_id,
                                    review=carried)
        if before is not None:
            storage.move_unfinished(session=session, from_plan=before.id, to_plan=plan_id,
                                    item_ids=[r.id for r in plan.recommendations])
        detail = f"plan {plan_id}"
        if before is not None and carried is not None:
            detail += (f", {len(carried.decisions)} decisions and {len(carried.acknowledged)} "
                       f"acknowledgements carried from plan {before.id}")
        return plan_id, Record("save_plan", draft.patient_id, detail)

    return write(db, actor, "save_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_visit(session=session,
                                                                  visit_id=visit_id))


def review(
    db: Database, actor: SignedIn, *, plan_id: int, decisions: Review, expected_version: int,
    now: datetime,
) -> int:
    """Record the clinician's decisions on an unsigned plan version; the new version.

    The acknowledgements of alerts stay as stored: only ``acknowledge`` gives one."""

    def change(stored: storage.StoredPlan) -> tuple[Review, str]:
        kept = () if stored.review is None else stored.review.acknowledged
        return decisions.model_copy(update={"acknowledged": kept}), ""

    return _change_review(db, actor, "review_plan", change, plan_id=plan_id,
                          expected_version=expected_version, now=now)


def decide(
    db: Database, actor: SignedIn, *, plan_id: int, item_id: str, decision: Decision | None,
    expected_version: int, now: datetime,
) -> int:
    """Accept, reject or edit one item of an unsigned plan version (``None``: not reviewed
    again); the new version. Refused (``InputError``, nothing saved) for an item the plan
    does not have, and for an edit whose text is the proposed text (an edit that changes
    nothing is not an edit: accept the item instead)."""
    from careplan.clinical.review import Review

    def change(stored: storage.StoredPlan) -> tuple[Review, str]:
        every: tuple[Item, ...] = (*stored.plan.alerts, *stored.plan.recommendations)
        item = next((i for i in every if i.id == item_id), None)
        if item is None:
            raise InputError(f"This plan has no item {item_id}; nothing was saved.")
        if decision is not None and decision.action == "edit":
            proposed = {item.patient_text, patient_words(stored.plan, None)[item_id]}
            if decision.patient_text in proposed:
                raise InputError(f"The edited text of \u201c{item.title}\u201d is the proposed "
                                 "text; change it, or accept the item. Nothing was saved.")
        status = "not reviewed" if decision is None else decision.action
        return (stored.review or Review()).deciding(item_id, decision), f": {item_id} {status}"

    return _change_review(db, actor, "review_plan", change, plan_id=plan_id,
                          expected_version=expected_version, now=now, finished=(item_id,))


def accept_remaining(
    db: Database, actor: SignedIn, *, plan_id: int, item_ids: tuple[str, ...],
    expected_version: int, now: datetime,
) -> int:
    """Accept at once the items the page showed as not reviewed ("Accept all remaining");
    the new version, audited ``accept_remaining`` with how many. Refused (``InputError``)
    if any of them is not an item waiting for review."""
    from careplan.clinical.review import Review, accepting

    def change(stored: storage.StoredPlan) -> tuple[Review, str]:
        try:
            accepted = accepting(stored.plan, stored.review or Review(), item_ids)
        except ValueError as error:
            raise InputError(f"{error}; nothing was accepted.") from None
        return accepted, f": {len(set(item_ids))} accepted at once"

    return _change_review(db, actor, "accept_remaining", change, plan_id=plan_id,
                          expected_version=expected_version, now=now, finished=item_ids)


def add_own(
    db: Database, actor: SignedIn, *, plan_id: int, item: AddedRecommendation,
    expected_version: int, now: datetime,
) -> int:
    """Add a recommendation of the clinician's own to an unsigned plan version; the new
    version, audited ``review_plan``. What ``actor`` had typed in the add-item form and not
    added (``keep_unfinished_addition``) goes: it is added now."""
    from careplan.clinical.review import Review

    def change(stored: storage.StoredPlan) -> tuple[Review, str]:
        review = stored.review or Review()
        return review.model_copy(update={"added": (*review.added, item)}), ": own item added"

    return _change_review(db, actor, "review_plan", change, plan_id=plan_id,
                          expected_version=expected_version, now=now,
                          finished=(storage.NEW_ITEM,))


def acknowledge(
    db: Database, actor: SignedIn, *, plan_id: int, alert_id: str, expected_version: int,
    now: datetime,
) -> int:
    """Record that ``actor`` acknowledged an alert of an unsigned plan version, and when; the
    new version, audited ``acknowledge_alert``. An emergency or urgent alert must be
    acknowledged before the plan is signed."""
    from careplan.clinical.review import Review

    def change(stored: storage.StoredPlan) -> tuple[Review, str]:
        alert = next((a for a in stored.plan.alerts if a.id == alert_id), None)
        if alert is None:
            raise InputError(f"This plan has no alert {alert_id}; nothing was saved.")
        done = (stored.review or Review()).acknowledging(alert, by=actor.display_name, at=now)
        return done, f": {alert_id}"

    return _change_review(db, actor, "acknowledge_alert", change, plan_id=plan_id,
                          expected_version=expected_version, now=now)


# --- unfinished review typing ------------------------------------------------------------

ReviewAction = Literal["reject", "edit"]
TITLE_MAX_CHARS: Final = 200  # an added item's title, as ``Line`` in careplan.intake.model


@dataclass(frozen=True, slots=True)
class UnfinishedTyping:
    """What is typed on a plan version's review and not saved as a decision yet
    (``keep_unfinished``), as one clinician may see it.

    ``decisions``: the clinician's own, by item id (a Reject or Edit chosen, the reason and
    the new text typed so far); ``addition``: their add-item form, typed and not added;
    ``others``: each colleague's, by whom, on which item (``storage.NEW_ITEM``: an item of
    their own) and which action only. A colleague's words are theirs: they are left out
    here, never sent to another's page."""

    decisions: dict[str, storage.Unfinished]
    addition: storage.Unfinished | None
    others: tuple[storage.Unfinished, ...]


def unfinished_typing(db: Database, actor: SignedIn, *, plan_id: int) -> UnfinishedTyping:
    """The unfinished typing on a plan version: ``actor``'s own in full, a colleague's
    without its words. Read-only; nothing audited (like reading the plan)."""
    rows = access.checked_read(
        db, actor, patient=lambda session: storage.patient_of_plan(session=session,
                                                                   plan_id=plan_id),
        read=lambda session, _: storage.unfinished_of_plan(session=session, plan_id=plan_id),
        detail=f"plan {plan_id}")
    return _split(rows, actor)


def _split(rows: list[storage.Unfinished], actor: SignedIn) -> UnfinishedTyping:
    from dataclasses import replace

    mine = [r for r in rows if r.username == actor.username]
    others = tuple(replace(r, reason="", patient_text=None, title=None, domain=None)
                   for r in rows if r.username != actor.username)
    return UnfinishedTyping({r.item_id: r for r in mine if r.item_id != storage.NEW_ITEM},
                            next((r for r in mine if r.item_id == storage.NEW_ITEM), None),
                            others)


def keep_unfinished(
    db: Database, actor: SignedIn, *, plan_id: int, item_id: str,
    action: ReviewAction | None, reason: str, patient_text: str | None, now: datetime,
) -> storage.Unfinished | None:
    """Keep what ``actor`` has typed on a recommendation of an unsigned plan version and not
    saved as a decision yet: the action chosen (Reject or Edit), the reason, the new text
    for the patient (``None``: not changed). Saved as it is typed, as the intake is, so a
    page switch, a refresh or a new tab loses nothing; the page shows it again, marked not
    saved. ``action`` ``None`` (Accept, or nothing chosen) drops it. What it is kept as,
    composed (NFC), or ``None``.

    A scratch pad, never a decision: it is kept apart from the review, never counts as
    reviewed and never reaches a handout. It goes when the item is decided (``decide``,
    ``accept_remaining``) or the version signed, and moves with a rebuild.

    Not audited. The audit trail records clinical actions (the decision this typing may
    become is audited when saved) and access; a record at each change of a half-typed
    reason would bury those under noise and prove nothing about the plan. A refused
    attempt (an ended session, a patient not seen) is still audited by ``actions.write``,
    and the patient's access is checked like any write.

    Refused (``InputError``, nothing kept): an item the plan has no recommendation for, an
    action other than reject or edit, a text with an invisible or control character
    (``careplan.text``), or longer than the decision takes (``NOTE_MAX_CHARS``).
    ``SignedPlanError`` on a signed version."""
    from careplan.intake.model import NOTE_MAX_CHARS

    if action not in (None, "reject", "edit"):
        raise InputError(f"A decision in progress is a reject or an edit, not {action!r}; "
                         "nothing was saved.")
    reason = _typed("reason", reason, longest=NOTE_MAX_CHARS)
    text = None if patient_text is None else _typed("text for the patient", patient_text,
                                                    longest=NOTE_MAX_CHARS)

    def work(session: Session) -> tuple[storage.Unfinished | None, None]:
        stored = _unsigned(session, plan_id)
        if not any(r.id == item_id for r in stored.plan.recommendations):
            raise InputError(f"This plan has no recommendation {item_id}; nothing was saved.")
        if action is None:
            storage.drop_unfinished(session=session, plan_id=plan_id, username=actor.username,
                                    item_ids=(item_id,))
            return None, None
        storage.keep_unfinished(session=session, plan_id=plan_id, username=actor.username,
                                item_id=item_id, action=action, reason=reason,
                                patient_text=text, now=now)
        return storage.Unfinished(plan_id, item_id, actor.username, actor.display_name,
                                  action, reason, text, None, None, now), None

    return write(db, actor, "review_plan", work, now=now,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


def keep_unfinished_addition(
    db: Database, actor: SignedIn, *, plan_id: int, domain: str, title: str,
    patient_text: str, reason: str, now: datetime,
) -> storage.Unfinished | None:
    """Keep what ``actor`` has typed in the form that adds a recommendation of their own to
    an unsigned plan version, not added yet (``keep_unfinished`` says why and what is
    refused; a title is one line of ``TITLE_MAX_CHARS`` at most). Blank title, text and
    reason drop it. Not audited; ``add_own`` drops it when the item is added."""
    from careplan.clinical.plan import DOMAINS
    from careplan.intake.model import NOTE_MAX_CHARS

    if domain not in DOMAINS:
        raise InputError(f"There is no domain {domain!r}; nothing was saved.")
    title = _typed("title", title, longest=TITLE_MAX_CHARS, lines=False)
    text = _typed("text for the patient", patient_text, longest=NOTE_MAX_CHARS)
    reason = _typed("reason", reason, longest=NOTE_MAX_CHARS)
    blank = not (title.strip() or text.strip() or reason.strip())

    def work(session: Session) -> tuple[storage.Unfinished | None, None]:
        _unsigned(session, plan_id)
        if blank:
            storage.drop_unfinished(session=session, plan_id=plan_id, username=actor.username,
                                    item_ids=(storage.NEW_ITEM,))
            return None, None
        storage.keep_unfinished(session=session, plan_id=plan_id, username=actor.username,
                                item_id=storage.NEW_ITEM, action=None, reason=reason,
                                patient_text=text, domain=domain, title=title, now=now)
        return storage.Unfinished(plan_id, storage.NEW_ITEM, actor.username, actor.display_name,
                                  None, reason, text, domain, title, now), None

    return write(db, actor, "review_plan", work, now=now,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


def _unsigned(session: Session, plan_id: int) -> storage.StoredPlan:
    """The plan version, held for this transaction (a signature waits, then drops what is
    kept; typing kept while one is signed waits, then is refused) and not signed."""
    stored = storage.get_plan(session=session, plan_id=plan_id, lock=True)
    if stored.status == "signed":
        raise SignedPlanError("this plan is signed; nothing typed on it can be saved")
    return stored


def _typed(field: str, value: str, *, longest: int, lines: bool = True) -> str:
    """Typed review text as it is kept: composed (NFC), line breaks as ``\\n``; refused
    (``InputError``, nothing kept) with an invisible or control character, a line break in a
    one-line text, or more than ``longest`` characters (counted composed)."""
    text = nfc(str(value))
    if lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    hidden = hidden_character(text, lines=lines)
    if hidden is not None:
        raise InputError(f"The {field} {refusal(hidden)}; nothing was saved.")
    if len(text) > longest:
        raise InputError(f"The {field} is longer than {longest:,} characters; nothing was "
                         "saved.")
    return text


def _unfinished_words(typing: UnfinishedTyping, plan: CarePlan) -> tuple[str, list[Problem]]:
    """The signer's own unfinished typing as a reason not to sign yet, in words."""
    titles = {r.id: r.title for r in plan.recommendations}
    problems = [Problem(f"recommendations.{item}",
                        f"your {'rejection' if u.action == 'reject' else 'edit'} of "
                        f"\u201c{titles.get(item, item)}\u201d is not finished")
                for item, u in sorted(typing.decisions.items())]
    if typing.addition is not None:
        problems.append(Problem("added", "your own recommendation is typed and not added"))
    count = len(typing.decisions)
    parts = ([f"{count} decision{'' if count == 1 else 's'} not finished"] if count else [])
    if typing.addition is not None:
        parts.append("your own recommendation not added (add it, or clear it)")
    return ", ".join(parts), problems


def _change_review(
    db: Database, actor: SignedIn, action: Action,
    change: Callable[[storage.StoredPlan], tuple[Review, str]], *, plan_id: int,
    expected_version: int, now: datetime, finished: tuple[str, ...] = (),
) -> int:
    """Change the review of an unsigned plan version as it is stored, in one transaction with
    its audit record (``action``; the detail: ids only). ``ConflictError`` when the version
    is not ``expected_version`` (another tab or clinician saved first). ``actor``'s unfinished
    typing on the ``finished`` items goes in the same transaction (a colleague's stays:
    theirs to finish or drop)."""

    def work(session: Session) -> tuple[int, Record]:
        stored = storage.get_plan(session=session, plan_id=plan_id, lock=True)
        if stored.status == "signed":
            raise SignedPlanError("this plan is signed; revise it to make a new version")
        changed, detail = change(stored)
        version = storage.save_review(session=session, plan_id=plan_id, review=changed,
                                      expected_version=expected_version, by=actor.display_name)
        if finished:
            storage.drop_unfinished(session=session, plan_id=plan_id, username=actor.username,
                                    item_ids=finished)
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return version, Record(action, patient, f"plan {plan_id}{detail}")

    return write(db, actor, action, work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


def patient_words(plan: CarePlan, review: Review | None, *, locale: str | None = None
                  ) -> dict[str, str]:
    """Each alert's and recommendation's text as the patient reads it on the handout: in the
    clinic's locale (``locale``, else the configured one), an edit as the clinician wrote
    it."""
    from careplan import settings
    from careplan.clinical.engine import default_rule_base
    from careplan.documents.locales import get_locale

    loc = get_locale(locale or settings.current().locale)
    rules = default_rule_base()
    words: dict[str, str] = {}
    every: tuple[Item, ...] = (*plan.alerts, *plan.recommendations)
    for item in every:
        decision = None if review is None else review.decision_for(item.id)
        printed = item.patient_text
        if decision is not None and decision.action == "edit" and decision.patient_text:
            printed = decision.patient_text
        try:
            template = rules.get(item.id).patient_text
        except KeyError:
            template = printed
        words[item.id] = loc.rule_text(item.id, template, printed)
    return words


def sign(
    db: Database, actor: SignedIn, *, plan_id: int, expected_version: int,
    request_id: str | None, now: datetime,
) -> int:
    """Sign a plan version (once per request id); signed plans never change.

    Refused (``NotReadyToSignError``, nothing signed) while the intake as saved proposes
    another plan than this version (it changed since: rebuild), a red-flag question of the
    intake the plan was built from is unanswered, an emergency or urgent alert is not
    acknowledged, or a recommendation is not reviewed (``review.blockers``): the page
    disables its button and says why, and a crafted request is refused here too. Refused
    as well while ``actor`` has unfinished typing on this version (``unfinished_typing``):
    a decision or an item of their own begun and not saved, to finish or drop first.

    A colleague's unfinished typing does not stop the signature: it is theirs (the signer
    can neither see nor finish it, and one left behind would hold the plan for good), it
    is not a decision, and the page names it to the signer beforehand. Signing drops
    everyone's: a signed version never changes, so nothing typed on it could be saved.
    """
    from careplan.clinical.review import blockers

    def work(session: Session) -> tuple[int, Record]:
        if storage.claimed(session=session, request_id=request_id, kind="sign_plan") is None:
            stored = storage.get_plan(session=session, plan_id=plan_id, lock=True)
            missing = blockers(stored.plan, stored.review, stored.intake,
                               intake_changed=_intake_changed(session, stored))
            if missing:
                raise NotReadyToSignError(missing.summary(), missing.problems())
            typing = _split(storage.unfinished_of_plan(session=session, plan_id=plan_id),
                            actor)
            if typing.decisions or typing.addition is not None:
                raise NotReadyToSignError(*_unfinished_words(typing, stored.plan))
            storage.drop_unfinished(session=session, plan_id=plan_id)
        signed = storage.sign_plan(session=session, plan_id=plan_id,
                                   expected_version=expected_version, by=actor.display_name,
                                   request_id=request_id)
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return signed, Record("sign_plan", patient, f"plan {plan_id}")

    return write(db, actor, "sign_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


def _intake_changed(session: Session, stored: storage.StoredPlan) -> bool:
    """The visit's draft as saved now proposes another plan than ``stored`` (made the same
    day), or is no valid intake: a red flag ticked since would be missing from it."""
    from careplan.clinical.engine import build_plan
    from careplan.clinical.review import same_proposal
    from careplan.intake.validation import validate_intake

    draft = storage.get_draft(session=session, visit_id=stored.visit_id)
    made = stored.plan.generated_on
    try:
        again = build_plan(intake=validate_intake(draft.data, today=made), today=made)
    except IntakeError:
        return True
    return not same_proposal(stored.plan, again)


def revise(
    db: Database, actor: SignedIn, *, plan_id: int, request_id: str | None, now: datetime,
) -> int:
    """A new unsigned version with the same proposal and review, to change a signed plan."""

    def work(session: Session) -> tuple[int, Record]:
        copy = storage.revise_plan(session=session, plan_id=plan_id, by=actor.display_name,
                                   request_id=request_id)
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return copy, Record("revise_plan", patient, f"plan {copy} from plan {plan_id}")

    return write(db, actor, "revise_plan", work, now=now, seen=True,
                 patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))


@dataclass(frozen=True, slots=True)
class Worklist:
    """A clinician's Home page: the visits of the patients they may open that wait for them
    (an intake in progress, a plan to sign), and the patients seen today and lately."""

    drafts: list[storage.WorkRow]
    to_sign: list[storage.WorkRow]
    today: list[storage.WorkRow]
    recent: list[storage.WorkRow]


RECENT_DAYS: Final = 14
WORKLIST_ROWS: Final = 10  # rows a list shows


def worklist(db: Database, actor: SignedIn, *, today: date) -> Worklist:
    """The visits of the patients ``actor`` (and their care team) may open, newest change
    first: intakes with no plan yet, plans not signed, visits dated today, and each other
    patient's latest visit of the last ``RECENT_DAYS`` days. Read-only; nothing audited (a
    list of names the clinician may open is not opening a record)."""
    with db.transaction(readonly=True) as session:
        people = storage.people_of(session=session, username=actor.username)

        def rows(**where: Any) -> list[storage.WorkRow]:
            return storage.worklist_visits(session=session, username=actor.username,
                                           people=people, **where)

        drafts = rows(status="intake", limit=WORKLIST_ROWS)
        to_sign = rows(status="to_sign", limit=WORKLIST_ROWS)
        of_today = rows(since=today, until=today, limit=WORKLIST_ROWS * 3)
        lately = rows(since=today - timedelta(days=RECENT_DAYS), until=today - timedelta(days=1),
                      limit=WORKLIST_ROWS * 5)
    seen_today = {r.patient_id for r in of_today}
    recent: dict[int, storage.WorkRow] = {}
    for row in sorted(lately, key=lambda r: (r.visit_date, r.visit_id), reverse=True):
        if row.patient_id not in seen_today:
            recent.setdefault(row.patient_id, row)
    return Worklist(drafts, to_sign, _one_a_patient(of_today)[:WORKLIST_ROWS],
                    list(recent.values())[:WORKLIST_ROWS])


def _one_a_patient(rows: list[storage.WorkRow]) -> list[storage.WorkRow]:
    """The first row of each patient (the lists come newest change first)."""
    seen: dict[int, storage.WorkRow] = {}
    for row in rows:
        seen.setdefault(row.patient_id, row)
    return list(seen.values())


def record_export(
    db: Database, actor: SignedIn, *, plan_id: int, what: str, now: datetime,
) -> None:
    """Audit one download of a plan's documents, against the plan's own patient."""

    def work(session: Session) -> tuple[None, Record]:
        patient = storage.patient_of_plan(session=session, plan_id=plan_id)
        return None, Record("export", patient, f"{what}, plan {plan_id}")

    write(db, actor, "export", work, now=now,
          patient=lambda session: storage.patient_of_plan(session=session, plan_id=plan_id))
