"""The Care plan page through AppTest: a review a clinician can read at a glance, where
nothing is decided by default, nothing typed is lost, and signing waits for what it must.

Each test starts from an intake saved through the use cases (as the Intake page saves it),
then works the page as a clinician would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streamlit.testing.v1 import AppTest

from apps import TOKENS, app, create_patient, no_trouble
from careplan import access, accounts, storage, visits
from careplan.clinical.review import Review
from careplan.database import open_database
from factories import PASSWORD, apply, example_data, signed_in

HEAT = "REST-HEAT"
NIGHT_PAIN = {"red_flags.night_pain": True}  # an urgent alert: cancer to be excluded


def save_intake(database: str, data: dict[str, Any]) -> None:
    """Answer each section of ``data`` for visit 1 through the use case."""
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    view = visits.open_draft(db, who, visit_id=1, today=datetime.now(UTC).date())
    for section, value in data.items():
        view = visits.answer(db, who, visit_id=1, path=section, value=value,
                             expected_version=view.draft.version,
                             today=datetime.now(UTC).date(), now=datetime.now(UTC))


def planned(database: str, changes: dict[str, Any] | None = None,
            unset: tuple[str, ...] = ()) -> AppTest:
    """A new patient's example intake (with ``changes``), and its plan built on the page."""
    create_patient()
    save_intake(database, apply(example_data(), changes, unset))
    test = app("care_plan", patient=1, visit=1)
    test.button(key="build-plan").click().run()
    no_trouble(test)
    return test


def stored(database: str) -> storage.StoredPlan:
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    return visits.plans(db, who, visit_id=1)[-1]


def review_of(database: str) -> Review:
    return stored(database).review or Review()


def items(test: AppTest) -> dict[str, str]:
    """Each recommendation drawn, by rule id: the Markdown of its title line (with the badge)."""
    return {line.split("`")[-2]: line for line in (m.value for m in test.markdown)
            if line.startswith("**") and line.endswith("`") and "-badge[" in line}


def sign_row(test: AppTest) -> str:
    return " ".join(m.value for m in test.markdown if "ready to sign" in m.value.lower())


def audit(database: str, action: str) -> list[str]:
    db = open_database(database)
    with db.transaction(readonly=True) as s:
        return [r.detail for r in storage.audit_records(session=s) if r.action == action]


def test_every_item_is_open_and_not_reviewed_until_decided_and_signing_waits(
    database: str,
) -> None:
    """Before: 20 items collapsed, each defaulting to Accept, and Sign signed them all."""
    test = planned(database)
    shown = items(test)
    assert len(shown) == 20
    assert all(":gray-badge[Not reviewed]" in line for line in shown.values())
    assert [e.label for e in test.expander] == ["Add a recommendation of your own"]  # no item
    assert all(test.segmented_control(key=f"dec:1:{i}").value is None for i in shown)
    texts = " ".join(m.value for m in test.markdown)
    assert "For the patient:] A warm pack or warm shower can ease sore muscles" in texts
    assert any("Because: pain in neck" in c.value and "Source: ACP low back pain" in c.value
               for c in test.caption)
    assert test.button(key="sign").disabled
    assert "Not ready to sign:** 20 items not reviewed." in sign_row(test)
    test.segmented_control(key="dec:1:REST-STAY-ACTIVE").set_value("Accept").run()
    no_trouble(test)
    assert ":green-badge[:material/check: Accepted]" in items(test)["REST-STAY-ACTIVE"]
    assert "19 items not reviewed" in sign_row(test)
    assert review_of(database).decision_for("REST-STAY-ACTIVE") is not None


def test_accept_all_remaining_is_one_click_says_how_many_and_skips_unfinished_decisions(
    database: str,
) -> None:
    test = planned(database)
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Reject").run()
    test.text_input(key=f"why:1:{HEAT}").input("Numb skin over the shoulders").run()
    test.segmented_control(key="dec:1:PT-REFERRAL").set_value("Reject").run()  # no reason yet
    no_trouble(test)
    assert any(m.value.startswith(":gray[Not on the handout (rejected): A warm pack")
               for m in test.markdown)
    button = test.button(key="accept-remaining")
    assert button.label == "Accept all remaining (18)"
    button.click().run()
    no_trouble(test)
    review = review_of(database)
    assert review.decision_for("PT-REFERRAL") is None  # what was being rejected stays open
    assert review.decision_for(HEAT) is not None
    assert review.decision_for(HEAT).action == "reject"  # type: ignore[union-attr]
    assert sum(d.action == "accept" for d in review.decisions) == 18
    assert audit(database, "accept_remaining") == ["plan 1: 18 accepted at once"]
    assert test.segmented_control(key="dec:1:NUT-PROTEIN").value == "Accept"
    assert test.segmented_control(key="dec:1:PT-REFERRAL").value == "Reject"
    assert ("1 item not reviewed \\(“Physiotherapy referral”\\), 1 decision not finished"
            in sign_row(test))
    test.text_input(key="why:1:PT-REFERRAL").input("Sees a physiotherapist already").run()
    no_trouble(test)
    assert not test.button(key="sign").disabled
    assert sign_row(test).endswith("**Ready to sign:** every item is reviewed.")
    assert not [b for b in test.button if b.key == "accept-remaining"]
    test.button(key="sign").click().run()
    no_trouble(test)
    assert any("signed by Dr\\. A\\. Rivera" in s.value for s in test.success)


def test_an_edit_is_saved_with_its_own_text_and_reason_and_nothing_collapses(
    database: str,
) -> None:
    """Before: typing the reason first collapsed the item and saved the edit with the
    proposed text. Now the edit waits for both, in whatever order, on screen."""
    test = planned(database)
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Edit").run()
    test.text_input(key=f"why:1:{HEAT}").input("Heat pads burn numb skin").run()
    no_trouble(test)
    assert review_of(database).decision_for(HEAT) is None  # not saved with the proposed text
    assert any("Change the text for the patient; the edit is not saved until then" in w.value
               for w in test.warning)
    assert [e.label for e in test.expander] == ["Add a recommendation of your own"]
    new_text = "Use a warm shower, not a heat pad, for 10 minutes."
    test.text_area(key=f"txt:1:{HEAT}").input(new_text).run()
    no_trouble(test)
    decision = review_of(database).decision_for(HEAT)
    assert decision is not None
    assert (decision.action, decision.reason, decision.patient_text) == (
        "edit", "Heat pads burn numb skin", new_text)
    assert ":blue-badge[:material/edit: Edited]" in items(test)[HEAT]
    assert test.text_area(key=f"txt:1:{HEAT}").value == new_text  # still open, as typed
    texts = " ".join(m.value for m in test.markdown)
    assert "For the patient:] Use a warm shower, not a heat pad, for 10 minutes\\." in texts
    assert any(c.value.startswith("Proposed: A warm pack") for c in test.caption)


def test_an_urgent_alert_is_acknowledged_on_the_page_before_signing(database: str) -> None:
    test = planned(database, NIGHT_PAIN)
    test.button(key="accept-remaining").click().run()
    no_trouble(test)
    assert test.button(key="sign").disabled
    assert ("Not ready to sign:** 1 urgent alert not acknowledged \\(“Features that need "
            "cancer excluded”\\).") in sign_row(test)
    test.button(key="ack:1:RF-MALIGNANCY").click().run()
    no_trouble(test)
    assert any(c.value.startswith(":green[:material/check_circle:] Acknowledged by Dr\\. A\\. "
                                  "Rivera at ") for c in test.caption)
    assert not test.button(key="sign").disabled
    assert sign_row(test).endswith("every item is reviewed and every urgent alert acknowledged.")
    assert audit(database, "acknowledge_alert") == ["plan 1: RF-MALIGNANCY"]
    mark = review_of(database).acknowledged
    assert [(m.alert_id, m.by) for m in mark] == [("RF-MALIGNANCY", "Dr. A. Rivera")]


def test_a_red_flag_not_asked_disables_signing_and_says_so(database: str) -> None:
    test = planned(database, unset=("red_flags.fever_or_chills",))
    test.button(key="accept-remaining").click().run()
    no_trouble(test)
    assert any("1 of 15 red-flag questions were not asked" in e.value for e in test.error)
    assert test.button(key="sign").disabled
    assert "Not ready to sign:** 1 red\\-flag question not asked." in sign_row(test)


def test_a_rebuild_says_what_changes_and_keeps_the_decisions_on_unchanged_items(
    database: str,
) -> None:
    """Before: 'Rebuild from the changed intake' wiped every decision without a warning."""
    test = planned(database)
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Reject").run()
    test.text_input(key=f"why:1:{HEAT}").input("Numb skin over the shoulders").run()
    test.button(key="accept-remaining").click().run()
    save_intake(database, {"history": {**example_data()["history"], "duration_weeks": 3}})
    test = app("care_plan", patient=1, visit=1)
    no_trouble(test)
    coming = " ".join(i.value for i in test.info)
    assert "The intake changed after version 1 was made." in coming
    assert "Removed:** “Pace activity by time, not by pain” (was accepted)" in coming
    assert "Reworded, to review again:** “Review visit and pain tracking” (was accepted)" \
        in coming
    test.button(key="build-plan").click().run()
    no_trouble(test)
    done = " ".join(i.value for i in test.info)
    assert "what changed since version 1" in done
    shown = items(test)
    assert ":red-badge[:material/close: Rejected]" in shown[HEAT]
    assert test.text_input(key=f"why:2:{HEAT}").value == "Numb skin over the shoulders"
    assert ":gray-badge[Not reviewed]" in shown["FU-REVIEW"]
    assert any("Reworded since version 1, where it was accepted; it said: “Come back to see us "
               "in 4 weeks\\." in c.value and c.value.endswith("Decide it again.")
               for c in test.caption)
    assert "REST-PACING" not in shown
    assert ("Not ready to sign:** 1 item not reviewed \\(“Review visit and pain "
            "tracking”\\).") in sign_row(test)


def test_a_version_older_than_the_intake_cannot_be_signed(database: str) -> None:
    """Before: a red flag ticked after building left the Sign button of the old version."""
    test = planned(database)
    test.button(key="accept-remaining").click().run()
    assert not test.button(key="sign").disabled
    save_intake(database, {"red_flags": {**example_data()["red_flags"], "dark_urine": True}})
    test = app("care_plan", patient=1, visit=1)
    no_trouble(test)
    assert test.button(key="sign").disabled
    assert ("Not ready to sign:** the intake changed after this version was made \\(rebuild "
            "it\\).") in sign_row(test)
    assert "Added:** “Possible rhabdomyolysis”" in " ".join(i.value for i in test.info)


def test_what_the_page_says_names_fields_by_their_labels(database: str) -> None:
    """Before: 'patient.date_of_birth must not be after the visit date'."""
    create_patient()
    save_intake(database, apply(example_data(), {"patient.date_of_birth": "2099-01-01"}))
    test = app("care_plan", patient=1, visit=1)
    no_trouble(test)
    [warning] = [w.value for w in test.warning]
    assert "Finish or correct: Date of birth \\(must not be in the future\\)." in warning
    assert "patient.date_of_birth" not in warning


def test_a_recommendation_of_your_own_is_added_without_touching_the_decisions(
    database: str,
) -> None:
    test = planned(database, NIGHT_PAIN)
    test.button(key="ack:1:RF-MALIGNANCY").click().run()
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Accept").run()
    test.text_input(key="add-title").input("Walk every morning")
    test.text_area(key="add-text").input("Walk for 10 minutes each morning.")
    test.text_input(key="add-reason").input("Likes walking")
    test.button(key="add-rec").click().run()
    no_trouble(test)
    review = review_of(database)
    assert [a.title for a in review.added] == ["Walk every morning"]
    assert review.decision_for(HEAT) is not None
    assert [m.alert_id for m in review.acknowledged] == ["RF-MALIGNANCY"]
    assert any(m.value.startswith("- **Walk every morning** :violet-badge[Added]")
               for m in test.markdown)
    assert test.text_input(key="add-title").value == ""  # the form is empty again
    assert audit(database, "review_plan")[-1] == "plan 1: own item added"


def test_a_decision_made_in_another_tab_is_shown_not_undone(database: str) -> None:
    """Each run saves only the item the clinician changed in it: a decision saved in another
    tab since is not sent back as this tab's older view, and the controls show it."""
    mine = planned(database)
    other = app("care_plan", patient=1, visit=1)
    other.segmented_control(key=f"dec:1:{HEAT}").set_value("Reject").run()
    other.text_input(key=f"why:1:{HEAT}").input("Numb skin over the shoulders").run()
    mine.segmented_control(key="dec:1:REST-PACING").set_value("Accept").run()
    no_trouble(mine)
    review = review_of(database)
    assert review.decision_for(HEAT) is not None
    assert review.decision_for(HEAT).action == "reject"  # type: ignore[union-attr]
    assert review.decision_for("REST-PACING") is not None
    assert mine.segmented_control(key=f"dec:1:{HEAT}").value == "Reject"
    assert mine.text_input(key=f"why:1:{HEAT}").value == "Numb skin over the shoulders"


def test_unfinished_typing_survives_another_page_and_a_new_session_and_is_never_reviewed(
    database: str,
) -> None:
    """Before: a reason typed for an edit or a rejection not finished yet, or an item of
    one's own not added yet, was gone after a visit to the Intake page or a refresh (a
    decision is saved only once complete, and Streamlit drops the state of widgets it does
    not draw). Now it is kept as typed, shown again marked not saved, and counts for
    nothing until it is finished."""
    test = planned(database)
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Edit").run()
    test.text_input(key=f"why:1:{HEAT}").input("Heat pads burn numb skin").run()
    test.segmented_control(key="dec:1:PT-REFERRAL").set_value("Reject").run()
    test.text_input(key="add-title").input("Walk every morning").run()
    no_trouble(test)

    def still_there(page: AppTest) -> None:
        assert page.segmented_control(key=f"dec:1:{HEAT}").value == "Edit"
        assert page.text_input(key=f"why:1:{HEAT}").value == "Heat pads burn numb skin"
        assert str(page.text_area(key=f"txt:1:{HEAT}").value).startswith("A warm pack")
        assert page.segmented_control(key="dec:1:PT-REFERRAL").value == "Reject"
        assert page.text_input(key="why:1:PT-REFERRAL").value == ""
        assert page.text_input(key="add-title").value == "Walk every morning"
        warnings = [w.value for w in page.warning]
        assert any(w.startswith("**Not saved yet.** Change the text for the patient; the edit "
                                "is not saved until then.") for w in warnings)
        assert any(w.startswith("**Not saved yet.** Give a reason to reject this item")
                   for w in warnings)
        assert any(w.startswith("**Not saved yet.** This recommendation is not on the plan "
                                "until you add it; it needs the text for the patient and a "
                                "reason.") for w in warnings)
        assert page.button(key="sign").disabled
        assert ("2 decisions not finished, your own recommendation not added \\(add it, or "
                "clear it\\)." in sign_row(page))

    test.switch_page("pages/2_Intake.py").run()
    no_trouble(test)
    test.switch_page("pages/3_Care_plan.py").run()
    no_trouble(test)
    still_there(test)
    again = app("care_plan", patient=1, visit=1)  # a refresh, or a new tab: a new session
    no_trouble(again)
    still_there(again)
    review = review_of(database)
    assert (review.decisions, review.added) == ((), ())  # a scratch pad, not a decision
    assert ":gray-badge[Not reviewed]" in items(again)[HEAT]
    assert audit(database, "review_plan") == []  # typing is not a clinical action

    new_text = "Use a warm shower, not a heat pad, for 10 minutes."
    again.text_area(key=f"txt:1:{HEAT}").input(new_text).run()
    no_trouble(again)
    decision = review_of(database).decision_for(HEAT)
    assert decision is not None
    assert (decision.action, decision.reason, decision.patient_text) == (
        "edit", "Heat pads burn numb skin", new_text)
    assert audit(database, "review_plan") == [f"plan 1: {HEAT} edit"]
    later = app("care_plan", patient=1, visit=1)
    assert later.text_area(key=f"txt:1:{HEAT}").value == new_text  # the decision, as saved
    assert not any(HEAT in w.value for w in later.warning)
    later.button(key="add-clear").click().run()
    no_trouble(later)
    assert app("care_plan", patient=1, visit=1).text_input(key="add-title").value == ""
    db = open_database(database)
    typing = visits.unfinished_typing(db, signed_in(db, "rivera", datetime.now(UTC)),
                                      plan_id=1)
    assert (set(typing.decisions), typing.addition) == ({"PT-REFERRAL"}, None)


def test_a_colleagues_unfinished_typing_is_named_not_shown_and_does_not_hold_the_signature(
    database: str,
) -> None:
    """Dr Rivera leaves an edit half typed; Dr Okafor sees who and which item, not the
    words, accepts the rest and signs; the signature drops the typing (the version is
    final)."""
    test = planned(database)
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Edit").run()
    test.text_input(key=f"why:1:{HEAT}").input("Private first thoughts").run()
    no_trouble(test)
    db = open_database(database)
    now = datetime.now(UTC)
    with db.transaction() as s:
        accounts.add_user(session=s, username="okafor", display_name="Dr. B. Okafor",
                          role="clinician", password=PASSWORD, by="ada", now=now)
    okafor = signed_in(db, "okafor", now)
    TOKENS["okafor"] = okafor.token
    access.break_the_glass(db, okafor, patient_id=1, reason="covering for Dr Rivera today",
                           now=now)
    theirs = app("care_plan", user="okafor", patient=1, visit=1)
    no_trouble(theirs)
    assert any(c.value.startswith(":material/edit_note: Dr\\. A\\. Rivera has an unfinished "
                                  "edit of this item, not saved") for c in theirs.caption)
    assert theirs.segmented_control(key=f"dec:1:{HEAT}").value is None  # not theirs to see
    page_text = " ".join(str(e.value) for e in (*theirs.markdown, *theirs.caption,
                                                 *theirs.info, *theirs.warning))
    assert "Private first thoughts" not in page_text
    assert any("Unfinished typing of others, not saved:** Dr\\. A\\. Rivera, an unfinished "
               "edit of “Heat as self\\-care”" in i.value for i in theirs.info)
    theirs.button(key="accept-remaining").click().run()
    no_trouble(theirs)
    assert not theirs.button(key="sign").disabled
    theirs.button(key="sign").click().run()
    no_trouble(theirs)
    assert any("signed by Dr\\. B\\. Okafor" in s.value for s in theirs.success)
    assert visits.unfinished_typing(db, okafor, plan_id=1).others == ()


def test_finished_typing_that_a_page_switch_kept_but_never_saved_is_saved_on_return(
    database: str,
) -> None:
    """A reason typed and the Intake link clicked at once: the field's callback keeps the
    typing, and the switch may cut short the run that would save the decision. The page
    drawn again saves it, as the clinician meant."""
    planned(database)
    db = open_database(database)
    who = signed_in(db, "rivera", datetime.now(UTC))
    visits.keep_unfinished(db, who, plan_id=1, item_id=HEAT, action="reject",
                           reason="Numb skin over the shoulders", patient_text=None,
                           now=datetime.now(UTC))
    test = app("care_plan", patient=1, visit=1)
    no_trouble(test)
    decision = review_of(database).decision_for(HEAT)
    assert decision is not None
    assert (decision.action, decision.reason) == ("reject", "Numb skin over the shoulders")
    assert ":red-badge[:material/close: Rejected]" in items(test)[HEAT]
    assert visits.unfinished_typing(db, who, plan_id=1).decisions == {}


def test_typing_with_a_hidden_character_is_not_kept_and_says_so_at_the_item(
    database: str,
) -> None:
    test = planned(database)
    test.segmented_control(key=f"dec:1:{HEAT}").set_value("Edit").run()
    test.text_input(key=f"why:1:{HEAT}").input("Heat\u202epads").run()
    no_trouble(test)
    assert any(e.value.startswith("Not saved: The reason contains an invisible or control "
                                  "character \\(U\\+202E\\); remove it") for e in test.error)
    assert test.text_input(key=f"why:1:{HEAT}").value == "Heat\u202epads"  # still in the box
    db = open_database(database)
    kept = visits.unfinished_typing(db, signed_in(db, "rivera", datetime.now(UTC)),
                                    plan_id=1).decisions[HEAT]
    assert (kept.action, kept.reason) == ("edit", "")  # as last kept: Edit, no reason yet
